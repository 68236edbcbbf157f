"""The loss landscape of turning one Hodgkin-Huxley neuron off.

Question: one neuron receives w * I0 and the loss is its mean output over tau = 1 s
(L(w) = mean_t a(t), a(t) = sigmoid(V / 2 mV): on only during full spikes). How does L depend
on w? The write-up found a
bifurcation where firing stops, a loss that is chaotic at the micro scale with jumps when the
spike count changes (zoom on [0.5, 0.75]), and a nearly straight curve once the loss is
averaged over N_trials = 10 noisy neurons.

Claims checked:
  bifurcation_found      above some w in the range the neuron stops firing (depolarisation
                         block) and the loss drops to ~0;
  single_trial_jumps     the noiseless zoomed curve is a sawtooth: it jumps against its trend
                         >= 5 times. (Measured alongside: how many of those jumps coincide with
                         a change of the spike count, which the write-up names as their cause;
                         here most do not -- they come from the last spike's timing at the end
                         of the window.)
  trials_smooth_curve    the write-up's point: the mean of 10 noisy trials departs from a smooth
                         curve (residual RMS in the zoom) less than half as much as the
                         noise-free single trial does -- noise desynchronises the trials, so
                         their jumps average out. (That the mean of N independent trials has
                         1/sqrt(N) of one trial's noise is statistics, reported as a rate,
                         not claimed.)

Source: write-up 003, "Most Simple Case" (Loss Landscape: Full Single Trial, Zoom Single Trial,
N_trials = 10).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
from roughgrad.landscape import count_reversals, residual_rms, total_variation
from roughgrad.neurons import Network, Readout, simulate
from roughgrad.neurons.hh import MAX_DT
from roughgrad.objectives import NeuronObjective


@dataclass(frozen=True)
class Config(ConfigBase):
    i0: float = param(68.0, "input current per unit weight (uA/cm^2): I = w * i0", gt=0)
    w_max: float = param(2.5, "full range: w in [0, w_max]", gt=0)
    w_points: int = param(501, "points on the full range", ge=10)
    zoom: tuple[float, ...] = param((0.5, 0.75), "zoomed w interval (lo, hi)", ge=0, interval=True)
    zoom_points: int = param(400, "points in the zoom", ge=20)
    trials: int = param(10, "noisy trials averaged per point", ge=2)
    noise_std: float = param(
        10.0,
        "current noise of the noisy trials (uA/cm^2 per step at dt 0.01 ms; scaled by "
        "sqrt(0.01 / dt))",
        ge=0,
    )
    tau_ms: float = param(1000.0, "loss window tau (ms)", gt=0)
    dt: float = param(0.01, "time step (ms); stable up to 0.1", gt=0, le=MAX_DT["exponential"])
    output: Literal["sigmoid", "trace"] = param(
        "sigmoid", "a(t): sigmoid of V (on during spikes) or the spike-triggered trace"
    )


PROFILES = {
    "quick": {"w_points": 101, "zoom_points": 200, "tau_ms": 300.0, "dt": 0.05},
    "default": {"dt": 0.05},
    "full": {},
}


def loss_curves(config: Config, ctx: Context) -> dict[str, np.ndarray]:
    """Noiseless L and spike counts on the full range and the zoom; 1 and `trials` noisy."""
    dev = ctx.device
    w_full = torch.linspace(0, config.w_max, config.w_points, device=dev)
    w_zoom = torch.linspace(config.zoom[0], config.zoom[1], config.zoom_points, device=dev)
    noisy = w_zoom.repeat(config.trials)  # (trials * K,): trial-major
    steps = round(config.tau_ms / config.dt)
    gen = ctx.generator(config.seed)
    readout = Readout(config.output)
    clean = simulate(
        "hh", Network(readout=readout), torch.cat([w_full, w_zoom]) * config.i0, steps=steps,
        dt=config.dt,
    )  # fmt: skip
    noise = simulate(
        "hh", Network(readout=readout, noise_std=config.noise_std), noisy * config.i0,
        steps=steps, dt=config.dt, generator=gen,
    )  # fmt: skip
    k = config.w_points
    per_trial = noise.output_mean.reshape(config.trials, -1).cpu().numpy()
    return {
        "w_full": w_full.cpu().numpy(),
        "w_zoom": w_zoom.cpu().numpy(),
        "loss_full": clean.output_mean[:k].cpu().numpy(),
        "count_full": clean.spike_counts[:k].cpu().numpy(),
        "loss_zoom": clean.output_mean[k:].cpu().numpy(),
        "count_zoom": clean.spike_counts[k:].cpu().numpy(),
        "loss_zoom_1": per_trial[0],
        "loss_zoom_mean": per_trial.mean(0),
    }


def run(config: Config, ctx: Context) -> Outcome:
    ctx.progress.log(
        f"hh-silence: simulating {config.w_points + config.zoom_points} noiseless "
        f"and {config.zoom_points * config.trials} noisy neurons for "
        f"{config.tau_ms:g} ms"
    )
    a = loss_curves(config, ctx)
    firing = a["count_full"] >= 5  # sustained firing, not the few onset spikes of a block
    last = int(np.flatnonzero(firing)[-1]) if firing.any() else -1
    stops = 0 <= last < len(firing) - 1 and not firing[last + 1 :].any()
    w_bif = float(a["w_full"][last + 1]) if stops else float("nan")
    # jumps: steps against the curve's overall trend, and whether the spike count changes there
    # a jump is a step against the trend above float32 round-off of the loss (1e-6 of its
    # largest value), so a smooth curve's rounding wiggles do not count
    diffs = np.diff(a["loss_zoom"])
    trend = np.sign(a["loss_zoom"][-1] - a["loss_zoom"][0]) or 1.0
    tol = 1e-6 * float(np.abs(a["loss_full"]).max())
    reversals = np.flatnonzero((np.sign(diffs) == -trend) & (np.abs(diffs) > tol))  # where
    changes = np.flatnonzero(np.diff(a["count_zoom"]) != 0)
    at_change = (
        np.mean([np.min(np.abs(changes - r)) <= 1 for r in reversals])
        if len(reversals) and len(changes)
        else 0.0
    )
    r0 = residual_rms(a["loss_zoom"])
    r1, rk = residual_rms(a["loss_zoom_1"]), residual_rms(a["loss_zoom_mean"])
    metrics = {
        "max_spike_count_full": int(a["count_full"].max()),
        "bifurcation_w": w_bif,
        "reversals_zoom": len(reversals),
        "spike_count_changes_zoom": len(changes),
        "reversals_at_count_changes": float(at_change),
        "tv_zoom_noiseless": total_variation(a["loss_zoom"]),
        "tv_zoom_1_trial": total_variation(a["loss_zoom_1"]),
        f"tv_zoom_{config.trials}_trials": total_variation(a["loss_zoom_mean"]),
        "residual_rms_noiseless": r0,
        "residual_rms_1_trial": r1,
        f"residual_rms_{config.trials}_trials": rk,
    }
    claims = [
        Claim(
            "bifurcation_found",
            stops and float(a["loss_full"][last + 1 :].max()) < 0.05,
            f"firing stops for w >= {w_bif:.3f} (I = {w_bif * config.i0:.1f} uA/cm^2); "
            f"loss there <= {float(a['loss_full'][last + 1 :].max()) if stops else 0:.4f}",
        ),
        Claim(
            "single_trial_jumps",
            count_reversals(a["loss_zoom"], tol=tol) >= 5,
            f"the noiseless zoomed curve jumps against its trend {len(reversals)} times; "
            f"{at_change:.0%} of the jumps sit where the spike count changes "
            f"({len(changes)} count changes)",
        ),
        Claim(
            "trials_smooth_curve",
            rk < 0.5 * r0,
            f"residual RMS in the zoom: {r0:.2e} noise-free, {rk:.2e} for the mean of "
            f"{config.trials} noisy trials (noise {config.noise_std:g}); one noisy trial "
            f"{r1:.2e}, so averaging cut it by {r1 / max(rk, 1e-300):.2f}x "
            f"(1/sqrt(N) predicts {config.trials**0.5:.2f}x)",
        ),
    ]
    return Outcome(metrics, claims, a)


def figures(outcome: Outcome, config: Config) -> dict:
    import matplotlib.pyplot as plt

    a = outcome.arrays
    fig, axs = plt.subplots(1, 3, figsize=(16, 3.8))
    ax2 = axs[0].twinx()
    axs[0].plot(a["w_full"], a["loss_full"], color="C0", lw=1)
    ax2.plot(a["w_full"], a["count_full"], color="C1", lw=0.8)
    axs[0].set(xlabel="w", ylabel="loss (blue)", title=f"single neuron, tau = {config.tau_ms:g} ms")
    ax2.set_ylabel("spike count (orange)")
    axs[1].plot(a["w_zoom"], a["loss_zoom"], lw=0.8)
    axs[1].set(xlabel="w", ylabel="loss", title="zoom, noiseless single trial")
    axs[2].plot(a["w_zoom"], a["loss_zoom_1"], lw=0.6, label="1 noisy trial")
    axs[2].plot(a["w_zoom"], a["loss_zoom_mean"], lw=1.2, label=f"mean of {config.trials}")
    axs[2].set(xlabel="w", title="zoom: one noisy trial vs the average")
    axs[2].legend(fontsize=8)
    fig.tight_layout()
    return {"loss_curves": fig}


def objective(config: Config, ctx: Context):
    """L(w) of one neuron at the middle of the zoom; trials are independent noisy neurons."""
    obj = NeuronObjective(
        config.i0, round(config.tau_ms / config.dt), config.dt, config.noise_std, config.output
    )
    w0 = 0.5 * (config.zoom[0] + config.zoom[1])
    return obj, {"w": torch.tensor([w0], device=ctx.device)}


CLAIMS = (
    ClaimSpec(
        "bifurcation_found",
        "above some w in the range the neuron stops firing and the loss drops below 0.05",
        (counterexample("w up to 1 stays below the block", w_max=1.0),),
    ),
    ClaimSpec(
        "single_trial_jumps",
        "the noise-free zoomed loss curve jumps against its trend >= 5 times",
        (
            counterexample(
                "below rheobase the neuron is silent and the curve smooth", zoom=(0.0, 0.02)
            ),
        ),
        controls=(
            "test_detectors.py::test_count_reversals_counts_teeth",
            "test_detectors.py::test_count_reversals_ignores_a_monotone_curve",
        ),
    ),
    ClaimSpec(
        "trials_smooth_curve",
        "the mean of N noisy trials is < half as rough as the noise-free single trial",
        (counterexample("without noise the trials are identical copies", noise_std=0.0),),
        controls=("test_detectors.py::test_residual_rms_measures_roughness",),
    ),
)

EXPERIMENT = Experiment(
    source="write-up 003, 'Most Simple Case'",
    summary="L(w) of one HH neuron: a bifurcation, micro-scale chaos, smoothing by trials",
    config_cls=Config,
    profiles=PROFILES,
    run=run,
    figures=figures,
    doc=__doc__ or "",
    claims=CLAIMS,
    health=(
        Floor(
            "the largest spike count along the full sweep (the neuron fires)",
            lambda m: m["max_spike_count_full"],
            5,
        ),
    ),
    objective=objective,
    alone="its HH populations use every core",
)
