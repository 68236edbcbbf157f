"""The sin-frequency experiment's figures and its landscape objective."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from roughgrad.experiments.base import (
    Context,
    Outcome,
)
from roughgrad.experiments.sin_frequency.config import Config
from roughgrad.experiments.sin_frequency.fits import _target
from roughgrad.nn import SineSum
from roughgrad.objectives import MinibatchObjective, detached_params


def figures(outcome: Outcome, config: Config) -> dict:
    import matplotlib.pyplot as plt

    from roughgrad.plot import traces

    a = outcome.arrays
    f_star = config.target_freq
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.6))
    traces(ax1, a["steps"], a["sgd_losses"], max_traces=8)
    ax1.set(
        xlabel="SGD step",
        ylabel=f"MSE (mean over {config.log_every} steps)",
        title="SGD loss for 8 random inits (write-up setting)",
    )
    traces(ax2, a["steps"], a["sgd_freqs"], max_traces=8)
    ax2.axhline(f_star, color="k", ls="--", lw=1, label="f*")
    ax2.set(xlabel="SGD step", ylabel="f", title="frequency parameter during SGD")
    ax2.legend()
    fig.tight_layout()

    fig2, axs = plt.subplots(1, 3, figsize=(14, 3.6), sharey=True)
    panels = [
        ("near_freqs", f"SGD from near f*, write-up lr {config.lr:g}"),
        ("near_stable_freqs", "same starts, lr = half the data's stability limit"),
        ("curriculum_freqs", "curriculum from f0 ~ N(0,1): growing input range"),
    ]
    for ax, (key, title) in zip(axs, panels, strict=True):
        traces(ax, a["steps"], np.abs(np.abs(a[key]) - f_star) + 1e-16, max_traces=8, logy=True)
        ax.axhline(config.tolerance, color="k", ls=":", lw=1)
        ax.set(xlabel="step", xscale="log", title=title)
    axs[0].set_ylabel("||f| - f*|  (dotted: tolerance)")
    fig2.tight_layout()

    fig3, ax = plt.subplots(figsize=(7, 3.2))
    names = [str(n) for n in a["rate_names"]]
    ax.bar(names, a["rates"], color=["#c44"] * 3 + ["#4a4", "#48c", "#2a2"])
    ax.set(
        ylim=(0, 1.05),
        ylabel=f"recovery rate ({config.n_inits} inits)",
        title=f"recovering f* = {f_star:g} (amplitude {config.amplitude:g}, phase "
        f"{config.phase:.2g}) from x in [-{config.x_range:g}, {config.x_range:g}]",
    )
    ax.tick_params(axis="x", labelsize=8)
    fig3.tight_layout()
    out = {"sgd_loss_curves": fig, "near_answer_and_curriculum": fig2, "recovery_rates": fig3}
    if "sweep_rates" in a:
        fig4, (ax, hx) = plt.subplots(1, 2, figsize=(12, 3.8), width_ratios=(1.6, 1))
        rates = a["sweep_rates"]  # (M, F, A, P)
        methods = list(zip(a["sweep_methods"], rates, "ovs^D", strict=False))
        for k, (name, r, mk) in enumerate(methods):  # offsets keep coinciding lines visible
            shift = 0.02 * (k - (len(methods) - 1) / 2)
            worst = r.min((1, 2))
            ax.plot(a["sweep_freqs"], worst + shift, marker=mk, label=str(name), alpha=0.85)
        ax.axhline(0.9, color="k", ls=":", lw=1)
        ax.set(
            xscale="log",
            ylim=(-0.08, 1.08),
            xlabel="target frequency f*",
            ylabel=f"recovery rate ({config.n_inits} inits),\nworst over amplitude and phase",
            title=f"which method recovers f*, x in [-{config.x_range:g}, {config.x_range:g}]",
        )
        ax.legend(fontsize=8)
        names = [str(m) for m in a["sweep_methods"]]
        cur = rates[names.index("curriculum")].min(0)  # (A, P): worst over f*
        im = hx.imshow(cur, vmin=0, vmax=1, cmap="RdYlGn", aspect="auto")
        amps, phases = a["sweep_amplitudes"], a["sweep_phases"]
        hx.set_xticks(range(len(phases)), [f"{p:.2g}" for p in phases])
        hx.set_yticks(range(len(amps)), [f"{v:g}" for v in amps])
        for (i, j), v in np.ndenumerate(cur):
            hx.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=9)
        hx.set(
            xlabel="phase (rad)",
            ylabel="amplitude",
            title="curriculum, learned amplitude and phase:\nworst rate over f*",
        )
        fig4.colorbar(im, ax=hx, fraction=0.05)
        fig4.tight_layout()
        out["recovery_sweep"] = fig4
    return out


def objective(config: Config, ctx: Context):
    """sin(f x) regression at f = f* (the minimum); trials are independent minibatches."""
    rng = np.random.default_rng(config.seed)
    x = torch.as_tensor(
        rng.uniform(-config.x_range, config.x_range, (config.n_samples, 1)), device=ctx.device
    )
    y = _target(config, x, ctx.generator(config.seed))
    k = len(config.freqs())
    model = SineSum(k, learn_amplitude_phase=False).double().to(ctx.device)
    with torch.no_grad():
        model.freq.copy_(torch.as_tensor(config.freqs()))
        model.amplitude.copy_(torch.as_tensor(config.amps()))
        model.phase.copy_(torch.as_tensor(config.phases()))
    obj = MinibatchObjective(model, nn.functional.mse_loss, x, y, config.batch_size)
    return obj, detached_params(model)
