"""Landscape plots: a line with a band, a plane as filled contours."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from roughgrad.plot.curves import band


def line(
    ax: Axes,
    alphas: np.ndarray,
    mean: np.ndarray,
    std: np.ndarray | None = None,
    *,
    label: str | None = None,
    color: str | None = None,
) -> Axes:
    """Loss along a line; a +-std band when trials were averaged."""
    if std is None or not np.any(std):
        ax.plot(alphas, mean, lw=1.2, label=label, color=color)
    else:
        band(ax, alphas, mean, std, label=label, color=color)
    ax.set_xlabel("alpha (step along the direction)")
    ax.set_ylabel("loss")
    return ax


def plane(
    ax: Axes, alphas: np.ndarray, betas: np.ndarray, values: np.ndarray, *, levels: int = 30
) -> Axes:
    """Filled contours of a (K, L) loss surface over alphas x betas, with a colour bar."""
    cs = ax.contourf(alphas, betas, values.T, levels=levels, cmap="viridis")
    ax.contour(alphas, betas, values.T, levels=levels, colors="k", linewidths=0.2)
    ax.figure.colorbar(cs, ax=ax, label="loss")
    ax.plot([0], [0], "r+", ms=10)
    ax.set(xlabel="alpha (direction 1)", ylabel="beta (direction 2)")
    return ax
