"""The Clock Problem (seed 000): integer seconds since T0 -> the digital clock's reading.

``clock_reading`` is the exact reference (floor division, so t = -1 -> 23:59:59).
``PeriodicClock`` learns the clock from (t, reading) samples alone: it finds each field's period
by spectral analysis of the readings, pins it to an exact integer, and fits the reading as a
step function of the exactly reduced phase (t mod P). No period is written into the code.

Why pinning matters: over a 120-year span (3.8e9 s) the hours field needs the period to a
relative precision of about 1e-10; an estimate off by 0.07% already drops hours to chance.
Why integers: a float32 t near 3.8e9 can't even represent single seconds (its spacing is 256 s).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

SECONDS_PER_YEAR = 365.25 * 86400


def clock_reading(t: np.ndarray) -> np.ndarray:
    """(hours, minutes, seconds) of integer seconds ``t`` since 0 days 00:00:00.

    Args:
        t: (...,) integers (any integer dtype; negative allowed).

    Returns:
        (..., 3) int64: hours in [0, 24), minutes and seconds in [0, 60).

    Example:
        >>> clock_reading(np.array([-1, 3599, 86400])).tolist()
        [[23, 59, 59], [0, 59, 59], [0, 0, 0]]
    """
    t = np.asarray(t)
    if not np.issubdtype(t.dtype, np.integer):
        raise TypeError(f"clock_reading needs integer seconds, got dtype {t.dtype}")
    t = t.astype(np.int64)
    return np.stack([(t // 3600) % 24, (t // 60) % 60, t % 60], axis=-1)


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


@dataclass
class FieldModel:
    """reading = floor(levels * ((t - offset) mod period) / period), with integers throughout.

    ``allowed`` = (first offset, count): the offsets consistent with every training sample.
    """

    period: int
    levels: int
    offset: int
    allowed: tuple[int, int] = (0, 1)

    def predict(self, t: np.ndarray) -> np.ndarray:
        q = np.mod(t.astype(np.int64) - self.offset, self.period)
        return (q * self.levels) // self.period


@dataclass
class PeriodicClock:
    """A clock learned from (t, reading) samples: one FieldModel per reading field."""

    fields: list[FieldModel] = field(default_factory=list)

    def fit(self, t: np.ndarray, readings: np.ndarray) -> PeriodicClock:
        """Fit every column of ``readings`` (n, F) from integer instants ``t`` (n,)."""
        check_time_dtype(t)
        t = np.asarray(t).astype(np.int64)
        self.fields = [_fit_field(t, readings[:, j]) for j in range(readings.shape[1])]
        by_step = sorted(self.fields, key=lambda f: f.period // f.levels)
        for fine, coarse in itertools.pairwise(by_step):
            _align(coarse, fine)
        return self

    def predict(self, t: np.ndarray) -> np.ndarray:
        check_time_dtype(t)
        t = np.asarray(t)
        t = (
            t.astype(np.int64)
            if np.issubdtype(t.dtype, np.integer)
            else np.round(t).astype(np.int64)
        )
        return np.stack([f.predict(t) for f in self.fields], axis=-1)

    @property
    def periods(self) -> list[int]:
        return [f.period for f in self.fields]


def _fit_field(t: np.ndarray, reading: np.ndarray) -> FieldModel:
    levels = int(reading.max()) + 1  # readings seen: 0 .. levels-1
    period = pin_period(find_period(t, 2 * np.pi * reading / levels))
    if period % levels:
        raise ValueError(f"period {period} s is not a whole number of {levels} reading steps")
    step = period // levels
    # Each sample allows offsets in [lo, lo + step - 1] (mod P), lo = t - (r + 1) step + 1.
    # Intersect these equal-length circular intervals exactly (integers) and take the middle.
    lo = np.mod(t - (reading.astype(np.int64) + 1) * step + 1, period)
    rel = np.mod(lo - lo[0] + period // 2, period) - period // 2  # circular, relative to lo[0]
    first, last = int(rel.max()), int(rel.min()) + step - 1
    if first > last:
        raise ValueError(f"no offset makes period {period} s fit the readings exactly")
    base = int(lo[0])
    return FieldModel(
        period,
        levels,
        (base + (first + last) // 2) % period,
        ((base + first) % period, last - first + 1),
    )


def _align(coarse: FieldModel, fine: FieldModel) -> None:
    """Within the offsets the data allow, prefer one on a boundary of the finer field.

    Readings of nested fields roll over together (hours change when minutes wrap), so when a
    few training samples leave a coarse field's offset ambiguous by a few seconds, the offset
    that puts its boundaries on the finer field's boundaries is the consistent choice.
    """
    start, width = coarse.allowed
    step = fine.period // fine.levels
    shift = (fine.offset - start) % step
    if shift < width:
        coarse.offset = (start + shift) % coarse.period
