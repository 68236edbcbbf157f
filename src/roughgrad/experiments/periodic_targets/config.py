"""The periodic-targets settings: targets, models, anchors, config and profiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roughgrad.data.series import SERIES
from roughgrad.experiments.base import (
    ConfigError,
    param,
)
from roughgrad.experiments.snake.common import (
    MODEL_LABELS,
    FitConfig,
)

SYNTHETIC = ("sin", "mixture", "decay", "sawtooth", "noisy", "quasiperiodic")


TARGETS = (*SYNTHETIC, *SERIES)


TRAINED = ("spectral", "spectral_k1", "spectral_envelope", "snake")


ANCHORS = ("sines", "lomb_scargle", "gp")


# forecasts of a regularly sampled series from its end (real series only: the synthetic
# targets' held-out points lie between training blocks, which these cannot use)
FORECASTS = ("sines_ar", "seasonal_naive", "ar", "ar_one_step")


LABELS = {
    **MODEL_LABELS,
    "sines": "BIC sines alone",
    "lomb_scargle": "Lomb-Scargle (one sine)",
    "gp": "GP, ExpSineSquared",
    "sines_ar": "trend + sines + AR (ours)",
    "seasonal_naive": "seasonal naive",
    "ar": "AR, order for the lead time",
    "ar_one_step": "AR, order for one step",
}


# highest angular frequency searched per target (rad per unit x; the real series' x is years)
MAX_FREQ = {"sunspots": 3.0, "co2": 40.0, "elnino": 36.0}


TREND = {"sunspots": 0, "co2": 2, "elnino": 0}


@dataclass(frozen=True)
class Config(FitConfig):
    targets: tuple[str, ...] = param(TARGETS, f"signals to forecast; known: {', '.join(TARGETS)}")
    models: tuple[str, ...] = param(
        (*TRAINED, *ANCHORS, *FORECASTS),
        f"models compared; known: {', '.join((*TRAINED, *ANCHORS, *FORECASTS))} (the last "
        "four forecast the real series only)",
    )
    noise: float = param(0.3, "noise standard deviation of the noisy target", ge=0)
    hidden: int = param(128, "width of the Snake MLP's two hidden layers", ge=1)
    seeds: int = param(2, "initialisation seeds of every trained model", ge=1)
    gp_restarts: int = param(4, "GP: marginal-likelihood restarts after the first fit", ge=0)
    gp_max_points: int = param(
        1000, "GP: at most this many training points (every k-th; exact GP is O(n^3))", ge=10
    )

    max_ar_order: int = param(
        60, "AR and trend + sines + AR: the largest autoregressive order tried", ge=1
    )

    def known_models(self) -> tuple[str, ...]:
        return (*TRAINED, *ANCHORS, *FORECASTS)

    def validate(self) -> None:
        super().validate()
        bad = [t for t in self.targets if t not in TARGETS]
        if bad:
            raise ConfigError(f"unknown target {bad[0]!r}; known: {', '.join(TARGETS)}")


PROFILES: dict[str, dict[str, Any]] = {
    "quick": {
        "targets": ("mixture", "sawtooth", "noisy"),
        "models": ("spectral", "spectral_k1", "sines", "lomb_scargle", "gp"),
        "steps": 300,
        "seeds": 1,
        "lrs": (1e-3,),
        "n_points": 800,
        "spectral_hidden": 32,
        "gp_restarts": 0,
        "gp_max_points": 300,
    },
    "default": {},
    "full": {"seeds": 3, "hidden": 512, "steps": 6000, "gp_restarts": 9},
}
