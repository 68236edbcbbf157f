"""The Clock Problem (write-up 000): integer seconds since T0 -> the digital clock's reading.

``clock_reading`` is the exact reference (floor division, so t = -1 -> 23:59:59). Its fields
are named in ``CLOCK_FIELDS``: the 24-hour clock's hours, minutes and seconds, and fields a
user's clock may show instead or as well -- a 12-hour clock's 12, 1, ..., 11, the ISO weekday
1..7 and the day of the year 1..366 (calendar fields count from T0 = 2000-01-01 00:00:00,
a Saturday, in the proleptic Gregorian calendar).

``PeriodicClock`` learns the clock from (t, reading) samples alone. For each field it finds the
period by spectral analysis of the readings and pins it to an exact integer; it finds the step
(how long one reading lasts: the period over the number of readings, or, for a calendar field
whose period is not a whole number of steps, the period of a finer field); and it learns which
reading each step of the cycle shows by a majority vote over the training samples, so a few
corrupted labels, 1-based or rotated readings and leap years are all absorbed. No period is
written into the code.

Why pinning matters: over a 120-year span (3.8e9 s) the hours field needs the period to a
relative precision of about 1e-10; an estimate off by 0.07% already drops hours to chance.
Why integers: a float32 t near 3.8e9 can't even represent single seconds (its spacing is 256 s).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

SECONDS_PER_YEAR = 365.25 * 86400
EPOCH = np.datetime64("2000-01-01T00:00:00", "s")  # T0 of the calendar fields


def _days(t: np.ndarray) -> np.ndarray:
    return (EPOCH + t.astype("timedelta64[s]")).astype("datetime64[D]")


def _yday(t: np.ndarray) -> np.ndarray:
    days = _days(t)
    return (days - days.astype("datetime64[Y]")).astype(np.int64) + 1


# name -> reading of integer seconds t since T0 (int64 in, int64 out)
CLOCK_FIELDS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "hours": lambda t: (t // 3600) % 24,
    "minutes": lambda t: (t // 60) % 60,
    "seconds": lambda t: t % 60,
    "hours12": lambda t: ((t // 3600) + 11) % 12 + 1,  # 12, 1, 2, ..., 11
    "weekday": lambda t: (_days(t).astype(np.int64) + 3) % 7 + 1,  # ISO: Monday 1 .. Sunday 7
    "yday": _yday,  # 1 .. 365 or 366
}
DEFAULT_FIELDS = ("hours", "minutes", "seconds")


def clock_reading(
    t: np.ndarray, fields: Sequence[str] = DEFAULT_FIELDS, utc_offset: int | str = 0
) -> np.ndarray:
    """The readings of ``fields`` (names in ``CLOCK_FIELDS``) at integer seconds ``t``.

    Args:
        t: (...,) integers (any integer dtype; negative allowed): seconds since T0 in UTC.
        fields: which readings, in order; the default is (hours, minutes, seconds).
        utc_offset: the clock's time zone, in seconds east of UTC or as ``"+05:30"`` /
            ``"-03:30"`` (see [`utc_offset_seconds`][roughgrad.periodic.clock.utc_offset_seconds]):
            every field reads local time t + offset.

    Returns:
        (..., len(fields)) int64.

    Example:
        >>> clock_reading(np.array([-1, 3599, 86400])).tolist()
        [[23, 59, 59], [0, 59, 59], [0, 0, 0]]
        >>> clock_reading(np.array([0, 13 * 3600]), ("hours12", "weekday", "yday")).tolist()
        [[12, 6, 1], [1, 6, 1]]
    """
    t = np.asarray(t)
    if not np.issubdtype(t.dtype, np.integer):
        raise TypeError(f"clock_reading needs integer seconds, got dtype {t.dtype}")
    unknown = [f for f in fields if f not in CLOCK_FIELDS]
    if unknown:
        raise ValueError(f"unknown clock field {unknown[0]!r}; known: {', '.join(CLOCK_FIELDS)}")
    t = t.astype(np.int64) + utc_offset_seconds(utc_offset)
    return np.stack([CLOCK_FIELDS[f](t) for f in fields], axis=-1)


def utc_offset_seconds(offset: int | str) -> int:
    """A time zone's offset east of UTC in seconds: an int as it is, or ``"+HH:MM"`` /
    ``"-HH:MM"`` (``"+05:30"`` -> 19800, ``"-03:30"`` -> -12600), within +-14 hours."""
    if isinstance(offset, str):
        text = offset.strip()
        sign, rest = (-1, text[1:]) if text[:1] == "-" else (1, text.lstrip("+"))
        hours, _, minutes = rest.partition(":")
        try:
            seconds = sign * (int(hours) * 3600 + int(minutes or 0) * 60)
        except ValueError:
            raise ValueError(f"utc_offset {offset!r} is not +HH:MM or -HH:MM") from None
        if minutes and not 0 <= int(minutes) < 60:
            raise ValueError(f"utc_offset {offset!r}: minutes must be 00-59")
    else:
        seconds = int(offset)
    if abs(seconds) > 14 * 3600:
        raise ValueError(f"utc_offset {offset!r} is beyond +-14:00")
    return seconds


def sample_instants(n: int, span_years: float, rng: np.random.Generator) -> np.ndarray:
    """(n,) int64 instants uniform over a span of ``span_years`` centred on T0."""
    half = int(span_years * SECONDS_PER_YEAR / 2)
    return rng.integers(-half, half + 1, size=n, dtype=np.int64)


def edge_instants(span_years: float) -> np.ndarray:
    """Instants where readings roll over, both span ends and negative t (int64)."""
    half = int(span_years * SECONDS_PER_YEAR / 2)
    base = np.array(
        [
            0,
            -1,
            1,
            59,
            60,
            61,
            3599,
            3600,
            3601,
            86399,
            86400,
            86401,
            -59,
            -60,
            -61,
            -3599,
            -3600,
            -3601,
            -86399,
            -86400,
            -86401,
        ],
        dtype=np.int64,
    )
    ends = np.array([-half, -half + 1, half - 1, half], dtype=np.int64)
    day_edges = (half // 86400) * 86400 + np.array([-1, 0, 1], dtype=np.int64)
    return np.concatenate([base, ends, day_edges, -day_edges])


def check_time_dtype(t: np.ndarray, resolution: float = 1.0) -> None:
    """Refuse float inputs whose spacing at max |t| is coarser than ``resolution`` seconds."""
    t = np.asarray(t)
    if np.issubdtype(t.dtype, np.integer):
        return
    spacing = float(np.spacing(np.abs(t).max().astype(t.dtype)))
    if spacing > resolution / 2:
        raise ValueError(
            f"t of dtype {t.dtype} has spacing {spacing:g} s at |t| = {np.abs(t).max():.3g}, "
            f"coarser than the {resolution:g} s the clock needs; pass int64 (or float64) seconds"
        )


def find_period(t: np.ndarray, phase: np.ndarray, max_lag: int = 2**22) -> float:
    """Estimate the period P of exp(i phase(t)) ~ exp(2 pi i t / P) from random samples.

    t is sorted and neighbouring pairs give (d, w) = (t_j+k - t_j, exp(i (phase_j+k - phase_j))),
    a sinusoid in the lag d with the same frequency nu = 1/P, on a span of only ~max_lag.
    An FFT of w binned by integer lag finds nu coarsely (t is integer, so nu is defined mod 1);
    then nu is refined by least squares on the unwrapped residual phase of pairs with lags up
    to D, doubling D until it covers the whole span (each stage keeps |dnu| D well below 1/2,
    so no residual phase wraps).

    Args:
        t: (n,) integer instants; phase: (n,) 2 pi * reading / levels.
        max_lag: lags binned by the coarse FFT (its frequency resolution is 1 / max_lag).

    Returns:
        The period in seconds (float; ``pin_period`` rounds it to an exact integer).
    """
    order = np.argsort(t)
    t, z = t[order].astype(np.int64), np.exp(1j * phase[order])
    span = int(t[-1] - t[0])
    d = t[1:] - t[:-1]
    w = z[1:] * np.conj(z[:-1])
    keep = (d > 0) & (d < max_lag)
    binned = np.bincount(d[keep], w[keep].real, max_lag) + 1j * np.bincount(
        d[keep], w[keep].imag, max_lag
    )
    nu = float(np.fft.fftfreq(max_lag)[int(np.argmax(np.abs(np.fft.fft(binned))))])
    mean_gap = span / max(len(t) - 1, 1)
    # the coarse peak's width is ~1 / (the lags actually seen), so the first refinement stays
    # at lags below the median one, where 2 pi dnu d < pi/2 and no residual phase wraps
    lag_cap = max(1, int(np.median(d[keep])))
    while True:
        k = int(min(max(1, lag_cap / (2 * mean_gap)), len(t) - 1))
        d = t[k:] - t[:-k]
        w = z[k:] * np.conj(z[:-k])
        dn = d[d <= lag_cap].astype(np.float64)  # float: int64 d @ d overflows past 3e9 s
        resid = np.angle(w[d <= lag_cap] * np.exp(-2j * np.pi * nu * dn))  # 2 pi dnu d + steps
        nu += float(resid @ dn) / float(dn @ dn) / (2 * np.pi)
        if lag_cap >= span:
            break
        lag_cap *= 2
    return 1.0 / abs(nu)


def pin_period(period: float, tol: float = 0.25) -> int:
    """Round a period estimate to whole seconds if within ``tol`` of one.

    The fit that follows checks the pinned period exactly against every training sample, so a
    wrong rounding is caught there, not silently used.
    """
    p = round(period)
    if p < 1 or abs(period - p) > tol:
        raise ValueError(f"period estimate {period:.6f} s is not within {tol} of an integer")
    return int(p)


class FieldUndetermined(ValueError):
    """The samples do not pin this field (too short a span, no consistent period or step)."""


@dataclass
class FieldModel:
    """reading = table[((t - offset) mod period) // step], integers throughout.

    ``period`` is the whole number of steps after which the readings repeat (for the day of
    the year, four years of 1461 days); ``table`` holds the reading of each step of a cycle.
    ``agreement`` is the fraction of training readings the model reproduces.
    """

    period: int
    step: int
    offset: int
    table: np.ndarray
    agreement: float = 1.0

    def predict(self, t: np.ndarray) -> np.ndarray:
        q = np.mod(t.astype(np.int64) - self.offset, self.period) // self.step
        return self.table[q]


@dataclass
class PeriodicClock:
    """A clock learned from (t, reading) samples: one FieldModel per reading field.

    Args:
        min_agreement: a field whose model reproduces fewer of its training readings than this
            is reported as undetermined (label noise below 1 - min_agreement is tolerated).

    After ``fit``, ``fields`` holds one FieldModel (or None) per column and ``undetermined``
    maps the index of each column that could not be pinned to the reason; ``predict`` returns
    -1 for those columns.
    """

    min_agreement: float = 0.9
    fields: list[FieldModel | None] = field(default_factory=list)
    undetermined: dict[int, str] = field(default_factory=dict)

    def fit(self, t: np.ndarray, readings: np.ndarray) -> PeriodicClock:
        """Fit every column of ``readings`` (n, F) from integer instants ``t`` (n,)."""
        t = _seconds(t)
        readings = np.asarray(readings).astype(np.int64).reshape(len(t), -1)
        n_fields = readings.shape[1]
        self.fields, self.undetermined = [None] * n_fields, {}
        periods: dict[int, float] = {}
        for j in range(n_fields):
            try:
                periods[j] = _field_period(t, readings[:, j])
            except FieldUndetermined as exc:
                self.undetermined[j] = str(exc)
        done: list[FieldModel] = []
        # fine to coarse: a field's step comes from a finer field
        for j in sorted(periods, key=lambda k: periods[k]):
            try:
                model = _fit_field(t, readings[:, j], periods[j], done)
            except FieldUndetermined as exc:
                self.undetermined[j] = str(exc)
                continue
            if model.agreement < self.min_agreement:
                self.undetermined[j] = (
                    f"period {model.period} s reproduces only {model.agreement:.1%} of the "
                    f"training readings (< {self.min_agreement:.0%})"
                )
                continue
            self.fields[j] = model
            done.append(model)
        return self

    def predict(self, t: np.ndarray) -> np.ndarray:
        """(n, F) readings at ``t``; -1 in the columns that were not determined."""
        t = _seconds(t)
        return np.stack(
            [f.predict(t) if f is not None else np.full(len(t), -1) for f in self.fields], -1
        )

    @property
    def periods(self) -> list[int | None]:
        """Each field's cycle in seconds (a whole number of steps: 4 years for the day of the
        year), None where undetermined."""
        return [None if f is None else f.period for f in self.fields]


def _seconds(t: np.ndarray) -> np.ndarray:
    """``t`` as int64 seconds: integers as they are, fine enough floats rounded."""
    check_time_dtype(t)
    t = np.asarray(t)
    return (
        t.astype(np.int64) if np.issubdtype(t.dtype, np.integer) else np.round(t).astype(np.int64)
    )


def _levels(reading: np.ndarray) -> tuple[int, int]:
    """(base, levels): the smallest reading and how many values from it to the largest."""
    base = int(reading.min())
    return base, int(reading.max()) - base + 1


def _field_period(t: np.ndarray, reading: np.ndarray) -> float:
    """The field's period estimated from its readings (seconds, not yet pinned)."""
    base, levels = _levels(reading)
    if levels < 2:
        raise FieldUndetermined(f"the field shows one reading ({base}) in the whole span")
    span = int(t.max() - t.min())
    with np.errstate(all="ignore"):
        period = find_period(t, 2 * np.pi * (reading - base) / levels)
    if not np.isfinite(period) or period > span:
        raise FieldUndetermined(
            f"the training span ({span} s) is shorter than the period found ({period:.0f} s)"
        )
    return period


def _fit_field(t: np.ndarray, reading: np.ndarray, estimate: float, finer: list[FieldModel]):
    base, levels = _levels(reading)
    cycle, step, under = _pin(estimate, levels, finer)
    if under is not None:
        # The readings change where one of the finer field's readings starts: try every step
        # boundary of the finer field within one step of this one (a time zone moves the hours'
        # roll-over to the half hour, which is a minutes boundary but not a roll-over of the
        # minutes). The table absorbs which reading comes first.
        starts = [under.offset % under.step + k * under.step for k in range(step // under.step)]
    else:
        starts = [_robust_offset(t, reading - base, cycle, step)]
    return max(
        (_tabulate(t, reading, base, levels, cycle, step, o) for o in starts),
        key=lambda f: f.agreement,
    )


def _tabulate(t, reading, base: int, levels: int, cycle: int, step: int, offset: int) -> FieldModel:
    """The FieldModel with this cycle, step and offset whose table is the majority reading."""
    slots = cycle // step
    idx = np.mod(t - offset, cycle) // step
    votes = np.bincount(idx * levels + (reading - base), minlength=slots * levels)
    votes = votes.reshape(slots, levels)
    unseen = int((votes.sum(1) == 0).sum())
    if unseen:
        raise FieldUndetermined(
            f"{unseen} of the {slots} steps of its {cycle} s cycle have no training sample"
        )
    table = votes.argmax(1) + base
    agreement = float(np.mean(table[idx] == reading))
    return FieldModel(cycle, step, offset, table, agreement)


def _pin(
    estimate: float, levels: int, finer: list[FieldModel]
) -> tuple[int, int, FieldModel | None]:
    """(cycle, step, finer field): a whole number of steps the readings repeat after, one step,
    and the finer field whose cycles the steps are made of (None without one).

    A reading lasts a whole number m <= 4 of cycles of a finer field (an hour is one cycle of
    minutes, a day one of hours or two of a 12-hour clock), so the period is pinned first as a
    ratio a / b of such a step that gives one step per reading (levels - 1 to levels steps per
    period; b <= 12: the day of the year repeats after 1461 days, 4 years of 1461/4 days);
    then, without a finer field, to whole seconds divisible into ``levels`` steps. The cycle
    is a * step, a whole number of steps and of periods.
    """
    for f in sorted(finer, key=lambda f: -f.period):
        for m in range(1, 5):
            ratio = estimate / (m * f.period)
            if not levels - 1.1 <= ratio <= levels + 0.1:  # one step per reading
                continue
            for b in range(1, 13):
                a = round(ratio * b)
                if abs(ratio * b - a) <= 0.05 * b and math.gcd(a, b) == 1:
                    return a * m * f.period, m * f.period, f
    try:
        period = pin_period(estimate)
    except ValueError as exc:
        raise FieldUndetermined(str(exc)) from None
    if period % levels:
        raise FieldUndetermined(
            f"its period {period} s is not a whole number of its {levels} readings and no "
            "finer field gives the length of one reading"
        )
    return period, period // levels, None


def _robust_offset(t: np.ndarray, r: np.ndarray, period: int, step: int) -> int:
    """The offset o that the most samples allow, in the middle of the range they allow.

    Sample (t, r) allows o in [lo, lo + step - 1] (mod period), lo = t - (r + 1) step + 1, if
    reading = ((t - o) mod period) // step. Every clean sample allows the true offset, so the
    most-covered point is it whatever a few corrupted labels say.
    """
    lo = np.sort(np.mod(t - (r + 1) * step + 1, period))
    ext = np.concatenate([lo - period, lo])  # circular: intervals starting up to step earlier
    # coverage at each start point lo_i: intervals with lo_j in (lo_i - step, lo_i]
    cover = np.searchsorted(ext, lo, side="right") - np.searchsorted(ext, lo - step, side="right")
    i = int(np.argmax(cover))
    first_start = int(ext[np.searchsorted(ext, lo[i] - step, side="right")])
    end = first_start + step - 1  # the earliest-starting covering interval ends first
    return int((lo[i] + end) // 2 % period)


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
        offset is where its field's readings roll over (``_robust_offset``, the point most
        samples allow, so a few corrupted labels do not move it; 0 for a field whose period is
        no whole number of its readings, such as the day of the year's 365.25 days); levels
        and bases from the readings' range. Raises FieldUndetermined if no field's period can
        be pinned."""
        t = _seconds(t)
        readings = np.asarray(readings).astype(np.int64).reshape(len(t), -1)
        found, undetermined = spectral_periods(t, readings)
        base, levels = readings.min(0), readings.max(0) - readings.min(0) + 1
        periods, offsets = [], []
        for j, period in enumerate(found):
            if period is None:
                continue
            step, rest = divmod(period, int(levels[j]))
            offset = _robust_offset(t, readings[:, j] - base[j], period, step) if not rest else 0
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
    t = _seconds(t)
    periods: list[int | None] = []
    undetermined: dict[int, str] = {}
    for j, r in enumerate(np.asarray(readings).reshape(len(t), -1).T):
        try:
            periods.append(pin_period(_field_period(t, r)))
        except ValueError as exc:  # FieldUndetermined, or a period that is no whole second
            periods.append(None)
            undetermined[j] = str(exc)
    return periods, undetermined
