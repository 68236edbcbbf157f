"""The clock experiment's figures."""

from __future__ import annotations

import numpy as np

from roughgrad.experiments.base import (
    Outcome,
)
from roughgrad.experiments.clock.config import Config
from roughgrad.periodic import (
    DEFAULT_FIELDS,
)


def figures(outcome: Outcome, config: Config) -> dict:
    import matplotlib.pyplot as plt

    a = outcome.arrays
    fig, ax = plt.subplots(figsize=(9, 3.6))
    cols = (*[str(f) for f in a.get("fields", DEFAULT_FIELDS)], "exact match")
    width = 0.8 / len(cols)
    for j, col in enumerate(cols):
        offset = (j - (len(cols) - 1) / 2) * width
        ax.bar(np.arange(len(a["models"])) + offset, a["scores"][:, j], width, label=col)
    ax.set_xticks(np.arange(len(a["models"])), [str(m) for m in a["models"]])
    ax.axhline(1 / 60, color="gray", ls=":", lw=1)
    noise = f", {config.label_noise:.2%} labels corrupted" if config.label_noise else ""
    ax.set(
        ylabel="held-out accuracy",
        ylim=(0, 1.05),
        title=f"Clock Problem over {config.span_years:g} years{noise} (dotted: 1/60)",
    )
    ax.legend(fontsize=8, ncol=4, loc="upper left")
    fig.tight_layout()
    return {"clock_accuracy": fig}
