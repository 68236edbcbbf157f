"""The periodic-targets figures."""

from __future__ import annotations

import numpy as np

from roughgrad.experiments.base import (
    Outcome,
)
from roughgrad.experiments.periodic_targets.config import LABELS, Config


def figures(outcome: Outcome, config: Config) -> dict:
    import matplotlib.pyplot as plt

    a = outcome.arrays
    targets, models = [str(t) for t in a["targets"]], [str(m) for m in a["models"]]
    fig, ax = plt.subplots(figsize=(max(7, 1.4 * len(targets)), 4))
    width = 0.8 / len(models)
    floor = 1e-12
    for j, m in enumerate(models):
        ax.bar(
            np.arange(len(targets)) + (j - (len(models) - 1) / 2) * width,
            np.maximum(a["mse"][:, j], floor),
            width,
            label=LABELS.get(m, m),
        )
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(targets)), targets)
    ax.set(ylabel=f"held-out MSE (median over seeds; floor {floor:g})")
    ax.set_title("Held-out MSE per target and model", fontsize=10)
    ax.legend(fontsize=7, ncol=4, loc="upper left")
    fig.tight_layout()

    colours = dict(
        zip(
            ("spectral", "gp", "snake", "sines_ar", "seasonal_naive", "ar_one_step"),
            ("tab:red", "tab:blue", "tab:green", "tab:purple", "tab:orange", "tab:brown"),
            strict=True,
        )
    )
    fig2, axes = plt.subplots(len(targets), 1, figsize=(11, 1.9 * len(targets)))
    for ax2, t in zip(np.atleast_1d(axes), targets, strict=True):
        forecast = f"{t}_pred_sines_ar" in a  # a real series: its forecasts, not snake
        wanted = ("sines_ar", "seasonal_naive", "ar_one_step", "gp") if forecast else colours
        # a forecast exists for the real series only: a synthetic target has no such array
        shown = [m for m in wanted if m in models and f"{t}_pred_{m}" in a]
        x, y, train = a[f"{t}_x"], a[f"{t}_y"], a[f"{t}_train"]
        ax2.scatter(x[train], y[train], s=2, c="0.6", label="training points")
        ax2.plot(x, y, c="k", lw=0.8, ls="--", label="truth")
        for m in shown:
            ax2.plot(x, a[f"{t}_pred_{m}"], c=colours[m], lw=1, label=LABELS.get(m, m))
        lim = 1.6 * float(np.abs(y).max() or 1)
        ax2.set_ylim(-lim, lim)
        j = targets.index(t)
        winner = outcome.metrics.get(f"{t}_winner")
        ax2.set_title(
            f"{t}: held-out MSE "
            + ", ".join(f"{m} {a['mse'][j, models.index(m)]:.2g}" for m in shown)
            + (f"; lowest of all models: {winner}" if winner else ""),
            fontsize=8,
            loc="left",
        )
    for ax2 in np.atleast_1d(axes):
        ax2.legend(fontsize=6, ncol=6, loc="upper right", markerscale=4)
    fig2.tight_layout()
    return {"mse_by_target": fig, "forecasts": fig2}
