"""``PeriodicClock``: a clock learned from (t, reading) samples alone (see
``roughgrad.periodic.clock``): per field a period pinned to an integer, a step, where it rolls
over, and the reading of each step by majority vote."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from roughgrad.periodic.clock import check_time_dtype, find_period, pin_period


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
        t = as_seconds(t)
        readings = np.asarray(readings).astype(np.int64).reshape(len(t), -1)
        n_fields = readings.shape[1]
        self.fields, self.undetermined = [None] * n_fields, {}
        periods: dict[int, float] = {}
        for j in range(n_fields):
            try:
                periods[j] = field_period(t, readings[:, j])
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
        t = as_seconds(t)
        return np.stack(
            [f.predict(t) if f is not None else np.full(len(t), -1) for f in self.fields], -1
        )

    @property
    def periods(self) -> list[int | None]:
        """Each field's cycle in seconds (a whole number of steps: 4 years for the day of the
        year), None where undetermined."""
        return [None if f is None else f.period for f in self.fields]


def as_seconds(t: np.ndarray) -> np.ndarray:
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


def field_period(t: np.ndarray, reading: np.ndarray) -> float:
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
        starts = [rollover_offset(t, reading - base, cycle, step)]
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


def rollover_offset(t: np.ndarray, r: np.ndarray, period: int, step: int) -> int:
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
