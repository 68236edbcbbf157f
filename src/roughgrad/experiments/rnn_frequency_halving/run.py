"""The rnn-frequency-halving run: every cell, mode and seed, the metrics and the claims."""

from __future__ import annotations

import os
import warnings
from concurrent.futures import as_completed

import numpy as np
import torch

from roughgrad._workers import worker_pool
from roughgrad.experiments.base import (
    Claim,
    Context,
    Margin,
    Outcome,
    at_least,
    binomial_se,
)
from roughgrad.experiments.rnn_frequency_halving.config import CARRIED, Config, _fmt
from roughgrad.experiments.rnn_frequency_halving.train import _job, _signal, reset_floor


def _rate_margins(rates: dict[str, float], seeds: int) -> list[Margin]:
    """Each cell's share of seeds against the bar 80%, with its binomial standard error: with 5
    seeds, 4 of 5 is inside two standard errors of the bar (inconclusive), 5 of 5 clears it."""
    return [at_least(r, 0.8, binomial_se(r, seeds)) for r in rates.values()]


def run(config: Config, ctx: Context) -> Outcome:
    floor = reset_floor(config.ratio)
    target_variance = 0.5  # of sin over whole periods
    if "reset" in config.modes and floor > 0.1 * target_variance:
        message = (
            f"ratio={config.ratio:g}: windows one input period apart have identical inputs but "
            f"different targets, so with the state reset for every window no network can do "
            f"better than MSE {floor:.3f} (predicting the mean of those targets); use "
            f"mode curriculum (stateful training has stayed near predicting 0 in the runs "
            f"measured: docs/results.md)"
        )
        warnings.warn(message, stacklevel=2)
    # one job per (cell, mode): its seeds train as one stacked model; the burn-in and
    # curriculum jobs take longest, so they start first
    order = {"burn_in": 0, "curriculum": 1, "long_windows": 2}
    modes = sorted(config.modes, key=lambda m: order.get(m, 3))
    seeds = list(range(config.seeds))
    jobs = [(c, m, seeds, config) for m in modes for c in config.cells]
    workers = min(config.workers or os.cpu_count() or 1, len(jobs))
    done = {}
    if workers > 1:
        # hidden-32 RNNs gain nothing from intra-op threads; independent jobs use the cores
        with worker_pool(workers) as pool:
            futures = [pool.submit(_job, *job) for job in jobs]
            for fut in ctx.progress.track(
                as_completed(futures), total=len(jobs), description="RNN (cell, mode) jobs"
            ):
                for cell, mode, seed, mse, losses in fut.result():
                    done[(cell, mode, seed)] = (mse, losses)
    else:
        for job in ctx.progress.track(jobs, total=len(jobs), description="RNN (cell, mode) jobs"):
            for cell, mode, seed, mse, losses in _job(*job):
                done[(cell, mode, seed)] = (mse, losses)
    results: dict[tuple[str, str], list[float]] = {}
    drifts: dict[tuple[str, str], list[float]] = {}
    curves = {}
    for cell, mode, seed in ((c, m, s) for c in config.cells for m in config.modes for s in seeds):
        mse, (losses, trace, drift) = done[(cell, mode, seed)]
        results.setdefault((cell, mode), []).append(mse)
        drifts.setdefault((cell, mode), []).append(drift)
        curves[f"loss_{cell}_{mode}_{seed}"] = np.array(losses)
        if seed == 0:
            curves[f"rollout_{cell}_{mode}"] = trace
    gen = torch.Generator().manual_seed(10_000)
    t0 = torch.rand(64, generator=gen)[:1] * config.points_per_period
    curves["rollout_input"], curves["rollout_target"] = (
        v[0, :, 0].numpy() for v in _signal(t0, config.eval_len, config)
    )
    metrics: dict[str, object] = {"target_variance": target_variance, "reset_floor": floor}
    for (cell, mode), vals in results.items():
        metrics[f"mse_{mode}_{cell}"] = vals
        metrics[f"mse_{mode}_{cell}_median"] = float(np.median(vals))
        if mode in CARRIED and config.long_eval:
            metrics[f"long_mse_{mode}_{cell}"] = drifts[(cell, mode)]
    claims = []
    if "reset" in config.modes:
        reset = {c: results[(c, "reset")] for c in config.cells}
        ok = all(
            abs(v - target_variance) <= 0.1 * target_variance
            for vals in reset.values()
            for v in vals
        )
        claims.append(
            Claim(
                "reset_training_collapses",
                ok,
                f"rollout MSE with reset windows (predicting 0 gives {target_variance:.3f}; "
                f"the best a reset-trained network can do is {floor:.3f}): "
                + "; ".join(f"{c} {_fmt(v)}" for c, v in reset.items()),
            )
        )
    if "control" in config.modes:  # the positive control: the run's health, not a claim
        metrics["control_learned_fraction"] = min(
            float(np.mean(np.array(results[(c, "control")]) < 0.01)) for c in config.cells
        )
    for mode, name in (
        ("stateful", "stateful_training_learns"),
        ("burn_in", "burn_in_learns"),
        ("curriculum", "curriculum_learns"),
    ):
        if mode not in config.modes:
            continue
        rates = {c: float(np.mean(np.array(results[(c, mode)]) < 0.01)) for c in config.cells}
        long = ""
        if mode in CARRIED and config.long_eval:
            long = (
                f"; MSE over the last {config.stream_length} of "
                f"{config.long_eval * config.stream_length} free-running steps: "
                + "; ".join(f"{c} {_fmt(drifts[(c, mode)])}" for c in config.cells)
            )
        claims.append(
            Claim.from_margins(
                name,
                _rate_margins(rates, config.seeds),
                f"rollout MSE < 0.01 in >= 80% of seeds for every cell (beyond two binomial "
                f"standard errors over {config.seeds} seeds); {mode}: "
                + "; ".join(
                    f"{c} {rates[c]:.0%} of {_fmt(results[(c, mode)])}" for c in config.cells
                )
                + long,
            )
        )
    if "curriculum" in config.modes and config.long_eval:
        learned = {c: np.array(results[(c, "curriculum")]) < 0.01 for c in config.cells}
        # a seed counts only if it learned (curriculum_learns' condition) and then holds: the
        # claim cannot hold in a run whose networks did not learn
        long_rates = {
            c: float(np.mean(learned[c] & (np.array(drifts[(c, "curriculum")]) < 0.01)))
            for c in config.cells
        }
        claims.append(
            Claim.from_margins(
                "curriculum_holds_long",
                _rate_margins(long_rates, config.seeds),
                f"MSE < 0.01 both over {config.eval_len} steps and over the last "
                f"{config.stream_length} of {config.long_eval * config.stream_length} "
                "free-running steps (16x a training stream) in >= 80% of seeds for every "
                "cell (beyond two binomial standard errors); curriculum: "
                + "; ".join(
                    f"{c} {long_rates[c]:.0%} of {_fmt(drifts[(c, 'curriculum')])} (over "
                    f"{config.eval_len} steps: {_fmt(results[(c, 'curriculum')])})"
                    for c in config.cells
                ),
            )
        )
    return Outcome(metrics, claims, curves)
