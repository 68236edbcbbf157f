"""The gradient-fidelity settings: config, profiles and the bars the claims use."""

from __future__ import annotations

from dataclasses import dataclass

from roughgrad.experiments.base import (
    ConfigBase,
    param,
)

NODE_BAR = {10: 0.48, 100: 0.86, 1000: 0.98}


SMOOTH_BAR = {10: 0.05, 100: 0.14, 1000: 0.41}


@dataclass(frozen=True)
class Config(ConfigBase):
    samples: tuple[int, ...] = param((10, 30, 100, 300, 1000, 3000), "S values swept", ge=2)
    sigma: float = param(0.01, "perturbation std for the S sweeps", gt=0)
    sigmas: tuple[float, ...] = param((0.001, 0.01, 0.05, 0.15, 0.5), "sigma sweep", gt=0)
    sigma_sweep_samples: int = param(300, "S used in the sigma sweep", ge=2)
    batch: int = param(128, "minibatch size of every objective", ge=1)
    hidden: int = param(100, "hidden units of the linear classifier and sigmoid ANN", ge=1)
    tanh_hidden: int = param(32, "hidden units of the tanh MLP (the quality bars' model)", ge=1)
    repeats: int = param(
        20,
        "independent estimates averaged per point (a quarter of that "
        "for S >= 1000, where estimates vary less)",
        ge=1,
    )


PROFILES = {
    "quick": {
        "samples": (10, 100, 1000, 3000),
        "sigmas": (0.01, 0.15),
        "sigma_sweep_samples": 100,
        "repeats": 4,
    },
    "default": {},
    "full": {"samples": (10, 30, 100, 300, 1000, 3000, 10000), "repeats": 10},
}
