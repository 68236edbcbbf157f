"""A sweep's per-seed spread of one metric across grid points."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes


def seed_spread(
    ax: Axes, labels: Sequence[str], values: Sequence[Sequence[float]], metric: str
) -> None:
    """One column per grid point: every seed's value as a dot, the mean and ± one std as a bar.

    labels: (P,) grid-point labels; values: P lists of per-seed values (NaN dropped).
    """
    rng = np.random.default_rng(0)  # horizontal jitter only, so overlapping seeds stay visible
    for i, vals in enumerate(values):
        v = np.asarray([x for x in vals if np.isfinite(x)], dtype=float)
        if not len(v):
            continue
        ax.scatter(i + rng.uniform(-0.12, 0.12, len(v)), v, s=14, alpha=0.6, color="C0")
        std = v.std(ddof=1) if len(v) > 1 else 0.0
        ax.errorbar(i + 0.25, v.mean(), yerr=std, fmt="o", color="C3", capsize=4)
    ax.set_xticks(
        range(len(labels)),
        labels,
        rotation=20 if len(labels) > 4 else 0,
        ha="right" if len(labels) > 4 else "center",
    )
    ax.set_xlim(-0.5, len(labels) - 0.5)
    ax.set_ylabel(metric)
    ax.set_title(f"{metric}: seeds (dots), mean ± std (red)")
    ax.grid(alpha=0.3)
