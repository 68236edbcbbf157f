"""Loss curves of self-coupled Hodgkin-Huxley neurons: a "multi-function" landscape.

Question: write-up 003 ("Training Complete Graph") connects n neurons all-to-all,
self-connections included, and asks for the loss L = mean output over the timeframe as a
function of the shared weight w. Even one self-coupled neuron gives an "extremely noisy"
curve, and sampling 1000 points in a zoom shows why: the values fall on several distinct bands
(a multi-function), so a derivative in the usual sense is useless, and a regression tangent
only follows the trend.

Setting: every neuron gets a constant drive i_drive; the recurrent input is w times the graded
synaptic trace (tau_syn = 5 ms) of every neuron (W_rec = complete_graph(n, w), plus a small
fixed random spread per edge for n > 1). Synapses are spike-triggered. L = mean sigmoid output
over tau. Strong self-excitation pushes the neuron towards depolarisation block, so L falls in
steps as the spike count drops. The zoom is sampled twice: noise-free (each w has one loss: a
staircase, one step per change of the spike count) and, as the write-up's trials were, with
current noise ``noise_std`` (each sample's spike count varies, so the values spread over
parallel curves, one per spike count).

Claims checked:
  jumps_at_spike_count_changes  in the noise-free zoom, >= 80% of the largest 5% of the jumps
                       between neighbouring w sit where the spike count changes;
  banded_multifunction the noisy zoom is a multi-function: its values, less their running
                       median over a tenth of the zoom (the trend), fall into >= 2 bands
                       (roughgrad.landscape.count_bands: gaps a single smooth cloud of the same
                       values would not show, tested against its resampled null);
  graph_landscape_one_dimensional  the write-up: with randomised connections the graph's
                       landscape is "essentially one dimensional". Two independent draws of
                       the per-edge spread give loss curves L(w) that differ by < 10% of the
                       curve's range over w.

Source: write-up 003, "Training Complete Graph" and "Loss Curves Multi Function".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.ndimage import median_filter

from roughgrad.estimators import kneighbour_slope
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
from roughgrad.landscape import count_bands
from roughgrad.neurons import CurrentSynapse, Network, Readout, complete_graph, simulate
from roughgrad.neurons.hh import MAX_DT


@dataclass(frozen=True)
class Config(ConfigBase):
    i_drive: float = param(10.0, "constant drive to every neuron (uA/cm^2)")
    w_range: tuple[float, ...] = param(
        (-10.0, 40.0), "self-coupling sweep (lo, hi), uA/cm^2", interval=True
    )
    w_points: int = param(401, "points in the sweep", ge=10)
    zoom: tuple[float, ...] = param((15.0, 40.0), "zoomed interval (lo, hi)", interval=True)
    zoom_points: int = param(1000, "points in the zoom (the write-up sampled 1000)", ge=20)
    n: int = param(10, "neurons in the complete graph", ge=2)
    edge_spread: float = param(0.1, "std of the fixed per-edge weight spread (fraction of w)", ge=0)
    noise_std: float = param(
        5.0,
        "current noise of the noisy zoom (uA/cm^2 per step at dt 0.01 ms, scaled by "
        "sqrt(0.01 / dt)); 0: the noisy zoom is noise-free too",
        ge=0,
    )
    tau_ms: float = param(500.0, "timeframe (ms)", gt=0)
    dt: float = param(0.025, "time step (ms); stable up to 0.1", gt=0, le=MAX_DT["exponential"])


PROFILES = {
    "quick": {"w_points": 101, "zoom_points": 300, "tau_ms": 200.0, "n": 5},
    "default": {},
    "full": {"tau_ms": 1000.0, "dt": 0.01},
}


def _simulate_graphs(w_rec: torch.Tensor, config: Config, ctx: Context, noise: float = 0.0):
    """One complete graph per leading index of ``w_rec`` (K, n, n), in one batched simulation,
    with current noise of std ``noise`` (at the reference step)."""
    network = Network(
        w_rec, CurrentSynapse(kind="spike"), readout=Readout("sigmoid"), noise_std=noise
    )
    return simulate(
        "hh",
        network,
        torch.ones(w_rec.shape[0], w_rec.shape[-1], device=ctx.device) * config.i_drive,
        steps=round(config.tau_ms / config.dt),
        dt=config.dt,
        generator=ctx.generator(config.seed + 1) if noise else None,
    )


def _weights(w: np.ndarray, pattern: torch.Tensor, ctx: Context) -> torch.Tensor:
    """W_rec = w * pattern for every w: (K, n, n), or (P*K, n, n) for patterns (P, n, n)."""
    wt = torch.as_tensor(w, dtype=torch.float32, device=ctx.device)
    n = pattern.shape[-1]
    return (wt[:, None, None] * pattern[..., None, :, :]).reshape(-1, n, n)


def _self_coupled(
    w: np.ndarray, config: Config, ctx: Context, noise: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """L(w) and spike counts for one self-coupled neuron per w (1-neuron complete graphs)."""
    pattern = complete_graph(1, 1.0).to(ctx.device)
    res = _simulate_graphs(_weights(w, pattern, ctx), config, ctx, noise)
    return res.output_mean[:, 0].cpu().numpy().astype(float), res.spike_counts[:, 0].cpu().numpy()


def _graph(w: np.ndarray, config: Config, ctx: Context) -> np.ndarray:
    """Mean L(w) (2, K) of n-neuron complete graphs for two independent random spreads per
    edge, simulated in one batch."""
    gen = ctx.generator(config.seed)
    n = config.n
    spread = 1 + config.edge_spread * torch.randn(2, n, n, generator=gen, device=ctx.device)
    pattern = complete_graph(n, 1.0).to(ctx.device) * spread  # (2, n, n)
    res = _simulate_graphs(_weights(w, pattern, ctx), config, ctx)  # (2K, n, n) graphs
    return res.output_mean.mean(-1).reshape(2, len(w)).cpu().numpy()


def run(config: Config, ctx: Context) -> Outcome:
    w_full = np.linspace(config.w_range[0], config.w_range[1], config.w_points)
    w_zoom = np.linspace(config.zoom[0], config.zoom[1], config.zoom_points)
    ctx.progress.log(
        f"hh-complete-graph: {config.w_points + 2 * config.zoom_points} self-coupled "
        f"neurons and {config.w_points} graphs of {config.n}"
    )
    both, counts = _self_coupled(np.concatenate([w_full, w_zoom]), config, ctx)
    loss_full, loss_zoom = both[: config.w_points], both[config.w_points :]
    count_full, count_zoom = counts[: config.w_points], counts[config.w_points :]
    noisy, _ = _self_coupled(w_zoom, config, ctx, config.noise_std)
    graphs = _graph(w_full, config, ctx)  # (2, K): two draws of the edge spread
    loss_graph = graphs[0]

    slope, icept = np.polyfit(w_zoom, loss_zoom, 1)
    window = 2 * (config.zoom_points // 20) + 1  # a tenth of the zoom, odd
    trend = median_filter(noisy, size=window, mode="nearest")
    resid = noisy - trend
    step = w_zoom[1] - w_zoom[0]
    jumps = np.abs(np.diff(loss_zoom))
    median_jump = float(np.median(jumps))
    trend_step = abs(slope) * step
    big = np.argsort(jumps)[-max(1, len(jumps) // 20) :]  # the largest 5% of the jumps
    changes = np.flatnonzero(np.diff(count_zoom) != 0)
    at_change = (
        float(np.mean([np.min(np.abs(changes - j)) <= 1 for j in big])) if len(changes) else 0.0
    )
    bands = count_bands(resid, seed=config.seed)
    graph_range = float(np.ptp(loss_graph))
    draw_gap = float(np.abs(graphs[0] - graphs[1]).max())
    draw_ratio = draw_gap / max(graph_range, 1e-12)
    metrics = {
        "zoom_big_jumps_at_count_changes": at_change,
        "zoom_count_changes": len(changes),
        "zoom_median_jump": median_jump,
        "zoom_trend_per_step": float(trend_step),
        "zoom_regression_slope": float(slope),
        "zoom_bands": bands,
        "full_count_changes": int(np.sum(np.diff(count_full) != 0)),
        "graph_range": graph_range,
        "graph_draw_difference": draw_gap,
    }
    claims = [
        Claim(
            "jumps_at_spike_count_changes",
            at_change >= 0.8,
            f"{at_change:.0%} of the largest 5% of jumps in the zoom sit at one of the "
            f"{len(changes)} changes of the spike count (median jump {median_jump:.2e}, "
            f"tangent change per step {trend_step:.2e})",
        ),
        Claim(
            "banded_multifunction",
            bands >= 2,
            f"{bands} band(s) in the zoom with noise {config.noise_std:g} ({config.zoom_points} "
            f"points less their running median over {window}; count_bands: a gap counts when "
            "its p < 0.01 against 200 draws of the smoothest unimodal cloud of the same values)",
        ),
        Claim(
            "graph_landscape_one_dimensional",
            graph_range > 0 and draw_ratio < 0.1,
            f"two draws of the per-edge spread ({config.edge_spread:g}) differ by at most "
            f"{draw_gap:.3g} = {draw_ratio:.1%} of L's range {graph_range:.3g} over w "
            f"({config.n}-neuron complete graph)",
        ),
    ]
    arrays = {
        "w_full": w_full,
        "loss_full": loss_full,
        "w_zoom": w_zoom,
        "loss_zoom": loss_zoom,
        "tangent": slope * w_zoom + icept,
        "loss_zoom_noisy": noisy,
        "trend_zoom_noisy": trend,
        "local_slope": kneighbour_slope(w_zoom, loss_zoom, 10),
        "loss_graph": loss_graph,
        "loss_graph_draw2": graphs[1],
    }
    return Outcome(metrics, claims, arrays)


def figures(outcome: Outcome, config: Config) -> dict:
    import matplotlib.pyplot as plt

    a = outcome.arrays
    fig, axs = plt.subplots(1, 4, figsize=(20, 3.8))
    axs[0].plot(a["w_full"], a["loss_full"], lw=0.8)
    axs[0].set(xlabel="self-coupling w", ylabel="loss", title="one self-coupled neuron")
    axs[1].plot(a["w_zoom"], a["loss_zoom"], ".", ms=2, label=f"{len(a['w_zoom'])} samples")
    axs[1].plot(a["w_zoom"], a["tangent"], lw=1.5, label="regression tangent")
    axs[1].set(xlabel="w", ylabel="loss", title="zoom, noise-free: a staircase")
    axs[1].legend(fontsize=8)
    if "loss_zoom_noisy" in a:
        axs[2].plot(a["w_zoom"], a["loss_zoom_noisy"], ".", ms=2, label="samples")
        axs[2].plot(a["w_zoom"], a["trend_zoom_noisy"], lw=1.2, label="running median")
        axs[2].legend(fontsize=8)
    axs[2].set(
        xlabel="w",
        title=f"zoom with noise {config.noise_std:g}: "
        f"{outcome.metrics.get('zoom_bands', '?')} band(s)",
    )
    axs[3].plot(a["w_full"], a["loss_graph"], lw=0.8, label="edge spread, draw 1")
    if "loss_graph_draw2" in a:
        axs[3].plot(a["w_full"], a["loss_graph_draw2"], lw=0.8, label="draw 2")
        axs[3].legend(fontsize=8)
    axs[3].set(
        xlabel="w",
        ylabel="mean loss",
        title=f"complete graph of {config.n} neurons (self-connections included)",
    )
    fig.tight_layout()
    return {"complete_graph": fig}


CLAIMS = (
    ClaimSpec(
        "jumps_at_spike_count_changes",
        ">= 80% of the largest 5% of jumps in the noise-free zoom sit at a change of the spike "
        "count",
        (
            counterexample(
                "a zoom below the first count change (w in [15, 18]): the largest steps are the "
                "trend's, none at a count change",
                zoom=(15.0, 18.0),
            ),
        ),
    ),
    ClaimSpec(
        "banded_multifunction",
        "the noisy zoom, less its running median, falls into >= 2 bands (count_bands)",
        (
            counterexample(
                "noise-free trials: each w has one loss, a staircase whose residuals form one band",
                noise_std=0.0,
            ),
        ),
        controls=(
            "test_detectors.py::test_count_bands_finds_separated_bands",
            "test_detectors.py::test_count_bands_finds_one_band_in_a_cloud",
        ),
    ),
    ClaimSpec(
        "graph_landscape_one_dimensional",
        "two random per-edge spreads give L(w) curves within 10% of L's range",
        (counterexample("a per-edge spread of 100% makes the draws differ", edge_spread=1.0),),
    ),
)

HEALTH = (
    Floor(
        "changes of the spike count along the full sweep (the neuron fires, and its count "
        "varies with w)",
        lambda m: m["full_count_changes"],
        5,
    ),
)

EXPERIMENT = Experiment(
    source="write-up 003, 'Training Complete Graph'",
    summary="loss of self-coupled HH neurons in w: noisy, banded (a multi-function)",
    config_cls=Config,
    profiles=PROFILES,
    run=run,
    figures=figures,
    doc=__doc__ or "",
    claims=CLAIMS,
    health=HEALTH,
    alone="its HH populations use every core",
)
