"""Line plots shared by the experiments: several traces, a mean with a band."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes


def traces(
    ax: Axes,
    x: np.ndarray,
    ys: np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    max_traces: int = 8,
    logy: bool = False,
    **kwargs,
) -> Axes:
    """Draw up to ``max_traces`` rows of ``ys`` (shape (n, len(x))) against ``x``."""
    ys = np.atleast_2d(ys)
    for i, y in enumerate(ys[:max_traces]):
        ax.plot(x, y, lw=1, label=None if labels is None else labels[i], **kwargs)
    if logy:
        ax.set_yscale("log")
    if labels is not None:
        ax.legend(fontsize=7, ncol=2)
    return ax


def band(
    ax: Axes,
    x: np.ndarray,
    mean: np.ndarray,
    spread: np.ndarray,
    *,
    label: str | None = None,
    color: str | None = None,
) -> Axes:
    """A mean line with a shaded band of +- ``spread``."""
    (line,) = ax.plot(x, mean, lw=1.5, label=label, color=color)
    ax.fill_between(x, mean - spread, mean + spread, alpha=0.25, color=line.get_color(), lw=0)
    return ax
