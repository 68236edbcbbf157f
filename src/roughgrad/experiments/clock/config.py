"""The clock experiment's settings: config, profiles, the baselines and networks compared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roughgrad.experiments.base import (
    ConfigBase,
    ConfigError,
    param,
)
from roughgrad.periodic import (
    CLOCK_FIELDS,
    DEFAULT_FIELDS,
    utc_offset_seconds,
)

BASELINES = ("siren", "gelu", "snake")


NETS = ("spectral_net", "random_net")  # ClockNet with periods from the spectrum / at random


# clock layouts ClockNet and PeriodicClock are also measured on: (fields, utc offset, label
# noise); each is a clock a user may have, beside the configured one
LAYOUTS: dict[str, tuple[tuple[str, ...], str, float]] = {
    "24h": (("hours", "minutes", "seconds"), "+00:00", 0.01),
    "12h": (("hours12", "minutes", "seconds"), "+00:00", 0.0),
    "yday": (("yday", "hours", "minutes", "seconds"), "+00:00", 0.0),
    "noise5": (("hours", "minutes", "seconds"), "+00:00", 0.05),
    "utc+05:30": (("hours", "minutes", "seconds"), "+05:30", 0.0),
    "utc-03:30": (("hours", "minutes", "seconds"), "-03:30", 0.0),
}


DAY = 86400


@dataclass(frozen=True)
class Config(ConfigBase):
    span_years: float = param(
        120.0, "instants are uniform over this many years centred on T0", gt=0
    )
    short_span_days: float = param(
        1.0, "the span on which the baselines are first shown to learn (days)", gt=0
    )
    n_train: int = param(100_000, "training instants (10% of them validate)", ge=100)
    n_test: int = param(100_000, "held-out random instants (the edge instants are added)", ge=1)
    baselines: tuple[str, ...] = param(
        BASELINES, f"the baseline networks trained, any of {', '.join(BASELINES)}"
    )
    baseline_steps: int = param(2000, "Adam steps for each baseline network", ge=1)
    baseline_batch: int = param(512, "baseline minibatch size", ge=1)
    baseline_width: int = param(128, "hidden width of the baselines (3 hidden layers)", ge=1)
    baseline_lrs: tuple[float, ...] = param(
        (1e-3, 1e-2), "Adam learning rates searched for every baseline", gt=0
    )
    siren_omega0s: tuple[float, ...] = param(
        (1.0, 30.0, 3000.0), "SIREN frequency scales omega0 searched", gt=0
    )
    fourier_scales: int = param(
        48, "GELU baseline: Fourier-feature scales, geometric from 2 s to the span", ge=1
    )
    fields: tuple[str, ...] = param(
        DEFAULT_FIELDS,
        f"the clock's fields, in order; known: {', '.join(CLOCK_FIELDS)} (hours12 reads "
        "12, 1, ..., 11; weekday 1..7 and yday 1..366 count from 2000-01-01)",
    )
    utc_offset: str = param(
        "+00:00",
        "the clock's time zone, +HH:MM or -HH:MM east of UTC (every field reads local time)",
    )
    net_steps: int = param(1000, "full-batch Adam steps of the clock networks", ge=1)
    net_lrs: tuple[float, ...] = param(
        (0.003, 0.01, 0.03), "Adam learning rates searched for the clock networks", gt=0
    )
    net_layouts: tuple[str, ...] = param(
        tuple(LAYOUTS),
        "clock layouts ClockNet and PeriodicClock are also measured on (each with its own "
        "training and held-out instants): 24h (1% label noise), 12h, yday (day of the year "
        "with hours, minutes, seconds), noise5 (5% label noise), utc+05:30, utc-03:30; "
        "empty: none",
    )
    label_noise: float = param(
        0.0,
        "fraction of training instants whose reading is replaced by a random one (every field "
        "uniform over its range); test readings stay clean",
        ge=0,
        lt=1,
    )

    def validate(self) -> None:
        unknown = [f for f in self.fields if f not in CLOCK_FIELDS]
        if unknown or not self.fields:
            raise ConfigError(
                f"fields={','.join(self.fields)!r} is not allowed: give one or more of "
                f"{', '.join(CLOCK_FIELDS)}"
            )
        odd = [b for b in self.baselines if b not in BASELINES]
        if odd or not self.baselines:
            raise ConfigError(
                f"baselines={','.join(self.baselines)!r} is not allowed: give one or more of "
                f"{', '.join(BASELINES)}"
            )
        odd = [name for name in self.net_layouts if name not in LAYOUTS]
        if odd:
            raise ConfigError(
                f"net_layouts={','.join(self.net_layouts)!r} is not allowed: give any of "
                f"{', '.join(LAYOUTS)}"
            )
        try:
            utc_offset_seconds(self.utc_offset)
        except ValueError as exc:
            raise ConfigError(f"{exc}; e.g. utc_offset=+05:30") from None


PROFILES: dict[str, dict[str, Any]] = {
    "quick": {
        "n_train": 10_000,
        "n_test": 10_000,
        "baseline_steps": 150,
        "baseline_width": 64,
        "baseline_lrs": (1e-2,),
        "siren_omega0s": (30.0,),
        "net_lrs": (0.03,),
        "net_layouts": ("12h", "utc+05:30"),  # two of the harder layouts keep tests fast
    },
    "default": {},
    "full": {"baseline_steps": 20_000},
}
