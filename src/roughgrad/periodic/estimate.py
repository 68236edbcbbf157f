"""Estimate the frequencies, amplitudes and phases of a sum of sines from samples.

The answer write-up 000 hoped for ("perhaps a form of Fourier transform would help"): gradient
descent on f cannot find the frequency of sin(f x) because the loss is flat-and-oscillating
everywhere except in a basin of width ~ 4.5 / x_max around f*. A periodogram sees the whole
frequency axis at once, and a coarse-to-fine least-squares refinement then pins f* to the
precision the data allows.

Method (coarse to fine):
  1. keep a window of x around its centre small enough that a spreading-plus-FFT periodogram
     of it covers [0, max_freq]; pick its highest peak (the frequency grid spacing there is
     pi / (4 r0) for window half-width r0);
  2. fit that component by nonlinear least squares on the window; subtract and repeat
     (CLEAN-style) for each of the ``n_components`` components;
  3. double the window and re-fit all components jointly (Levenberg-Marquardt, analytic
     Jacobian) until it spans all samples. Each doubling keeps the frequency error well inside
     the new window's basin (|d omega| r < pi / 4), so the fit never jumps to a side lobe.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from roughgrad.periodic.spectrum import SpreadingGrid, grid_spacing


@dataclass(frozen=True)
class SineFit:
    """y ~ offset + sum_k amplitudes[k] * sin(freqs[k] * x + phases[k]); freqs in rad/unit."""

    freqs: np.ndarray
    amplitudes: np.ndarray
    phases: np.ndarray
    offset: float
    rms_residual: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        phase = np.multiply.outer(x, self.freqs) + self.phases  # (n, K), float64
        return self.offset + np.sin(phase) @ self.amplitudes


def _design(xc: np.ndarray, theta: np.ndarray, k: int):
    w, a, b = theta[:k], theta[k : 2 * k], theta[2 * k : 3 * k]
    phase = np.multiply.outer(xc, w)  # (n, K)
    return w, a, b, np.cos(phase), np.sin(phase)


def _residual(theta: np.ndarray, xc: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    _, a, b, cos, sin = _design(xc, theta, k)
    return cos @ a + sin @ b + theta[-1] - y


def _jacobian(theta: np.ndarray, xc: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    _, a, b, cos, sin = _design(xc, theta, k)
    d_w = xc[:, None] * (-sin * a + cos * b)  # (n, K)
    return np.concatenate([d_w, cos, sin, np.ones((len(xc), 1))], axis=1)


def _refit(theta: np.ndarray, xc: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    if len(xc) <= 3 * k + 1:
        return theta
    sol = least_squares(
        _residual,
        theta,
        jac=_jacobian,
        args=(xc, y, k),
        method="lm",
        xtol=1e-15,
        ftol=1e-15,
        gtol=1e-15,
        max_nfev=200,
    )
    return sol.x


def fit_sines(
    x: np.ndarray,
    y: np.ndarray,
    n_components: int = 1,
    *,
    max_freq: float,
    min_freq: float = 0.0,
    max_grid: int = 2**23,
) -> SineFit:
    """Fit offset + sum of ``n_components`` sines to randomly (or uniformly) sampled data.

    Args:
        x: (n,) sample positions (any order; float64 is used internally).
        y: (n,) values, noise allowed.
        n_components: number of sinusoidal components K.
        max_freq: highest angular frequency searched (rad per unit x).
        min_freq: frequencies below this are ignored in the search (e.g. to skip a trend).
        max_grid: largest FFT used by the coarse search; sets the first window's width.

    Returns:
        A SineFit with (K,) arrays sorted by frequency.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.uniform(-1000, 1000, 4096)
        >>> fit = fit_sines(x, np.sin(31 * x + 0.3), max_freq=100)
        >>> bool(abs(fit.freqs[0] - 31) < 1e-9), round(float(fit.phases[0]), 6)
        (True, 0.3)
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape or len(x) < 3 * n_components + 2:
        raise ValueError(
            f"fit_sines needs x and y of equal length >= {3 * n_components + 2}, got "
            f"{x.shape} and {y.shape}"
        )
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("fit_sines: x and y must be finite (found NaN or inf)")
    if max_freq <= min_freq:
        raise ValueError(f"max_freq={max_freq} must be > min_freq={min_freq}")
    centre = 0.5 * (x.max() + x.min())
    xc = x - centre
    radius = float(np.abs(xc).max())
    r0 = min(radius, max_grid * grid_spacing(max_freq) / 4.0)
    # the first window must hold enough samples to see every component above the noise
    need = min(len(x), 128 * n_components + 128)
    r0 = max(r0, float(np.sort(np.abs(xc))[need - 1]))
    win = np.abs(xc) <= r0
    xw, yw = xc[win], y[win]
    theta = np.array([yw.mean()])
    grid = SpreadingGrid(xw, max_freq, max_size=max_grid)
    omegas = grid.omegas
    for k in range(1, n_components + 1):  # CLEAN: strongest peak of what is left, then refit all
        resid = yw - _residual(theta, xw, np.zeros_like(yw), k - 1)
        power = grid.power(resid)
        power[omegas < min_freq] = 0.0
        w_new = omegas[_top_peaks(power, 1)]
        freqs = np.concatenate([theta[: k - 1], w_new])
        theta = _linear_init(np.concatenate([freqs, np.zeros(2 * k + 1)]), xw, yw, k)
        theta = _refit(theta, xw, yw, k)
    r = r0
    while r < radius:
        r = min(2.0 * r, radius)
        win = np.abs(xc) <= r
        theta = _refit(theta, xc[win], y[win], n_components)
    return _to_fit(theta, xc, y, centre, n_components)


def _top_peaks(power: np.ndarray, k: int, separation: int = 3) -> np.ndarray:
    """Indices of the k highest local maxima of ``power``, at least ``separation`` bins apart."""
    is_max = np.r_[False, (power[1:-1] >= power[:-2]) & (power[1:-1] >= power[2:]), False]
    candidates = np.flatnonzero(is_max)
    chosen: list[int] = []
    for idx in candidates[np.argsort(power[candidates])[::-1]]:
        if all(abs(idx - c) >= separation for c in chosen):
            chosen.append(int(idx))
        if len(chosen) == k:
            break
    if len(chosen) < k:
        raise ValueError(f"found only {len(chosen)} spectral peaks, asked for {k} components")
    return np.array(chosen)


def _linear_init(theta: np.ndarray, xc: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Given the frequencies, solve the amplitudes and offset by linear least squares."""
    w = theta[:k]
    phase = np.multiply.outer(xc, w)
    design = np.concatenate([np.cos(phase), np.sin(phase), np.ones((len(xc), 1))], axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return np.concatenate([w, coef])


def _to_fit(theta: np.ndarray, xc: np.ndarray, y: np.ndarray, centre: float, k: int) -> SineFit:
    w, a, b = theta[:k].copy(), theta[k : 2 * k].copy(), theta[2 * k : 3 * k].copy()
    flip = w < 0  # sin(-w x + p) = sin(w x + pi - p): report positive frequencies
    w[flip] = -w[flip]
    b[flip] = -b[flip]
    amp = np.hypot(a, b)
    # a cos(w xc) + b sin(w xc) = amp sin(w xc + psi); x = xc + centre
    psi = np.arctan2(a, b)
    phases = np.mod(psi - np.mod(w * centre, 2 * np.pi) + np.pi, 2 * np.pi) - np.pi
    order = np.argsort(w)
    rms = float(np.sqrt(np.mean(_residual(theta, xc, y, k) ** 2)))
    return SineFit(w[order], amp[order], phases[order], float(theta[-1]), rms)


EXACT_FIT = 1e-10  # residual variance / data variance below which select_components stops


@dataclass(frozen=True)
class ComponentSelection:
    """The fit ``select_components`` chose, with the criterion of every K it tried."""

    fit: SineFit
    n_components: int
    criterion: dict[int, float]  # K -> BIC (lower is better)


def bic(rss: float, n: int, k: int, penalty: float = 1.0, floor: float = 1e-300) -> float:
    """Bayesian information criterion of a K-sine fit with residual sum of squares ``rss``.

    n log(max(rss, floor) / n) + penalty * (3K + 1) log n: each sine costs a frequency, an
    amplitude and a phase, plus one offset. ``penalty`` scales the cost of a parameter (1 is
    the standard BIC). ``floor`` is the RSS below which a fit counts as exact: without it, on
    noise-free data a spurious component that fits rounding error (rss 1e-26 -> 1e-27) would
    look like a large gain.
    """
    return n * float(np.log(max(rss, floor) / n)) + penalty * (3 * k + 1) * float(np.log(n))


def select_components(
    x: np.ndarray,
    y: np.ndarray,
    *,
    max_freq: float,
    max_components: int = 8,
    penalty: float = 1.0,
    patience: int = 2,
    min_freq: float = 0.0,
) -> ComponentSelection:
    """Fit K = 1, 2, ... sines and keep the K with the lowest BIC (``bic``).

    A component is kept only if it explains more than the log(n) per parameter that fitting
    noise would, and a fit whose residual variance is below ``EXACT_FIT`` of the data's is
    exact (nothing is added to fit rounding error): on sin(x) plus white noise the BIC stays at
    K = 1, on a mixture of three sines it reaches 3, on a sawtooth it keeps adding harmonics up
    to ``max_components``. The search stops after ``patience`` values of K in a row that do not
    improve on the best, and at the first K whose sines include two closer than the span can
    resolve (2 pi / span rad per unit x, the Rayleigh limit): such a pair models a slow drift of
    one cycle (the sunspot cycle's), which it does not continue beyond the data.

    Args:
        x: (n,) sample positions, as for ``fit_sines``.
        y: (n,) sample values.
        max_freq: the highest frequency searched (rad per unit x).
        min_freq: the lowest frequency searched.
        max_components: the largest K tried.
        penalty: multiplies BIC's parameter cost; 0 keeps adding sines while the residual
            falls at all (up to an exact fit or ``max_components``).
        patience: K values without improvement before the search stops.

    Returns:
        A ComponentSelection: the chosen fit, its K and the criterion of every K tried.

    Example:
        >>> x = np.linspace(-50, 50, 1000)
        >>> y = np.sin(x) + np.sin(x / 3) + np.sin(3 * x)
        >>> select_components(x, y, max_freq=20).n_components
        3
    """
    if max_components < 1:
        raise ValueError(f"max_components={max_components} must be >= 1")
    if penalty < 0:
        raise ValueError(f"penalty={penalty} must be >= 0")
    n = len(np.asarray(x).ravel())
    floor = EXACT_FIT * n * float(np.var(y)) + 1e-300  # a fit explaining 1 - 1e-10 is exact
    resolution = 2 * np.pi / max(float(np.ptp(np.asarray(x, dtype=np.float64))), 1e-300)
    fits: dict[int, SineFit] = {}
    scores: dict[int, float] = {}
    best = 1
    for k in range(1, max_components + 1):
        if k > 1 and n < 3 * k + 2:
            break
        try:
            fits[k] = fit_sines(x, y, k, max_freq=max_freq, min_freq=min_freq)
        except ValueError:
            if k == 1:  # bad input (lengths, NaN, frequency range): fit_sines says what
                raise
            break  # fewer spectral peaks than k: nothing more to add
        if k > 1 and np.min(np.diff(np.sort(fits[k].freqs))) < resolution:
            del fits[k]  # two sines closer than the span resolves: one cycle's drift, not two
            break
        scores[k] = bic(fits[k].rms_residual ** 2 * n, n, k, penalty, floor)
        if scores[k] < scores[best]:
            best = k
        elif k - best >= patience:
            break
    return ComponentSelection(fits[best], best, scores)
