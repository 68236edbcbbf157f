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

from collections.abc import Callable, Sequence

import numpy as np

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
