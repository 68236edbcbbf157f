"""Loss curves of self-coupled Hodgkin-Huxley neurons: a "multi-function" landscape.

Question: seed 003 ("Training Complete Graph") connects n neurons all-to-all, self-connections
included, and asks for the loss L = mean output over the timeframe as a function of the shared
weight w. Even one self-coupled neuron gives an "extremely noisy" curve, and sampling 1000
points in a zoom shows why: the values fall on several distinct bands (a multi-function), so a
derivative in the usual sense is useless, and a regression tangent only follows the trend.

Setting: every neuron gets a constant drive i_drive; the recurrent input is w times the graded
synaptic trace (tau_syn = 5 ms) of every neuron (W_rec = complete_graph(n, w), plus a small
fixed random spread per edge for n > 1). Synapses are spike-triggered. L = mean sigmoid output
over tau. Strong self-excitation pushes the neuron towards depolarisation block, so L falls in
steps as the spike count drops.

Claims checked:
  jumps_at_spike_count_changes  in the zoom, >= 80% of the largest 5% of the jumps between
                       neighbouring w sit where the spike count changes;
  banded_multifunction the zoom's detrended values fall into >= 2 bands (gaps in the sorted
                       residuals wider than 20x the median gap);
  graph_loss_varies    the n-neuron complete graph's loss changes with w (range > 10% of mean).

Source: seed 003, "Training Complete Graph" and "Loss Curves Multi Function".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from roughgrad.estimators import kneighbour_slope
from roughgrad.experiments._contract import Claim, ConfigBase, Context, Experiment, Outcome, param
from roughgrad.neurons import complete_graph, simulate
from roughgrad.neurons.hh import MAX_DT


@dataclass(frozen=True)
class Config(ConfigBase):
    i_drive: float = param(10.0, "constant drive to every neuron (uA/cm^2)")
    w_range: tuple[float, ...] = param(
        (-10.0, 40.0), "self-coupling sweep (lo, hi), uA/cm^2", interval=True
    )
    w_points: int = param(401, "points in the sweep", ge=10)
    zoom: tuple[float, ...] = param((15.0, 40.0), "zoomed interval (lo, hi)", interval=True)
    zoom_points: int = param(1000, "points in the zoom (the seed sampled 1000)", ge=20)
    n: int = param(10, "neurons in the complete graph", ge=2)
    edge_spread: float = param(0.1, "std of the fixed per-edge weight spread (fraction of w)", ge=0)
    tau_ms: float = param(500.0, "timeframe (ms)", gt=0)
    dt: float = param(0.025, "time step (ms); stable up to 0.1", gt=0, le=MAX_DT["exponential"])


PROFILES = {
    "quick": {"w_points": 101, "zoom_points": 300, "tau_ms": 200.0, "n": 5},
    "default": {},
    "full": {"tau_ms": 1000.0, "dt": 0.01},
}


def _simulate_graphs(w: np.ndarray, pattern: torch.Tensor, config: Config, ctx: Context):
    """One complete graph per w, W_rec = w * pattern (n, n), all in one batched simulation."""
    wt = torch.as_tensor(w, dtype=torch.float32, device=ctx.device)
    w_rec = wt[:, None, None] * pattern  # (K, n, n)
    return simulate(
        torch.ones(len(w), pattern.shape[0], device=ctx.device),
        round(config.tau_ms / config.dt),
        config.dt,
        i_input=config.i_drive,
        w_rec=w_rec,
        output="sigmoid",
        synapse="spike",
    )


def _self_coupled(w: np.ndarray, config: Config, ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """L(w) and spike counts for one self-coupled neuron per w (1-neuron complete graphs)."""
    res = _simulate_graphs(w, complete_graph(1, 1.0).to(ctx.device), config, ctx)
    return res.output_mean[:, 0].cpu().numpy().astype(float), res.spike_counts[:, 0].cpu().numpy()


def _graph(w: np.ndarray, config: Config, ctx: Context) -> np.ndarray:
    """Mean L(w) of an n-neuron complete graph with a fixed random spread per edge."""
    gen = ctx.generator(config.seed)
    spread = 1 + config.edge_spread * torch.randn(
        config.n, config.n, generator=gen, device=ctx.device
    )
    pattern = complete_graph(config.n, 1.0).to(ctx.device) * spread
    return _simulate_graphs(w, pattern, config, ctx).output_mean.mean(-1).cpu().numpy()


def run(config: Config, ctx: Context) -> Outcome:
    w_full = np.linspace(*config.w_range, config.w_points)
    w_zoom = np.linspace(*config.zoom, config.zoom_points)
    ctx.progress.log(
        f"hh-complete-graph: {config.w_points + config.zoom_points} self-coupled "
        f"neurons and {config.w_points} graphs of {config.n}"
    )
    both, counts = _self_coupled(np.concatenate([w_full, w_zoom]), config, ctx)
    loss_full, loss_zoom = both[: config.w_points], both[config.w_points :]
    count_zoom = counts[config.w_points :]
    loss_graph = _graph(w_full, config, ctx)

    slope, icept = np.polyfit(w_zoom, loss_zoom, 1)
    resid = loss_zoom - (slope * w_zoom + icept)
    step = w_zoom[1] - w_zoom[0]
    jumps = np.abs(np.diff(loss_zoom))
    median_jump = float(np.median(jumps))
    trend_step = abs(slope) * step
    big = np.argsort(jumps)[-max(1, len(jumps) // 20) :]  # the largest 5% of the jumps
    changes = np.flatnonzero(np.diff(count_zoom) != 0)
    at_change = (
        float(np.mean([np.min(np.abs(changes - j)) <= 1 for j in big])) if len(changes) else 0.0
    )
    gaps = np.diff(np.sort(resid))
    bands = 1 + int(np.sum(gaps > 20 * max(np.median(gaps), 1e-15)))
    graph_range = float(np.ptp(loss_graph) / max(abs(loss_graph.mean()), 1e-12))
    metrics = {
        "zoom_big_jumps_at_count_changes": at_change,
        "zoom_count_changes": len(changes),
        "zoom_median_jump": median_jump,
        "zoom_trend_per_step": float(trend_step),
        "zoom_regression_slope": float(slope),
        "zoom_bands": bands,
        "graph_relative_range": graph_range,
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
            f"{bands} bands in the detrended zoom ({config.zoom_points} points)",
        ),
        Claim(
            "graph_loss_varies",
            graph_range > 0.1,
            f"loss range / mean over w for the {config.n}-neuron graph: {graph_range:.2f}",
        ),
    ]
    arrays = {
        "w_full": w_full,
        "loss_full": loss_full,
        "w_zoom": w_zoom,
        "loss_zoom": loss_zoom,
        "tangent": slope * w_zoom + icept,
        "local_slope": kneighbour_slope(w_zoom, loss_zoom, 10),
        "loss_graph": loss_graph,
    }
    return Outcome(metrics, claims, arrays)


def figures(outcome: Outcome, config: Config) -> dict:
    import matplotlib.pyplot as plt

    a = outcome.arrays
    fig, axs = plt.subplots(1, 3, figsize=(16, 3.8))
    axs[0].plot(a["w_full"], a["loss_full"], lw=0.8)
    axs[0].set(xlabel="self-coupling w", ylabel="loss", title="one self-coupled neuron")
    axs[1].plot(a["w_zoom"], a["loss_zoom"], ".", ms=2, label=f"{len(a['w_zoom'])} samples")
    axs[1].plot(a["w_zoom"], a["tangent"], lw=1.5, label="regression tangent")
    axs[1].set(xlabel="w", ylabel="loss", title="zoom: a multi-function")
    axs[1].legend(fontsize=8)
    axs[2].plot(a["w_full"], a["loss_graph"], lw=0.8)
    axs[2].set(
        xlabel="w",
        ylabel="mean loss",
        title=f"complete graph of {config.n} neurons (self-connections included)",
    )
    fig.tight_layout()
    return {"complete_graph": fig}


EXPERIMENT = Experiment(
    name="hh-complete-graph",
    source="seed 003, 'Training Complete Graph'",
    summary="loss of self-coupled HH neurons in w: noisy, banded (a multi-function)",
    config_cls=Config,
    profiles=PROFILES,
    run=run,
    figures=figures,
    doc=__doc__ or "",
)
