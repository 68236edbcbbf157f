"""The gradient-fidelity figures and its landscape objective."""

from __future__ import annotations

import torch
from torch import nn

from roughgrad.data import load_digits_split
from roughgrad.experiments.base import (
    Context,
    Outcome,
)
from roughgrad.experiments.gradient_fidelity.config import Config
from roughgrad.objectives import MinibatchObjective, detached_params


def figures(outcome: Outcome, config: Config) -> dict:
    import matplotlib.pyplot as plt

    a = outcome.arrays
    fig, axs = plt.subplots(1, 3, figsize=(15, 3.8))
    for name in (
        "node_perturbation",
        "gaussian_smoothing",
        "forward_smoothing",
        "local_regression",
        "finite_difference",
    ):
        axs[0].plot(a["samples"], a[f"tanh_{name}_cos"], marker="o", label=name)
    axs[0].set(
        xscale="log",
        xlabel="forward evaluations S",
        ylabel="cosine to autodiff",
        title=f"64-32-10 tanh MLP, sigma {config.sigma:g}",
        ylim=(-0.05, 1.02),
    )
    axs[0].legend(fontsize=7)
    d = outcome.metrics["linear_output_params"]
    axs[1].plot(a["samples"], a["linear_regression_cos"], marker="o")
    axs[1].axvline(d, color="k", ls="--", lw=0.8, label=f"D = {d}")
    axs[1].set(
        xscale="log",
        xlabel="S",
        ylabel="cosine",
        ylim=(-0.05, 1.02),
        title="linear classifier, output layer: regression (FIT S)",
    )
    axs[1].legend(fontsize=8)
    axs[2].plot(a["sigmas"], a["ann_sigma_cos"], marker="o")
    axs[2].set(
        xscale="log",
        xlabel="sigma",
        ylabel="cosine",
        ylim=(-0.05, 1.02),
        title=f"sigmoid ANN output layer, S = {config.sigma_sweep_samples} (Vary STD)",
    )
    fig.tight_layout()
    return {"fidelity": fig}


def objective(config: Config, ctx: Context):
    """The 64-H-10 tanh MLP at initialisation; trials are independent minibatches."""
    data = load_digits_split(device=ctx.device)
    torch.manual_seed(config.seed)
    h = config.tanh_hidden
    model = nn.Sequential(nn.Linear(64, h), nn.Tanh(), nn.Linear(h, 10)).to(ctx.device)
    obj = MinibatchObjective(
        model, nn.functional.cross_entropy, data.x_train, data.y_train, config.batch
    )
    return obj, detached_params(model)
