"""The rnn-frequency-halving figures."""

from __future__ import annotations

import math

import numpy as np

from roughgrad.experiments.base import (
    Outcome,
)
from roughgrad.experiments.rnn_frequency_halving.config import Config


def figures(outcome: Outcome, config: Config) -> dict:
    import matplotlib.pyplot as plt

    fig, axs = plt.subplots(1, 2, figsize=(13, 3.8))
    w = 2 * math.pi / config.points_per_period
    t = np.arange(4 * config.points_per_period)
    axs[0].plot(t, np.sin(w * t), label="input sin(t)")
    axs[0].plot(t, np.sin(config.ratio * w * t), label=f"target sin({config.ratio:g} t)")
    for k in range(4):  # windows one input cycle apart: identical inputs, opposite targets
        axs[0].axvspan(
            k * config.points_per_period,
            k * config.points_per_period + config.seq_len,
            alpha=0.08 * (k % 2 + 1),
            color="gray",
        )
    axs[0].set(xlabel="step", title="windows one cycle apart: same inputs, opposite targets")
    axs[0].legend(fontsize=8)
    styles = {"rnn": "-", "gru": "--", "lstm": ":"}
    for m_i, mode in enumerate(config.modes):
        for cell in config.cells:
            keys = [f"loss_{cell}_{mode}_{s}" for s in range(config.seeds)]
            runs = [outcome.arrays[k] for k in keys if k in outcome.arrays]
            if not runs:
                continue
            med = np.median(np.stack(runs), axis=0)
            k = max(1, len(med) // 100)
            axs[1].plot(
                np.convolve(med, np.ones(k) / k, mode="valid"),
                lw=1.2,
                ls=styles.get(cell, "-"),
                c=f"C{m_i}",
                label=f"{cell}, {mode}",
            )
    axs[1].set(
        xlabel="update",
        ylabel="training MSE",
        yscale="log",
        title="training loss (median over seeds, smoothed)",
    )
    axs[1].legend(fontsize=7, ncol=1, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return {"rnn_training": fig, "rollouts": _rollout_figure(outcome.arrays, config)}


def _rollout_figure(arrays: dict, config: Config):
    import matplotlib.pyplot as plt

    modes = [m for m in config.modes if any(f"rollout_{c}_{m}" in arrays for c in config.cells)]
    fig, axs = plt.subplots(len(modes), 1, figsize=(13, 2.4 * len(modes)), squeeze=False)
    t = np.arange(len(arrays["rollout_target"]))
    # the control's target, sin(w t + phase), from the input's phase at the first two steps
    x = arrays["rollout_input"]
    w = 2 * math.pi / config.points_per_period
    theta0 = math.atan2(x[0], (x[1] - x[0] * math.cos(w)) / math.sin(w))
    control = np.sin(theta0 + w * t + config.control_phase)
    for ax, mode in zip(axs[:, 0], modes, strict=True):
        ax.plot(t, x, c="0.8", lw=1, label="input sin(t)")
        if mode == "control":
            ax.plot(t, control, c="k", lw=2, label=f"target sin(t + {config.control_phase:g})")
            ax.legend(fontsize=7, ncol=5, loc="upper right")
        else:
            label = f"target sin({config.ratio:g} t)"
            ax.plot(t, arrays["rollout_target"], c="k", lw=2, label=label)
        for cell in config.cells:
            if f"rollout_{cell}_{mode}" in arrays:
                ax.plot(t, arrays[f"rollout_{cell}_{mode}"], lw=1, label=f"{cell} (seed 0)")
        ax.axvline(32, c="0.5", ls=":", lw=1)
        ax.set_title(
            f"{mode}: free-running on a held-out sequence (scored after the dotted line)",
            fontsize=9,
            loc="left",
        )
        ax.set_ylim(-1.5, 1.5)
    axs[0, 0].legend(fontsize=7, ncol=5, loc="upper right")
    axs[-1, 0].set_xlabel("step")
    fig.tight_layout()
    return fig
