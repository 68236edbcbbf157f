"""The sin-frequency experiment's settings: config and profiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from roughgrad.experiments.base import (
    ConfigBase,
    ConfigError,
    param,
)


@dataclass(frozen=True)
class Config(ConfigBase):
    target_freq: float = param(31.0, "target frequency f* of sin(f* x) (rad per unit x)", gt=0)
    amplitude: float = param(1.0, "amplitude of the target's main component", gt=0)
    phase: float = param(0.0, "phase of the target's main component (rad)")
    components: tuple[float, ...] = param(
        (), "extra target components as freq,amp,phase triples, e.g. 97,0.5,1.0,250,0.8,-0.3"
    )
    noise: float = param(0.0, "std of Gaussian noise added to every target sample", ge=0)
    x_range: float = param(1000.0, "x is drawn uniformly from [-x_range, x_range]", gt=0)
    batch_size: int = param(32, "samples per SGD step", ge=1)
    lr: float = param(1e-4, "SGD learning rate (the write-up's)", gt=0)
    adam_lr: float = param(1e-2, "Adam learning rate", gt=0)
    steps: int = param(20_000, "gradient steps per init, for every gradient method", ge=1)
    n_inits: int = param(20, "random initialisations f0 ~ N(0, 1), trained side by side", ge=1)
    tolerance: float = param(
        0.01, "|f - f*| below this counts as recovered (gradient methods)", gt=0
    )
    near_offset: float = param(
        0.002, "near-answer starts: f0 = f* + U(-near_offset, near_offset)", gt=0
    )
    n_samples: int = param(4096, "random samples the spectral fit sees per init", ge=16)
    max_freq: float = param(1200.0, "highest frequency the spectral search covers", gt=0)
    curriculum_start: float = param(
        0.0, "curriculum: initial input range; 0: 1 / max_freq, from the prior range of f", ge=0
    )
    curriculum_growth: float = param(1.25, "curriculum: range multiplier per stage", gt=1)
    curriculum_every: int = param(
        0, "curriculum: steps per stage; 0: the full range is reached at half of steps", ge=0
    )
    sweep_freqs: tuple[float, ...] = param(
        (1.0, 3.0, 10.0, 31.0, 100.0, 300.0, 700.0, 1150.0),
        "target frequencies of the recovery sweep, every method at each (those >= max_freq, "
        "outside the prior range, are skipped; empty: no sweep)",
        gt=0,
    )
    sweep_amplitudes: tuple[float, ...] = param(
        (0.3, 1.0, 3.0),
        "amplitudes of the recovery sweep's main component, each at every swept f* and phase "
        "(empty: the configured amplitude)",
        gt=0,
    )
    sweep_phases: tuple[float, ...] = param(
        (0.0, 0.7, 1.5707963267948966),
        "phases (rad) of the recovery sweep's main component (empty: the configured phase)",
    )
    smoothing_sigma: float = param(
        0.0, "smoothing: initial std of the f perturbation; 0: max_freq / 4", ge=0
    )
    log_every: int = param(100, "steps averaged into one point of the loss curve", ge=1)

    def validate(self) -> None:
        if self.steps < self.log_every:
            raise ConfigError(f"steps={self.steps} must be >= log_every={self.log_every}")
        if len(self.components) % 3:
            raise ConfigError(
                f"components needs freq,amp,phase triples, got {len(self.components)} numbers"
            )
        if max(self.freqs()) >= self.max_freq:
            raise ConfigError(f"max_freq={self.max_freq} must exceed every target frequency")

    def curriculum(self) -> tuple[float, int]:
        """(initial range, steps per stage) of the curriculum, from the data and budget alone:
        the range starts at 1 / max_freq, where every frequency of the prior range [0, max_freq)
        has f x below 1 rad (inside the 4.49 rad basin), and grows by ``curriculum_growth`` per
        stage so that the full range is reached at half of ``steps``."""
        start = self.curriculum_start or 1.0 / self.max_freq
        stages = max(1, int(np.ceil(np.log(self.x_range / start) / np.log(self.curriculum_growth))))
        return start, self.curriculum_every or max(1, self.steps // 2 // stages)

    def freqs(self) -> np.ndarray:
        return np.array([self.target_freq, *self.components[0::3]])

    def amps(self) -> np.ndarray:
        return np.array([self.amplitude, *self.components[1::3]])

    def phases(self) -> np.ndarray:
        return np.array([self.phase, *self.components[2::3]])


PROFILES: dict[str, dict[str, Any]] = {
    "quick": {
        "steps": 2_000,
        "n_inits": 8,
        "log_every": 50,
        "n_samples": 2048,
        "sweep_freqs": (1150.0,),  # the top of the prior range, where a bad start fails
        "sweep_amplitudes": (0.3, 3.0),
        "sweep_phases": (0.7, 1.5707963267948966),
    },
    "default": {},
    "full": {"steps": 1_000_000, "log_every": 1_000},
}
