"""Training curves: validation accuracy against samples seen and wall time, gradient norms, errors
against the number of samples."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes


def accuracy_curves(
    axes: tuple[Axes, Axes],
    runs: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    *,
    log_x: bool = False,
    level: float | None = None,
) -> None:
    """runs: label -> (samples seen, training seconds, accuracy in [0, 1]); left axis against
    samples, right against seconds; chance (10%) dotted, and ``level`` (e.g. 0.95) dashed.
    ``log_x``: logarithmic x axes (the start, at 0, is left out), for runs whose interesting
    part is the first few percent of training."""
    for label, (samples, seconds, acc) in runs.items():
        marker = "." if len(acc) <= 60 else None
        keep = samples > 0 if log_x else slice(None)
        axes[0].plot(samples[keep], 100 * acc[keep], marker=marker, label=label)
        axes[1].plot(seconds[keep], 100 * acc[keep], marker=marker, label=label)
    for ax, xlabel in zip(axes, ("training samples seen", "training wall time (s)"), strict=True):
        ax.axhline(10, color="gray", ls=":", lw=1)
        if level is not None:
            ax.axhline(100 * level, color="gray", ls="--", lw=1)
        ax.set(xlabel=xlabel, ylabel="validation accuracy (%)", ylim=(0, 100))
        if log_x:
            ax.set_xscale("log")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)


def gradient_norms(ax: Axes, runs: Mapping[str, np.ndarray]) -> None:
    """Gradient norm per update (log scale), one line per run."""
    for label, norms in runs.items():
        if len(norms):
            ax.semilogy(np.arange(1, len(norms) + 1), norms, lw=1, label=label)
    ax.set(xlabel="update", ylabel="gradient norm (before clipping)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def error_against_samples(ax: Axes, s: np.ndarray, errors: np.ndarray, d: int) -> None:
    """Relative error of an estimate against S, with S = D (the parameters fitted) marked."""
    ax.semilogy(s, errors, marker="o")
    ax.axvline(d, color="gray", ls=":", label=f"S = D = {d} (weights of W2)")
    ax.set(xlabel="S (perturbed networks)", ylabel="relative error of the W2 gradient")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
