"""The digits-bnn figures."""

from __future__ import annotations

import numpy as np

from roughgrad.data.classification import DATASET_TITLES
from roughgrad.experiments.base import (
    Outcome,
)
from roughgrad.experiments.digits import common as _digits
from roughgrad.experiments.digits.bnn.config import Config, _timeframes


def figures(outcome: Outcome, config: Config) -> dict:
    import matplotlib.pyplot as plt

    a, figs = outcome.arrays, {}
    readouts = config.dir_readouts
    fig, axes = plt.subplots(1, len(readouts), figsize=(5.5 * len(readouts), 3.8), squeeze=False)
    for ax, readout in zip(axes[0], readouts, strict=True):
        for dt in config.dir_dts:
            ax.plot(
                a["dir_alpha"],
                a[f"dir_loss_{readout}_dt{dt:g}"],
                lw=1,
                label=f"dt {dt:g} ms ({config.steps * dt:g} ms)",
            )
        ax.set(xlabel="shift of every weight", ylabel="loss", title=f"{readout} readout")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle("BNN loss along one direction (the write-up's Loss Along Dir)")
    fig.tight_layout()
    figs["loss_along_direction"] = fig
    for label, dt, steps in _timeframes(config):
        figs[f"training_{label}"] = _digits.accuracy_figure(
            a,
            config.methods,
            f"BNN on {DATASET_TITLES[config.data]}, {steps * dt:g} ms ({steps} steps of {dt:g} ms)",
            suffix=f"_{label}",
        )
    keys = [
        (f"{m}_{t}", f"{m}, {t}")
        for m in _digits.AUTODIFF
        if m in config.methods
        for t in config.timeframes
    ]
    if keys:  # only when an autodiff method was trained
        figs["autodiff_gradient_norm"] = _digits.grad_norm_figure(
            a, keys, "BNN: autodiff gradient norm per update"
        )
    figs["traces"] = _trace_figure(a, config)
    return figs


def _trace_figure(a: dict, config: Config):
    import matplotlib.pyplot as plt

    dt = float(a["trace_dt"][0]) if "trace_dt" in a else config.dt_long
    t = np.arange(1, len(a["trace_v"]) + 1) * dt
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    hidden = a["trace_v"][:, : config.hidden]
    strongest = np.argsort(a["trace_i_hidden"])[-3:]
    for j in strongest:
        axes[0].plot(
            t, hidden[:, j], lw=0.8, label=f"hidden {j}: {a['trace_i_hidden'][j]:.1f} uA/cm^2"
        )
    out = a["trace_v"][:, config.hidden :]
    for j in range(out.shape[1]):
        axes[1].plot(t, out[:, j], lw=0.8 if j != a["trace_label"][0] else 1.6, label=f"output {j}")
    axes[0].set(xlabel="time (ms)", ylabel="V (mV)", title="hidden neurons (3 most driven)")
    axes[1].set(xlabel="time (ms)", title=f"output neurons (class {a['trace_label'][0]}: thick)")
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=6, ncol=2)
    fig.suptitle(f"One test image through the trained BNN ({len(t) * dt:g} ms)")
    fig.tight_layout()
    return fig
