"""The snake experiments' shared settings and models: the split, the fit config, the profiles, the
networks and spectral models compared."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from roughgrad.data import SignalSplit
from roughgrad.experiments.base import (
    ConfigBase,
    ConfigError,
    param,
)
from roughgrad.nn import mlp, siren
from roughgrad.periodic import spectral_model

TRAIN_COLOUR, TEST_COLOUR = "tab:blue", "tab:orange"  # the write-up's colours


# the quick profile shared by the snake experiments (tests: seconds, not minutes)
QUICK = {"hidden": 32, "steps": 300, "seeds": 2, "n_points": 400}


# where a 32-unit Snake, ReLU and tanh network fit their training points in seconds (the quick
# profile's 300 steps on [-50, 50] do not): the base of counterexamples that compare them
HEALTHY = {"start": -10.0, "end": 10.0, "steps": 1000, "lrs": (1e-3, 1e-2), "lr_extend": 2}


FULL = {"seeds": 5}


# models whose frequencies come from a periodogram of the training data (ours): the default
# contenders, and all of them (spectral_k1 fixes one sine; the periodic-targets comparison)
CONTENDERS = ("spectral", "spectral_envelope")


OURS = (*CONTENDERS, "spectral_k1")


@dataclass(frozen=True)
class SplitConfig(ConfigBase):
    """The write-up's data, network size and baseline optimiser."""

    n_points: int = param(2000, "points on [start, end] (seed: L=2000)", ge=16)
    start: float = param(-50.0, "left end of the x grid")
    end: float = param(50.0, "right end of the x grid")
    prop_train: float = param(0.5, "fraction of points in the training blocks", gt=0, lt=1)
    hidden: int = param(512, "width of each of the two hidden layers (seed: 512)", ge=1)
    steps: int = param(3000, "full-batch Adam steps", ge=1)

    def validate(self) -> None:
        if not self.start < self.end:
            raise ConfigError(f"start={self.start} must be < end={self.end}: the span is empty")


@dataclass(frozen=True)
class FitConfig(SplitConfig):
    """SplitConfig plus the models compared and their settings."""

    snake_a: float = param(30.0, "a of the Snake activation (seed: 30)", gt=0)
    sin_omega0: float = param(1.0, "frequency of the sin activation, sin(omega0 z)", gt=0)
    siren_omega0: float = param(30.0, "SIREN's omega0", gt=0)
    lrs: tuple[float, ...] = param(
        (1e-4, 1e-3),
        "Adam learning rates searched on the first seed of every model (seed: 1e-4); a winner "
        "at the grid's edge extends it by lr_extend steps",
        gt=0,
    )
    lr_extend: int = param(
        1, "geometric steps the search may add past the edge where its winner sits", ge=0
    )
    spectral_hidden: int = param(64, "hidden width of the spectral models' heads", ge=1)
    max_freq: float = param(20.0, "highest frequency the periodogram searches (rad/unit)", gt=0)
    seeds: int = param(3, "initialisation seeds of every model", ge=1)
    frame_every: int = param(100, "steps between frames of the training GIF", ge=1)
    components: str = param(
        "auto",
        "sines in the spectral models: 'auto' (chosen by BIC, see select_components) or a count",
    )
    max_components: int = param(8, "largest count components=auto tries", ge=1)
    bic_penalty: float = param(
        1.0, "components=auto: multiplies BIC's cost per parameter (0: no cost)", ge=0
    )

    def known_models(self) -> tuple[str, ...]:
        """The names ``models`` may hold (the trained models of MODELS)."""
        return tuple(MODELS)

    @property
    def n_components(self) -> int | str:
        """``components`` as spectral_model takes it: 'auto' or an int."""
        return "auto" if self.components == "auto" else int(self.components)

    def validate(self) -> None:
        super().validate()
        if self.components != "auto" and not (
            self.components.isdigit() and int(self.components) >= 1
        ):
            raise ConfigError(
                f"components={self.components!r} is not allowed: give 'auto' or an integer >= 1"
            )
        models = getattr(self, "models", ())
        known = self.known_models()
        unknown = [m for m in (*models, *getattr(self, "animate", ())) if m not in known]
        if unknown:
            raise ConfigError(f"unknown model {unknown[0]!r}; known: {', '.join(known)}")
        missing = [m for m in getattr(self, "animate", ()) if m not in models]
        if missing:
            raise ConfigError(f"animate={missing[0]!r} is not among models={','.join(models)}")


Builder = Callable[[FitConfig, SignalSplit], nn.Module]


def _activation_mlp(activation: str, **kw: Any) -> Builder:
    return lambda c, s: mlp((1, c.hidden, c.hidden, 1), activation, init="xavier_normal", **kw)


def _spectral(envelope: bool, components: int | None = None) -> Builder:
    def build(c: FitConfig, s: SignalSplit) -> nn.Module:
        model, _ = spectral_model(
            s.x[s.train],
            s.y[s.train],
            max_freq=c.max_freq,
            n_components=c.n_components if components is None else components,
            max_components=c.max_components,
            penalty=c.bic_penalty,
            hidden=(c.spectral_hidden, c.spectral_hidden),
            envelope=envelope,
        )
        return model

    return build


MODELS: dict[str, Builder] = {
    "snake": lambda c, s: _activation_mlp("snake", a=c.snake_a)(c, s),
    "snake_learnable": lambda c, s: _activation_mlp(
        "snake", a=c.snake_a, learnable=True, features=c.hidden
    )(c, s),
    "x_sin2": _activation_mlp("snake", a=1.0),  # x + sin^2(x): Snake with a = 1
    "relu": _activation_mlp("relu"),
    "tanh": _activation_mlp("tanh"),
    "gelu": _activation_mlp("gelu"),
    "sin": lambda c, s: _activation_mlp("sin", omega0=c.sin_omega0)(c, s),
    "siren": lambda c, s: siren((1, c.hidden, c.hidden, 1), omega0=c.siren_omega0),
    "spectral": _spectral(envelope=False),
    # one carrier: BIC on a sum of sines is the wrong criterion for a modulated signal (on
    # exp(-|x|/20) sin x it picks 8 sines; enveloped, they gave held-out MSE 0.057 in a
    # periodic-targets run, against 8.8e-5 for one carrier in snake-decay's default run)
    "spectral_envelope": _spectral(envelope=True, components=1),
    "spectral_k1": _spectral(envelope=False, components=1),
}


MODEL_LABELS = {
    "snake": "Snake",
    "snake_learnable": "Snake, learnable a",
    "x_sin2": "x + sin²(x)",
    "relu": "ReLU",
    "tanh": "tanh",
    "gelu": "GELU",
    "sin": "sin",
    "siren": "SIREN",
    "spectral": "spectral (ours)",
    "spectral_envelope": "spectral + envelope (ours)",
    "spectral_k1": "spectral, one sine",
}
