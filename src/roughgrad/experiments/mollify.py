"""Mollification: the write-up's bump applied to a loss curve and to voltage traces.

Question: write-up 003 smooths a jagged loss curve by convolving it with the normalised bump
phi(x) = k exp(1 / (x^2 - 1)) (compact support, integral 1), and smooths spikes by applying
the same mollifier to voltage traces over time (c = 10 steps, repeatedly), alongside a raster
of 1000 noisy neurons with the same input weight over 10,000 steps. How much smoother do the
curve and the traces get?

Claims checked:
  loss_curve_smoothed      mollifying the single neuron's zoomed loss curve (hh-silence's
                           setting) at least halves its departure from smooth (residual RMS)
                           while its mean changes by < 1% (the integral is kept);
  spikes_smoothed          after the repeated applications of the mollifier (c steps) the
                           trace's largest |dV/dt| is at most half the raw trace's (a spike's
                           upstroke lasts ~0.5 ms: a radius much shorter than that leaves it
                           nearly as steep). Measured: at the write-up's c = 10 steps of 0.01 ms
                           three applications leave 81% of the raw slope (does not hold); a
                           0.5 ms radius (c = 50) leaves 29%;
  noisy_raster_desynchronised  identical noisy neurons drift apart: the last spike all of them
                           reach is spread over more than 1 ms.

(That the normalised bump integrates to 1 is an identity: tests/test_landscape.py checks it.)

Source: write-up 003, "Mollification" (Mollifying Loss Curve; Mollifying Voltages).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from roughgrad.experiments.base import (
    Claim,
    ClaimSpec,
    ConfigBase,
    Context,
    Experiment,
    Floor,
    Outcome,
    counterexample,
    param,
)
from roughgrad.landscape import mollify, residual_rms
from roughgrad.neurons import Network, Readout, simulate
from roughgrad.neurons.hh import MAX_DT


@dataclass(frozen=True)
class Config(ConfigBase):
    neurons: int = param(1000, "noisy neurons in the raster", ge=2)
    steps: int = param(10_000, "time steps of the raster simulation", ge=100)
    dt: float = param(0.01, "time step (ms); stable up to 0.1", gt=0, le=MAX_DT["exponential"])
    w: float = param(1.0, "the shared input weight (I = w * i0)", gt=0)
    i0: float = param(10.0, "input current per unit weight (uA/cm^2)", gt=0)
    noise_std: float = param(
        10.0,
        "current noise (uA/cm^2: its per-step std at dt 0.01 ms; scaled by sqrt(0.01 / dt))",
        ge=0,
    )
    c_steps: int = param(10, "voltage mollifier radius (time steps)", ge=1)
    repeats: int = param(3, "repeated applications of the voltage mollifier", ge=1)
    curve_points: int = param(400, "points of the zoomed loss curve (w in [0.5, 0.75])", ge=20)
    curve_tau_ms: float = param(1000.0, "loss window of the curve (ms)", gt=0)
    curve_dt: float = param(0.05, "time step of the curve's simulations (ms)", gt=0)
    curve_width: float = param(0.01, "bump radius for the loss curve (units of w)", gt=0)


PROFILES = {
    "quick": {"neurons": 200, "steps": 4000, "curve_points": 200, "curve_tau_ms": 300.0},
    "default": {},
    "full": {"curve_dt": 0.01},
}


def run(config: Config, ctx: Context) -> Outcome:
    gen = ctx.generator(config.seed)
    ctx.progress.log(f"mollify: {config.neurons} noisy neurons x {config.steps} steps")
    raster = simulate(
        "hh",
        Network(noise_std=config.noise_std),
        torch.full((config.neurons,), config.w, device=ctx.device) * config.i0,
        steps=config.steps,
        dt=config.dt,
        generator=gen,
        record=["v", "spikes"],
    )
    assert raster.v is not None and raster.spikes is not None  # both recorded
    v = raster.v.cpu().numpy()  # (T, N)
    spikes = raster.spikes.cpu().numpy()
    t_ms = np.arange(1, config.steps + 1) * config.dt
    trace = v[:, 0].astype(np.float64)
    smoothed = [trace]
    for _ in range(config.repeats):  # the write-up's repeated application
        smoothed.append(mollify(smoothed[-1], t_ms, config.c_steps * config.dt))
    max_slopes = [float(np.abs(np.diff(s)).max() / config.dt) for s in smoothed]
    counts = spikes.sum(0)
    fired = counts > 0
    k = int(counts.min())  # the last spike index every neuron reached
    if k >= 1:
        kth = np.array([np.flatnonzero(spikes[:, j])[k - 1] for j in range(spikes.shape[1])])
        spread = float((kth.max() - kth.min()) * config.dt)  # one index lookup per neuron
    else:
        spread = 0.0

    w_zoom = np.linspace(0.5, 0.75, config.curve_points)
    curve = (
        simulate(
            "hh",
            Network(readout=Readout("sigmoid")),
            torch.as_tensor(w_zoom, dtype=torch.float32, device=ctx.device) * 68.0,
            steps=round(config.curve_tau_ms / config.curve_dt),
            dt=config.curve_dt,
        )
        .output_mean.cpu()
        .numpy()
        .astype(float)
    )
    curve_m = mollify(curve, w_zoom, config.curve_width)
    r_raw, r_moll = residual_rms(curve), residual_rms(curve_m)
    mean_change = abs(curve_m.mean() - curve.mean()) / abs(curve.mean())
    metrics = {
        "residual_rms_curve": r_raw,
        "residual_rms_curve_mollified": r_moll,
        "curve_mean_change": mean_change,
        "max_dvdt_raw": max_slopes[0],
        "max_dvdt_mollified": max_slopes[1:],
        "first_spike_spread_ms": spread,
        "neurons_fired": int(fired.sum()),
    }
    claims = [
        Claim(
            "loss_curve_smoothed",
            r_moll * 2 <= r_raw and mean_change < 0.01,
            f"residual RMS {r_raw:.2e} -> {r_moll:.2e} (bump radius {config.curve_width:g}); "
            f"mean changed by {mean_change:.2%}",
        ),
        Claim(
            "spikes_smoothed",
            max_slopes[-1] <= 0.5 * max_slopes[0],
            f"largest |dV/dt| (mV/ms) raw then after each application of a "
            f"{config.c_steps * config.dt:g} ms radius: "
            + ", ".join(f"{s:.1f}" for s in max_slopes)
            + f" ({max_slopes[-1] / max_slopes[0]:.0%} of the raw slope)",
        ),
        Claim(
            "noisy_raster_desynchronised",
            spread > 1.0,
            f"spike number {k} of {config.neurons} identical noisy neurons spreads over "
            f"{spread:.2f} ms",
        ),
    ]
    show = min(config.neurons, 200)
    arrays = {
        "t_ms": t_ms,
        "raster_t": np.nonzero(spikes[:, :show])[0] * config.dt,
        "raster_n": np.nonzero(spikes[:, :show])[1],
        "traces": v[:, :3].T,
        "smoothed": np.stack(smoothed),
        "w_zoom": w_zoom,
        "curve": curve,
        "curve_mollified": curve_m,
    }
    return Outcome(metrics, claims, arrays)


def figures(outcome: Outcome, config: Config) -> dict:
    import matplotlib.pyplot as plt

    a = outcome.arrays
    fig, axs = plt.subplots(2, 2, figsize=(13, 7))
    axs[0, 0].plot(a["raster_t"], a["raster_n"], "|", ms=2, color="k")
    axs[0, 0].set(xlabel="t (ms)", ylabel="neuron", title="raster: identical noisy neurons")
    for tr in a["traces"]:
        axs[0, 1].plot(a["t_ms"], tr, lw=0.6)
    axs[0, 1].set(xlabel="t (ms)", ylabel="V (mV)", title="example traces")
    i = int(np.argmax(a["smoothed"][0] > 0))
    lo, hi = max(i - 300, 0), min(i + 300, len(a["t_ms"]))
    for k, s in enumerate(a["smoothed"]):
        axs[1, 0].plot(a["t_ms"][lo:hi], s[lo:hi], lw=1, label="raw" if k == 0 else f"x{k}")
    axs[1, 0].set(
        xlabel="t (ms)",
        ylabel="V (mV)",
        title=f"first spike, mollified (c = {config.c_steps} steps) repeatedly",
    )
    axs[1, 0].legend(fontsize=8)
    axs[1, 1].plot(a["w_zoom"], a["curve"], lw=0.7, label="loss (one neuron)")
    axs[1, 1].plot(a["w_zoom"], a["curve_mollified"], lw=1.5, label="mollified")
    axs[1, 1].set(xlabel="w", ylabel="loss", title="zoomed loss curve and its mollification")
    axs[1, 1].legend(fontsize=8)
    fig.tight_layout()
    return {"mollify": fig}


CLAIMS = (
    ClaimSpec(
        "loss_curve_smoothed",
        "mollifying the zoomed loss curve halves its residual RMS and keeps its mean to 1%",
        (
            counterexample(
                "a bump narrower than the grid spacing is the identity", curve_width=1e-5
            ),
        ),
        controls=("test_detectors.py::test_residual_rms_measures_roughness",),
    ),
    ClaimSpec(
        "spikes_smoothed",
        "the repeated voltage mollifier at least halves the largest |dV/dt|",
        (counterexample("a one-step radius (0.01 ms) barely touches the upstroke", c_steps=1),),
        controls=(
            "test_detectors.py::test_mollifier_halves_a_spikes_slope",
            "test_detectors.py::test_mollifier_keeps_a_slow_ramps_slope",
        ),
    ),
    ClaimSpec(
        "noisy_raster_desynchronised",
        "identical noisy neurons' last common spike is spread over more than 1 ms",
        (counterexample("without noise identical neurons stay in step", noise_std=0.0),),
    ),
)

EXPERIMENT = Experiment(
    source="write-up 003, 'Mollification'",
    summary="the bump mollifier on an HH loss curve and on voltage traces; a noisy raster",
    config_cls=Config,
    profiles=PROFILES,
    run=run,
    figures=figures,
    doc=__doc__ or "",
    claims=CLAIMS,
    health=(Floor("neurons of the raster that fire", lambda m: m["neurons_fired"], 1),),
    alone="its HH populations use every core",
)
