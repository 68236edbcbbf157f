"""Detectors: functions that turn a sampled curve into a count or a width that a claim tests.

Each has known-answer tests on synthetic data with the structure present and absent
(tests/test_detectors.py), at the sizes the experiments use:

* [`count_bands`][roughgrad.landscape.detectors.count_bands]: how many bands the values fall into
  along the loss axis;
* [`count_local_minima`][roughgrad.landscape.detectors.count_local_minima]: local minima deeper than
  a prominence;
* [`basin_width`][roughgrad.landscape.detectors.basin_width]: how far around a target a gradient
  points at it without interruption;
* [`count_reversals`][roughgrad.landscape.detectors.count_reversals]: steps of a curve against its
  overall trend (a sawtooth's teeth).

Roughness ([`roughgrad.landscape.residual_rms`][roughgrad.landscape.residual_rms]) is tested the
same way.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter
from scipy.signal import find_peaks

_GRID = 4096  # bins of the kernel density estimate that finds the critical bandwidth


def _kde_modes(hist: np.ndarray, h: float, dx: float) -> int:
    """Modes of the Gaussian kernel density estimate of binned data (bin width dx)."""
    freq = np.fft.rfftfreq(2 * len(hist), d=dx)
    kernel = np.exp(-2.0 * (np.pi * freq * h) ** 2)  # the Gaussian's Fourier transform
    dens = np.fft.irfft(np.fft.rfft(hist, 2 * len(hist)) * kernel, 2 * len(hist))[: len(hist)]
    tol = 1e-9 * dens.max()
    rising = dens[1:-1] - dens[:-2] > tol
    return int(np.sum(rising & (dens[1:-1] - dens[2:] >= -tol)))


def _critical_bandwidth(x: np.ndarray) -> float:
    """The smallest Gaussian KDE bandwidth at which the density of ``x`` has one mode
    (Silverman 1981): the smoothest unimodal description of the data."""
    s = float(x.std())
    lo, hi = x.min() - 4 * s, x.max() + 4 * s
    dx = (hi - lo) / _GRID
    hist = np.bincount(np.clip(((x - lo) / dx).astype(int), 0, _GRID - 1), minlength=_GRID)
    a, b = 2 * dx, 2 * s
    if _kde_modes(hist, a, dx) <= 1:
        return a
    for _ in range(30):  # the mode count falls as the bandwidth grows (Gaussian kernel)
        mid = float(np.sqrt(a * b))
        if _kde_modes(hist, mid, dx) <= 1:
            b = mid
        else:
            a = mid
    return b


def _gap_ratios(sorted_x: np.ndarray, min_size: int) -> tuple[np.ndarray, np.ndarray]:
    """For rows of sorted values (..., n): the largest gap between neighbours over the median
    of the gaps around it, among gaps with >= ``min_size`` values on each side, and where it
    is (index of the value before the gap)."""
    g = np.diff(sorted_x, axis=-1)  # (..., n - 1)
    n1 = g.shape[-1]
    w = max(10, (n1 + 1) // 10)  # gaps on each side that set the local spacing
    size = [1] * (g.ndim - 1) + [2 * w + 1]
    local = median_filter(g, size=size, mode="mirror")  # (..., n - 1)
    # a floor for runs of tied values (a point mass), whose median spacing is 0: a tenth of
    # the mean spacing, far below any gap that separates bands
    floor = 0.1 * (sorted_x[..., -1:] - sorted_x[..., :1]) / max(n1, 1)
    ratio = (g / np.maximum(local, np.maximum(floor, 1e-300)))[
        ..., min_size - 1 : n1 - min_size + 1
    ]
    return ratio.max(-1), ratio.argmax(-1) + min_size - 1


def count_bands(
    values: np.ndarray,
    *,
    seed: int = 0,
    alpha: float = 0.01,
    resamples: int = 200,
    min_fraction: float = 0.05,
) -> int:
    """The number of bands the values fall into along their axis: groups separated by gaps that
    a single smooth (unimodal) cloud of the same values would not show.

    The statistic is the widest gap between sorted neighbours over the median spacing around
    it, among gaps that leave at least ``min_fraction`` of the values (and 3) on each side. Its
    null distribution is resampled from the smoothest unimodal description of the data: the
    Gaussian kernel density at the critical bandwidth (Silverman's smoothed bootstrap, variance
    corrected), so a cloud of any shape, uniform or skewed, sets its own threshold. A gap with
    p < ``alpha`` splits the values and each side is tested again. Returns 1 for fewer than
    2 x 3 values or constant ones.

    Measured (tests/test_detectors.py; 100 draws): three equal Gaussian bands 10 standard
    deviations apart are counted as 3 in 91% of draws at 30 values, 96% at 100 and all of 40
    at 400 (20 apart: 98% at 30 and 100); one Gaussian cloud, a uniform spread and an
    exponential one as 1 in 98-100%.

    Args:
        values: (n,) samples, e.g. a loss curve's detrended values; non-finite ones are dropped.
        seed: seeds the resampling.
        alpha: the test level of each split.
        resamples: draws of the resampled null.
        min_fraction: the smallest band, as a fraction of all values.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> count_bands(np.concatenate([rng.normal(m, 1, 40) for m in (0, 20, 40)]))
        3
        >>> count_bands(rng.uniform(size=120))
        1

    References: Silverman (1981), "Using kernel density estimates to investigate
    multimodality", JRSS B 43.
    """
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    x = x[np.isfinite(x)]
    min_size = max(3, int(np.ceil(min_fraction * len(x))))
    return _bands(x, np.random.default_rng(seed), alpha, resamples, min_size)


def _bands(x: np.ndarray, rng: np.random.Generator, alpha: float, draws: int, m: int) -> int:
    if len(x) < 2 * m or x[-1] == x[0]:
        return 1
    stat, at = _gap_ratios(x, m)
    h = _critical_bandwidth(x)
    mean, var = x.mean(), x.var()
    idx = rng.integers(0, len(x), (draws, len(x)))
    noise = h * rng.standard_normal((draws, len(x)))
    null = mean + (x[idx] - mean + noise) / np.sqrt(1 + h * h / var)  # (draws, n)
    null_stat, _ = _gap_ratios(np.sort(null, -1), m)
    p = (1 + np.sum(null_stat >= stat)) / (draws + 1)
    if p >= alpha:
        return 1
    cut = int(at) + 1
    return _bands(x[:cut], rng, alpha, draws, m) + _bands(x[cut:], rng, alpha, draws, m)


def count_local_minima(values: np.ndarray, *, prominence: float = 0.01) -> int:
    """Local minima of a sampled curve that rise by at least ``prominence`` x the curve's range
    on both sides before a lower point (scipy's peak prominence), so that rounding wiggles and
    noise far below that depth do not count. A flat curve has none; the ends never count.

    Example:
        >>> x = np.linspace(0, 3, 301)
        >>> count_local_minima(np.cos(2 * np.pi * x))  # wells at x = 0.5, 1.5, 2.5
        3
    """
    y = np.asarray(values, dtype=np.float64)
    span = float(np.ptp(y)) if len(y) else 0.0
    if span == 0.0:
        return 0
    peaks, _ = find_peaks(-y, prominence=prominence * span)
    return len(peaks)


def basin_width(f: np.ndarray, grad: np.ndarray, target: float) -> tuple[float, float]:
    """Distances below and above ``target`` over which -grad points at it without interruption.

    ``f``: (n,) sorted points; ``grad``: (n,) the gradient there. The basin ends at the first
    point on each side, counted outward from the target, whose gradient sign does not point at
    the target (a zero gradient does not point).

    Example:
        >>> f = np.linspace(-1, 1, 201)
        >>> basin_width(f, np.where(np.abs(f) < 0.305, f, -f), 0.0)  # points at 0 within 0.3
        (0.3, 0.3)
    """
    toward = np.sign(grad) == np.sign(f - target)
    above = np.flatnonzero(f > target)
    below = np.flatnonzero(f < target)[::-1]  # nearest first
    widths = []
    for idx in (below, above):
        stop = int(np.argmin(np.r_[toward[idx], False]))  # first point that does not point at f*
        widths.append(round(float(abs(f[idx[stop - 1]] - target)), 12) if stop else 0.0)
    return widths[0], widths[1]


def count_reversals(values: np.ndarray, *, tol: float = 0.0) -> int:
    """Steps of a sampled curve against its overall trend (first to last value) larger than
    ``tol``: the teeth of a sawtooth on a rising or falling curve; 0 for a monotone one.

    Example:
        >>> count_reversals(np.arange(20) % 5 + 0.1 * np.arange(20))  # 3 drops on a rise
        3
    """
    y = np.asarray(values, dtype=np.float64)
    d = np.diff(y)
    trend = np.sign(y[-1] - y[0]) or 1.0
    return int(np.sum((np.sign(d) == -trend) & (np.abs(d) > tol)))
