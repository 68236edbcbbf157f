"""The digits-ann settings: config, profiles and the fast setting."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from roughgrad.experiments.base import (
    ConfigError,
    param,
)
from roughgrad.experiments.digits import common as _digits


@dataclass(frozen=True)
class Config(_digits.DigitsConfig):
    methods: tuple[str, ...] = param(
        ("autodiff", "local_regression", "gaussian_smoothing", "node_perturbation"),
        "methods to train with in the write-up's setting",
    )
    fit_samples: tuple[int, ...] = param(
        (10, 100, 300, 600, 900, 1100, 1500, 2000, 3000),
        "S values of the regression's error-against-S curve (the write-up's ANN Fit S)",
        ge=2,
    )
    fit_batch: int = param(100, "training examples in the loss of the FIT S curve", ge=1)
    fit_sigma: float = param(1e-3, "perturbation std of the FIT S curve", gt=0)
    epochs: float = param(10.0, "write-up setting: passes over the training set", gt=0)
    lrs: tuple[float, ...] = param(
        (0.003, 0.01, 0.03),
        "write-up setting: learning rates searched per method on validation (bracketed; empty: lr "
        "only)",
        gt=0,
        le=10,
    )
    fast_method: str = param(
        "node_perturbation", "the no-backprop method of the fast setting (a registered estimator)"
    )
    fast_batch: int = param(64, "fast setting: examples per update", ge=1)
    fast_samples: int = param(
        110, "fast setting: S (110: one noisy network per unit, a complete basis)", ge=2
    )
    fast_directions: Literal["orthogonal", "coordinates", "gaussian"] = param(
        "coordinates", "fast setting: node perturbation's noise directions"
    )
    fast_sigma: float = param(0.003, "fast setting: the estimator's sigma", gt=0)
    fast_lr: float = param(
        0.02,
        "fast setting: Adam learning rate (without fast_lrs; setting it alone clears fast_lrs)",
        gt=0,
    )
    fast_lrs: tuple[float, ...] = param(
        (0.005, 0.02, 0.08),
        "fast setting: learning rates searched per method on validation (bracketed; empty: "
        "fast_lr only)",
        gt=0,
        le=10,
    )
    fast_epochs: float = param(40.0, "fast setting: passes over the training set", gt=0)
    fast_loss: Literal["mse", "cross_entropy"] = param("cross_entropy", "fast setting: loss")
    fast_evaluations: int = param(
        400, "fast setting: test evaluations (every 0.1 epoch: times to 95% resolved)", ge=2
    )

    def validate(self) -> None:
        super().validate()
        allowed = _digits.estimator_methods(self.objective_type)
        if self.fast_method not in allowed:
            raise ConfigError(
                f"fast_method={self.fast_method!r} is not allowed: choose from {', '.join(allowed)}"
            )


PROFILES: dict[str, dict[str, Any]] = {
    "quick": {
        "hidden": 32,
        "methods": ("autodiff", "local_regression"),
        "epochs": 2.0,
        "lrs": (0.01, 0.03, 0.1),
        "fit_samples": (10, 100, 700),
        "fit_batch": 20,
        "fast_epochs": 10.0,
        "fast_evaluations": 21,
        "evaluations": 3,
        "max_train": 1437,  # the digits' training set, a cap on 28x28 data sets
    },
    "default": {},
    "full": {"epochs": 20.0, "fast_epochs": 80.0},
}


def fast_config(config: Config) -> Config:
    """The fast setting as an ordinary digits config (cosine-decayed lr)."""
    return dataclasses.replace(
        config,
        methods=("autodiff", config.fast_method),
        batch_size=config.fast_batch,
        samples=config.fast_samples,
        sigma=config.fast_sigma,
        estimator_options=(
            f"node_perturbation.directions={config.fast_directions}",
            # coordinates: one unit per network anyway, all layers in one population
            f"node_perturbation.layerwise={config.fast_directions != 'coordinates'}",
        ),
        lr=config.fast_lr,
        lrs=config.fast_lrs,
        epochs=config.fast_epochs,
        loss=config.fast_loss,
        lr_schedule="cosine",
        evaluations=config.fast_evaluations,
    )
