"""How well does the write-up's regression recover the BNN's gradient, and where does autodiff's
gradient stop meaning anything?

Question: write-up 003's "BNN Fit S" fits the regression to the second layer of its MNIST BNN and
predicts that with S at least the number of weights (S = 1100 for W2's 1000) the fitted slope
should match autodiff's gradient "almost exactly"; it found a "weird discrepancy" and, in
"Vary STD BNN", an error that changes with the perturbation's standard deviation. Here both
analyses run on the objective that digits-bnn trains -- the mean-membrane readout under
cross-entropy, float64 -- at the network's initialisation, on one batch:

* Fit S: the regression's relative error ||g - g_ad|| / ||g_ad|| and cosine against autodiff's
  gradient g_ad, for W1 and for W2 (one block perturbed at a time, the rest held), against S,
  on the short timeframe (steps x dt_short, where autodiff is trustworthy), plain and with
  ``rescale=True`` (the minimum-norm slope scaled by D / (S - 1) when S - 1 < D);
* Vary STD: W2's error and cosine against sigma at S = ``std_samples``, on the short and on
  the long timeframe (steps x dt_long). Where the loss is smooth, a small sigma recovers the
  gradient; where it is rough, the smoothed gradient and autodiff's point gradient part ways.

Claims checked:
  w2_recovered_at_s_above_d     on the short timeframe, at the smallest S in ``fit_samples``
                                that exceeds W2's size, the regression's W2 error is <= 0.3
                                (the write-up's prediction for S = 1100);
  long_autodiff_disagrees       W2's best cosine (over sigma) between the smoothed estimate
                                and autodiff's gradient is >= 0.2 lower on the long timeframe
                                than on the short one.

Source: write-up 003, "Real Application: MNIST" > "BNN" > "Case 1: Short Timeframe" (S = 1,100
for the second layer, "BNN Fit S", "BNN Fit S Zoom", "Vary STD BNN", "Higher STD")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

from roughgrad.estimators import Autodiff, LocalRegression, cosine, relative_error
from roughgrad.experiments.base import (
    Claim,
    ClaimSpec,
    Context,
    Experiment,
    Floor,
    Outcome,
    counterexample,
    param,
)
from roughgrad.experiments.digits import common as _digits
from roughgrad.experiments.digits.bnn import HHConfig
from roughgrad.objectives import Restricted
from roughgrad.objectives.base import Objective


@dataclass(frozen=True)
class Config(HHConfig):
    batch_size: int = param(10, "training examples in the loss (the write-up: batch 10)", ge=1)
    fit_samples: tuple[int, ...] = param(
        (10, 100, 300, 600, 1100, 2000), "S values of Fit S (the write-up: up to 1100)", ge=2
    )
    fit_sigma: float = param(1e-3, "perturbation std of Fit S", gt=0)
    std_sigmas: tuple[float, ...] = param((1e-4, 1e-3, 1e-2, 1e-1, 1.0), "sigmas of Vary STD", gt=0)
    std_samples: int = param(1100, "S of Vary STD (the write-up's 1100)", ge=2)
    dtype: Literal["float32", "float64"] = param(
        "float64", "precision of the simulations (float64: finite differences at sigma 1e-4)"
    )
    backend: Literal["auto", "torch", "fused"] = param(
        "auto",
        "the perturbed populations' simulator (fused: C loops on the CPU; auto: fused where its "
        "C kernel builds, else torch with a notice)",
    )


PROFILES: dict[str, dict[str, Any]] = {
    "quick": {
        "hidden": 16,
        "steps": 100,
        "max_train": 200,
        "batch_size": 4,
        "fit_samples": (10, 100, 200),
        "std_sigmas": (1e-3, 1.0),
        "std_samples": 200,
    },
    "default": {},
    "full": {"fit_samples": (10, 30, 100, 300, 600, 1000, 1100, 1500, 2000, 3000)},
}


def _objective(config: Config, data, dt: float) -> tuple[Objective, dict]:
    """The trained objective on the first training batch, and the write-up's init, in config's
    precision; autodiff runs on the torch backend (the fused one is forward only)."""
    dtype = getattr(torch, config.dtype)
    net = config.hh_net(dt, backend=config.backend, autograd_backend="torch")
    problem = _digits.make_problem(
        "bnn", data.x_train.shape[1], config.hidden, config.loss, config.ce_gain, net
    )
    b = config.batch_size
    x, y = data.x_train[:b].to(dtype), data.y_train[:b]
    params = problem.init(torch.Generator().manual_seed(config.seed), x.device)
    return problem.objective(x, y), {k: v.to(dtype) for k, v in params.items()}


def _fit(obj, params, name: str, s: int, sigma: float, seed: int):
    """The regression's slope for parameter ``name`` alone (the others held)."""
    est = LocalRegression(sigma=sigma, num_samples=s)
    gen = torch.Generator().manual_seed(seed)
    return est(Restricted(obj, params), {name: params[name]}, generator=gen).grad


def run(config: Config, ctx: Context) -> Outcome:
    data = _digits.load_data(config, ctx)
    metrics: dict = {}
    arrays: dict = {"fit_samples": np.asarray(config.fit_samples, dtype=float)}
    arrays["std_sigmas"] = np.asarray(config.std_sigmas)
    truth = {}
    for label, dt in (("short", config.dt_short), ("long", config.dt_long)):
        obj, params = _objective(config, data, dt)
        truth[label] = (obj, params, Autodiff()(obj, params, generator=torch.Generator()).grad)
        metrics[f"autodiff_norm_w1_{label}"] = float(truth[label][2]["w1"].norm())
        metrics[f"autodiff_norm_w2_{label}"] = float(truth[label][2]["w2"].norm())
    obj, params, true = truth["short"]
    sizes = {w: params[w].numel() for w in ("w1", "w2")}
    metrics.update({f"size_{w}": d for w, d in sizes.items()})
    cases = [(w, s) for w in ("w1", "w2") for s in config.fit_samples]
    for w, s in ctx.progress.track(cases, description="Fit S (short timeframe)"):
        est = _fit(obj, params, w, s, config.fit_sigma, config.seed + s)
        # rescale=True's slope: the same fit times D / (S - 1) when S - 1 < D
        factor = sizes[w] / (s - 1) if s - 1 < sizes[w] else 1.0
        for tag, g in ((f"{w}_s{s}", est), (f"{w}_s{s}_rescaled", {w: est[w] * factor})):
            metrics[f"fit_error_{tag}"] = relative_error(g, true)
            metrics[f"fit_cosine_{tag}"] = cosine(g, true)
        if w == "w2" and s == _first_above(config.fit_samples, sizes["w2"]):
            arrays["w2_estimate"] = est["w2"].cpu().numpy()
            arrays["w2_autodiff"] = true["w2"].cpu().numpy()
    std_cases = [(t, sg) for t in ("short", "long") for sg in config.std_sigmas]
    for t, sg in ctx.progress.track(std_cases, description="Vary STD (W2)"):
        obj, params, true = truth[t]
        est = _fit(obj, params, "w2", config.std_samples, sg, config.seed)
        metrics[f"std_error_{t}_sigma{sg:g}"] = relative_error(est, true)
        metrics[f"std_cosine_{t}_sigma{sg:g}"] = cosine(est, true)
    for key in ("fit_error", "fit_cosine"):
        for w in ("w1", "w2"):
            for suffix in ("", "_rescaled"):
                arrays[f"{key}_{w}{suffix}"] = np.asarray(
                    [metrics[f"{key}_{w}_s{s}{suffix}"] for s in config.fit_samples]
                )
    for key in ("std_error", "std_cosine"):
        for t in ("short", "long"):
            arrays[f"{key}_{t}"] = np.asarray(
                [metrics[f"{key}_{t}_sigma{sg:g}"] for sg in config.std_sigmas]
            )
    return Outcome(metrics, _claims(config, metrics, sizes), arrays)


def _first_above(grid: tuple[int, ...], d: int) -> int | None:
    return min((s for s in grid if s > d), default=None)


def _claims(config: Config, m: dict, sizes: dict[str, int]) -> list[Claim]:
    claims = []
    s = _first_above(config.fit_samples, sizes["w2"])
    if s is not None:
        err = m[f"fit_error_w2_s{s}"]
        claims.append(
            Claim(
                "w2_recovered_at_s_above_d",
                err <= 0.3,
                f"short timeframe ({config.steps * config.dt_short:g} ms), sigma "
                f"{config.fit_sigma:g}, S = {s} > D = {sizes['w2']}: W2 relative error "
                f"{err:.3g}, cosine {m[f'fit_cosine_w2_s{s}']:.3f}; W1 (D = {sizes['w1']}) at "
                f"the same S: error {m[f'fit_error_w1_s{s}']:.3g}, cosine "
                f"{m[f'fit_cosine_w1_s{s}']:.3f}",
            )
        )
    best = {
        t: max(m[f"std_cosine_{t}_sigma{sg:g}"] for sg in config.std_sigmas)
        for t in ("short", "long")
    }
    claims.append(
        Claim(
            "long_autodiff_disagrees",
            best["long"] <= best["short"] - 0.2,
            f"W2, S = {config.std_samples}, best cosine with autodiff over sigma "
            f"{', '.join(f'{sg:g}' for sg in config.std_sigmas)}: "
            f"{best['short']:.3f} at {config.steps * config.dt_short:g} ms, "
            f"{best['long']:.3f} at {config.steps * config.dt_long:g} ms (autodiff gradient "
            f"norm {m['autodiff_norm_w2_short']:.3g} -> {m['autodiff_norm_w2_long']:.3g})",
        )
    )
    return claims


def figures(outcome: Outcome, config: Config) -> dict:
    import matplotlib.pyplot as plt

    a, figs = outcome.arrays, {}
    m = outcome.metrics
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for w, color in (("w1", "C0"), ("w2", "C1")):
        d = m[f"size_{w}"]
        axes[0].loglog(a["fit_samples"], a[f"fit_error_{w}"], "o-", color=color, label=f"{w}")
        axes[0].loglog(
            a["fit_samples"], a[f"fit_error_{w}_rescaled"], "s--", color=color,
            label=f"{w}, rescaled", alpha=0.7,
        )  # fmt: skip
        axes[0].axvline(d, color=color, ls=":", lw=1)
        axes[1].semilogx(a["fit_samples"], a[f"fit_cosine_{w}"], "o-", color=color, label=w)
        axes[1].axvline(d, color=color, ls=":", lw=1, label=f"D({w}) = {d}")
    axes[0].set(xlabel="S", ylabel="relative error vs autodiff", title="error against S")
    axes[1].set(xlabel="S", ylabel="cosine with autodiff", title="direction against S")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(
        f"BNN Fit S: regression vs autodiff, {config.steps * config.dt_short:g} ms, "
        f"sigma {config.fit_sigma:g}, {config.data}"
    )
    fig.tight_layout()
    figs["fit_s"] = fig

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for t, dt in (("short", config.dt_short), ("long", config.dt_long)):
        label = f"{config.steps * dt:g} ms"
        axes[0].loglog(a["std_sigmas"], a[f"std_error_{t}"], "o-", label=label)
        axes[1].semilogx(a["std_sigmas"], a[f"std_cosine_{t}"], "o-", label=label)
    axes[0].set(xlabel="sigma", ylabel="W2 relative error vs autodiff", title="error")
    axes[1].set(xlabel="sigma", ylabel="W2 cosine with autodiff", title="direction")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"Vary STD: W2 regression at S = {config.std_samples}")
    fig.tight_layout()
    figs["vary_std"] = fig

    if "w2_estimate" in a:
        fig, axes = plt.subplots(2, 1, figsize=(11, 4.2), sharex=True, layout="constrained")
        lim = float(np.abs(a["w2_autodiff"]).max())
        for ax, key, title in (
            (axes[0], "w2_autodiff", "autodiff"),
            (axes[1], "w2_estimate", "regression"),
        ):
            im = ax.imshow(a[key], aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set(ylabel="output", title=f"dL/dW2: {title}")
        axes[1].set_xlabel("hidden unit")
        fig.colorbar(im, ax=axes, fraction=0.02)
        figs["w2_gradient"] = fig
    return figs


CLAIMS = (
    ClaimSpec(
        "w2_recovered_at_s_above_d",
        "on the short timeframe, with S just above W2's size, the regression's W2 error <= 0.3",
        (
            counterexample(
                "float32 cannot resolve the loss changes of sigma 1e-6 (measured: error 1)",
                dtype="float32",
                fit_sigma=1e-6,
            ),
            counterexample(
                "sigma 1 on a 10 ms trial leaves the loss's linear range (measured: error 0.9)",
                dt_short=0.1,
                fit_sigma=1.0,
            ),
        ),
    ),
    ClaimSpec(
        "long_autodiff_disagrees",
        "the smoothed W2 gradient's best cosine with autodiff drops by >= 0.2 on the long "
        "timeframe",
        (
            counterexample(
                "a 10 ms 'long' timeframe (100 steps of 0.1 ms) is smooth at sigma 1e-3 "
                "(measured: best cosines 1.000 at 1 ms and at 10 ms)",
                steps=100,
                dt_long=0.1,
            ),
        ),
    ),
)


EXPERIMENT = Experiment(
    source="write-up 003, 'Real Application: MNIST' > 'BNN' (BNN Fit S, Vary STD BNN)",
    summary="regression vs autodiff gradients of the HH classifier: error against S and sigma",
    config_cls=Config,
    profiles=PROFILES,
    run=run,
    figures=figures,
    doc=__doc__ or "",
    claims=CLAIMS,
    health=(
        Floor(
            "autodiff's W2 gradient norm on the short timeframe (the network responds)",
            lambda m: m["autodiff_norm_w2_short"],
            1e-9,
        ),
    ),
    alone="its HH kernels use every core (and its chaotic spikes depend on the thread count)",
)
