"""``ClockNet``: a network that reads a clock through sawtooth units of integer periods (see
``roughgrad.periodic.clock``), and the periods a spectrum finds in clock samples."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from roughgrad.periodic.clock import pin_period
from roughgrad.periodic.clock_fit import (
    FieldUndetermined,
    as_seconds,
    field_period,
    rollover_offset,
)


class PhaseLayer(torch.nn.Module):
    """Sawtooth units of integer periods: t -> ((t - offset_k) mod P_k) / P_k in [0, 1).

    The reduction is done on int64 seconds, so the phase is exact at any |t| (a float phase
    f t at t ~ 1.9e9 would need f to 1e-10). Periods are buffers, not parameters: a gradient
    step on a period is the write-up 000 problem (its basin is ~1 / span wide).
    """

    periods: torch.Tensor
    offsets: torch.Tensor

    def __init__(self, periods: Sequence[int], offsets: Sequence[int] | None = None) -> None:
        super().__init__()
        if not periods or min(periods) < 1:
            raise ValueError(f"PhaseLayer needs periods >= 1 s, got {list(periods)}")
        self.register_buffer("periods", torch.as_tensor(list(periods), dtype=torch.int64))
        offs = [0] * len(periods) if offsets is None else list(offsets)
        self.register_buffer("offsets", torch.as_tensor(offs, dtype=torch.int64))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        if t.dtype != torch.int64:
            raise TypeError(f"PhaseLayer needs int64 seconds, got {t.dtype}")
        q = torch.remainder(t[..., None] - self.offsets, self.periods)
        return (q.double() / self.periods.double()).float()


class ClockNet(torch.nn.Module):
    """A two-layer network for the clock: sawtooth phase units, then a linear layer.

    Output j is (reading_j - base_j) / levels_j; ``readings`` rounds it, wraps it into
    [0, levels_j) and adds base_j back (so 1-based readings such as a 12-hour clock's 12, 1,
    ..., 11 or the day of the year are read as they are). With each field's period and the
    offset where its readings roll over, every reading of a clock is a linear function of the
    phases (minutes = 60 u_3600 - u_60, hours = 24 u_86400 - u_3600, in any time zone), so
    gradient descent can reach it. ``from_data`` reads periods, offsets, levels and bases off
    (t, reading) samples; nothing about the clock is given.

    Args:
        periods: the sawtooth units' periods in whole seconds.
        levels: the number of readings of each output field.
        offsets: each unit's offset in seconds (default 0: cycles start at T0).
        bases: each field's smallest reading (default 0).
    """

    levels: torch.Tensor
    bases: torch.Tensor

    def __init__(
        self,
        periods: Sequence[int],
        levels: Sequence[int],
        offsets: Sequence[int] | None = None,
        bases: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        self.phase = PhaseLayer(periods, offsets)
        self.linear = torch.nn.Linear(len(periods), len(levels))
        self.register_buffer("levels", torch.as_tensor(list(levels), dtype=torch.float32))
        base = [0] * len(levels) if bases is None else list(bases)
        if len(base) != len(levels):
            raise ValueError(f"ClockNet needs one base per field: {len(base)} for {len(levels)}")
        self.register_buffer("bases", torch.as_tensor(base, dtype=torch.int64))

    @classmethod
    def from_data(cls, t: np.ndarray, readings: np.ndarray) -> tuple[ClockNet, dict[int, str]]:
        """(an untrained ClockNet, the fields whose period could not be pinned: index ->
        reason) for (t, readings (n, F)). Periods come from ``spectral_periods``; each unit's
        offset is where its field's readings roll over (``rollover_offset``, the point most
        samples allow, so a few corrupted labels do not move it; 0 for a field whose period is
        no whole number of its readings, such as the day of the year's 365.25 days); levels
        and bases from the readings' range. Raises FieldUndetermined if no field's period can
        be pinned."""
        t = as_seconds(t)
        readings = np.asarray(readings).astype(np.int64).reshape(len(t), -1)
        found, undetermined = spectral_periods(t, readings)
        base, levels = readings.min(0), readings.max(0) - readings.min(0) + 1
        periods, offsets = [], []
        for j, period in enumerate(found):
            if period is None:
                continue
            step, rest = divmod(period, int(levels[j]))
            offset = rollover_offset(t, readings[:, j] - base[j], period, step) if not rest else 0
            periods.append(period)
            offsets.append(offset)
        if not periods:
            raise FieldUndetermined("no field's period could be pinned")
        return cls(periods, levels.tolist(), offsets, base.tolist()), undetermined

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return self.linear(self.phase(t))

    def targets(self, readings: torch.Tensor) -> torch.Tensor:
        """The outputs that read as ``readings`` (n, F): (reading - base) / levels."""
        return (readings - self.bases).float() / self.levels

    def readings(self, t: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            z = torch.round(self(t) * self.levels).long()
        return torch.remainder(z, self.levels.long()) + self.bases


def spectral_periods(
    t: np.ndarray, readings: np.ndarray
) -> tuple[list[int | None], dict[int, str]]:
    """One period per field, from the spectrum of its readings (nothing given), pinned to
    whole seconds: (periods, undetermined), with None in ``periods`` and the reason in
    ``undetermined`` (field index -> reason) for each field the samples cannot pin. Nothing is
    raised for a field that cannot be pinned."""
    t = as_seconds(t)
    periods: list[int | None] = []
    undetermined: dict[int, str] = {}
    for j, r in enumerate(np.asarray(readings).reshape(len(t), -1).T):
        try:
            periods.append(pin_period(field_period(t, r)))
        except ValueError as exc:  # FieldUndetermined, or a period that is no whole second
            periods.append(None)
            undetermined[j] = str(exc)
    return periods, undetermined
