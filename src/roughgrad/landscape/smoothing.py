"""Mollifying sampled curves and surfaces, and measuring how rough they are.

``mollify`` convolves samples with the write-up's normalised bump (compact support) or a Gaussian,
renormalising the kernel at the edges (where part of it falls outside the samples) so that a
constant stays exactly constant. ``total_variation`` and ``high_frequency_fraction`` turn
"1 trial vs 10 trials" or "10 ms vs 100 ms" into numbers.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.signal import fftconvolve

from roughgrad.estimators._kernels import bump_profile


def _kernel(h: float, width: float, kernel: str) -> np.ndarray:
    if width <= 0:
        raise ValueError(f"width must be > 0, got {width}")
    if kernel == "bump":
        half = int(np.floor(width / h))
        t = np.arange(-half, half + 1) * h / width
        k = bump_profile(t)
    elif kernel == "gaussian":
        half = int(np.ceil(4 * width / h))
        t = np.arange(-half, half + 1) * h / width
        k = np.exp(-0.5 * t * t)
    else:
        raise ValueError(f"kernel must be 'bump' or 'gaussian', got {kernel!r}")
    if k.sum() <= 0:  # width below one grid step: the identity
        k = np.ones(1)
    return k / k.sum()  # normalised on the grid: the discrete integral is 1


def mollify(
    values: np.ndarray,
    coords: np.ndarray | tuple[np.ndarray, np.ndarray],
    width: float,
    kernel: Literal["bump", "gaussian"] = "bump",
) -> np.ndarray:
    """Convolve a uniformly sampled curve (K,) or surface (K, L) with a normalised kernel.

    Args:
        values: samples; coords: the (uniform) grid, or a pair of grids for a surface.
        width: the bump's radius or the Gaussian's std, in coordinate units.
        kernel: "bump" (write-up 003's mollifier) or "gaussian".

    Returns:
        The mollified samples, same shape. The kernel is renormalised where it overhangs the
        ends, so constants are preserved exactly and there are no "ghost point" artefacts.
    """
    values = np.asarray(values, dtype=np.float64)
    grids = (coords,) if values.ndim == 1 else tuple(coords)
    kernels = []
    for g in grids:
        g = np.asarray(g, dtype=np.float64)
        h = float(np.diff(g).mean()) if len(g) > 1 else 1.0
        if len(g) > 2 and np.ptp(np.diff(g)) > 1e-3 * abs(h):
            raise ValueError("mollify needs uniformly spaced coordinates")
        kernels.append(_kernel(h, width, kernel))
    k = kernels[0] if values.ndim == 1 else np.outer(kernels[0], kernels[1])
    num = fftconvolve(values, k, mode="same")
    den = fftconvolve(np.ones_like(values), k, mode="same")
    return num / den


def total_variation(values: np.ndarray) -> float:
    """sum |y_{i+1} - y_i| of a sampled curve."""
    return float(np.abs(np.diff(np.asarray(values, dtype=np.float64))).sum())


def residual_rms(values: np.ndarray, window: int = 11) -> float:
    """RMS distance of a sampled curve from its own moving average over ``window`` points.

    Unlike the total variation, this falls when many small jumps replace a few large ones (the
    effect of averaging trials: k trials give ~k times more jumps, each ~1/k as large, so the
    total variation stays put while the curve's departure from smooth drops like 1/sqrt(k)).
    """
    y = np.asarray(values, dtype=np.float64)
    if window < 3 or window % 2 == 0:
        raise ValueError(f"window must be odd and >= 3, got {window}")
    k = np.ones(window) / window
    smooth = np.convolve(y, k, mode="same") / np.convolve(np.ones_like(y), k, mode="same")
    inner = slice(window // 2, len(y) - window // 2)
    return float(np.sqrt(np.mean((y - smooth)[inner] ** 2)))


def high_frequency_fraction(values: np.ndarray, cutoff: float = 0.1) -> float:
    """Fraction of the detrended curve's spectral energy above ``cutoff`` x Nyquist.

    A straight line (plus noise-free curvature) scores near 0; white noise near 1 - cutoff.
    """
    y = np.asarray(values, dtype=np.float64)
    x = np.arange(len(y))
    y = y - np.polyval(np.polyfit(x, y, 1), x)  # remove the trend
    power = np.abs(np.fft.rfft(y)) ** 2
    if power.sum() == 0:
        return 0.0
    freqs = np.fft.rfftfreq(len(y))  # cycles per sample, Nyquist 0.5
    return float(power[freqs > cutoff * 0.5].sum() / power.sum())
