"""The snake experiments' figures: fits, training GIFs, losses."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from roughgrad.experiments.snake.common.config import MODEL_LABELS, TEST_COLOUR, TRAIN_COLOUR


def _scatter_data(ax: plt.Axes, arrays: dict[str, np.ndarray]) -> None:
    x, y = arrays["x"], arrays["y"]
    ax.scatter(x[arrays["train"]], y[arrays["train"]], s=2, c=TRAIN_COLOUR, label="train")
    ax.scatter(x[arrays["test"]], y[arrays["test"]], s=2, c=TEST_COLOUR, label="test")
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)


def _ylim(arrays: dict[str, np.ndarray]) -> tuple[float, float]:
    span = float(np.abs(arrays["y"]).max()) or 1.0
    return -1.6 * span, 1.6 * span


def fit_figure(arrays: dict[str, np.ndarray], metrics: dict[str, Any], title: str) -> plt.Figure:
    """One row per model: the data (train blue, test orange, as in the write-up) and seed 0's
    fit."""
    names = [k[len("pred_") :] for k in arrays if k.startswith("pred_")]
    fig, axes = plt.subplots(len(names), 1, figsize=(12, 1.7 * len(names)), sharex=True)
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, names, strict=True):
        _scatter_data(ax, arrays)
        ax.plot(arrays["x"], arrays[f"pred_{name}"][0], c="k", lw=1, label="model (seed 0)")
        ax.set_ylim(*_ylim(arrays))
        ax.set_title(
            f"{MODEL_LABELS.get(name, name)}: held-out MSE {metrics[f'test_mse_{name}']:.3g}"
            " (median over seeds)",
            fontsize=9,
            loc="left",
        )
    axes[0].legend(loc="upper right", fontsize=7, ncol=3, markerscale=3)
    axes[-1].set_xlabel("x")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def training_gif(arrays: dict[str, np.ndarray], title: str) -> bytes:
    """The write-up's animation: the fit of each animated model (seed 0) as training proceeds."""
    from roughgrad.plot import gif_bytes

    names = [k[len("frames_") :] for k in arrays if k.startswith("frames_")]
    steps = arrays["frame_steps"]

    def frames():
        for i, step in enumerate(steps):
            fig, axes = plt.subplots(len(names), 1, figsize=(10, 2 * len(names)), dpi=72)
            for ax, name in zip(np.atleast_1d(axes), names, strict=True):
                _scatter_data(ax, arrays)
                ax.plot(arrays["x"], arrays[f"frames_{name}"][i], c="k", lw=1.2)
                ax.set_ylim(*_ylim(arrays))
                ax.set_title(f"{MODEL_LABELS.get(name, name)}, step {step}", fontsize=9)
            fig.suptitle(title, fontsize=10)
            fig.tight_layout()
            yield fig

    return gif_bytes(frames(), fps=8)


def loss_figure(arrays: dict[str, np.ndarray]) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(7, 4))
    for key in arrays:
        if key.startswith("loss_"):
            name = key[len("loss_") :]
            ax.semilogy(np.median(arrays[key], axis=1), label=MODEL_LABELS.get(name, name))
    ax.set_xlabel("Adam step")
    ax.set_ylabel("training MSE (median over seeds)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def fit_figures(outcome: Any, title: str) -> dict[str, Any]:
    """The final fit, the training curves and (when frames were recorded) the training GIF."""
    out: dict[str, Any] = {
        "final_fit": fit_figure(outcome.arrays, outcome.metrics, title),
        "training_loss": loss_figure(outcome.arrays),
    }
    if any(k.startswith("frames_") for k in outcome.arrays):
        out["training.gif"] = training_gif(outcome.arrays, title)
    return out
