"""sin(t) -> sin(t/2) with recurrent networks: why they collapse, and training that works.

Question: seed 002 trains an RNN (r_t = sigmoid(W_in x_t + W_rec r_{t-1}), z_t = W_out r_t,
hidden 32) on mini-batches of 16 windows of length 16, hidden state reset for every window,
lr 0.01, and it predicts 0. The answer given there: sin(t) is 2 pi-periodic but sin(t/2) flips
sign every input cycle, so a reset window sees identical inputs with opposite targets and the
MSE-optimal output is 0 (MSE = the target's variance, 0.5). Which training fixes it?

Convention: every sequence starts in the first input cycle (the first half of the target's
period), so the target is determined and the network has to count input cycles.
Modes: reset (the seed's: windows anywhere, state reset); stateful (consecutive windows of a
stream, state carried and detached between them); burn_in (each update runs a random-length
prefix of the stream without gradient, then backpropagates one window); long_windows (whole
windows of long_window steps from the stream start, full BPTT). Evaluation: free-running on
64 held-out sequences of eval_len steps from random starts in the first cycle, MSE after 32
steps. Adam (lr 0.01), gradient norm clipped at 1.

Claims checked:
  reset_training_collapses  with reset windows every cell's rollout MSE is within 10% of the
                            target variance 0.5 (it predicts ~0);
  stateful_training_learns  with carried state, the gated cells (GRU, LSTM) reach rollout
                            MSE < 0.01 in most seeds (reported per cell; the seed's sigmoid
                            RNN is reported separately -- a quick trial here found carried
                            state alone does not rescue it).

Source: seed 002 (the question, its answer, and the comment: "doing more forwards than
backwards").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from roughgrad.experiments._contract import Claim, ConfigBase, Context, Experiment, Outcome, param
from roughgrad.nn import Window, recurrent_model, train_tbptt

MODES = ("reset", "stateful", "burn_in", "long_windows")


@dataclass(frozen=True)
class Config(ConfigBase):
    ratio: float = param(0.5, "target frequency / input frequency", gt=0)
    cells: tuple[str, ...] = param(("rnn", "gru", "lstm"), "cells to train (rnn, gru, lstm)")
    modes: tuple[str, ...] = param(
        ("reset", "stateful"), "training modes (reset, stateful, burn_in, long_windows)"
    )
    seq_len: int = param(16, "backpropagated window length (steps)", ge=2)
    points_per_period: int = param(16, "time steps per input period", ge=4)
    hidden: int = param(32, "hidden units", ge=1)
    batch: int = param(16, "windows per update", ge=1)
    steps: int = param(4000, "updates per run", ge=1)
    lr: float = param(0.01, "Adam learning rate", gt=0)
    stream_length: int = param(256, "steps before a stream restarts (stateful, burn_in)", ge=2)
    long_window: int = param(128, "window length of the long_windows mode", ge=2)
    seeds: int = param(2, "seeds per (cell, mode)", ge=1)
    eval_len: int = param(512, "free-running evaluation length (steps)", ge=64)

    def validate(self) -> None:
        from roughgrad.experiments._contract import ConfigError

        bad = [c for c in self.cells if c not in ("rnn", "gru", "lstm")]
        bad += [m for m in self.modes if m not in MODES]
        if bad:
            raise ConfigError(
                f"unknown cells/modes {bad}; cells: rnn, gru, lstm; modes: {', '.join(MODES)}"
            )


PROFILES = {
    "quick": {"cells": ("gru",), "steps": 300, "seeds": 1, "eval_len": 128},
    "default": {},
    "full": {"modes": MODES, "steps": 5000, "seeds": 5, "eval_len": 1024},
}


def _signal(t0: torch.Tensor, length: int, config: Config) -> tuple[torch.Tensor, torch.Tensor]:
    """x = sin(w t), y = sin(ratio w t) for t = t0 + 0..length-1; (B, T, 1) each."""
    w = 2 * math.pi / config.points_per_period
    t = t0[:, None] + torch.arange(length, dtype=torch.float32)[None]
    return torch.sin(w * t)[..., None], torch.sin(config.ratio * w * t)[..., None]


def _windows(mode: str, config: Config, gen: torch.Generator):
    """The stream of training windows for one mode."""
    p, b, win = config.points_per_period, config.batch, config.seq_len
    t0, pos = None, 0
    for _ in range(config.steps):  # one window per update
        if mode == "reset":  # anywhere on a long signal: inputs are ambiguous
            x, y = _signal(torch.rand(b, generator=gen) * p * 64, win, config)
            yield Window(x, y, reset=True)
        elif mode == "stateful":
            if t0 is None or pos + win > config.stream_length:
                t0, pos = torch.rand(b, generator=gen) * p, 0  # start in the first cycle
                reset = True
            else:
                reset = False
            x, y = _signal(t0 + pos, win, config)
            pos += win
            yield Window(x, y, reset=reset)
        elif mode == "burn_in":
            start = torch.rand(b, generator=gen) * p
            k = int(torch.randint(0, config.stream_length - win + 1, (1,), generator=gen))
            burn, _ = _signal(start, k, config)
            x, y = _signal(start + k, win, config)
            yield Window(x, y, reset=True, burn_in=burn)
        else:  # long_windows
            x, y = _signal(torch.rand(b, generator=gen) * p, config.long_window, config)
            yield Window(x, y, reset=True)


def rollout_mse(model: torch.nn.Module, config: Config, seed: int) -> float:
    gen = torch.Generator().manual_seed(10_000 + seed)
    x, y = _signal(
        torch.rand(64, generator=gen) * config.points_per_period, config.eval_len, config
    )
    with torch.no_grad():
        pred, _ = model(x)
    return float(((pred[:, 32:] - y[:, 32:]) ** 2).mean())


def run(config: Config, ctx: Context) -> Outcome:
    results: dict[tuple[str, str], list[float]] = {}
    curves = {}
    jobs = [(c, m, s) for c in config.cells for m in config.modes for s in range(config.seeds)]
    for cell, mode, seed in ctx.progress.track(jobs, total=len(jobs), description="RNN runs"):
        torch.manual_seed(config.seed + seed)
        model = recurrent_model(cell, config.hidden)
        opt = torch.optim.Adam(model.parameters(), lr=config.lr)
        gen = torch.Generator().manual_seed(config.seed + seed)
        losses = train_tbptt(model, opt, _windows(mode, config, gen))
        results.setdefault((cell, mode), []).append(rollout_mse(model, config, seed))
        curves[f"loss_{cell}_{mode}_{seed}"] = np.array(losses)
    metrics: dict[str, object] = {"target_variance": 0.5}
    for (cell, mode), vals in results.items():
        metrics[f"mse_{mode}_{cell}"] = vals
        metrics[f"mse_{mode}_{cell}_median"] = float(np.median(vals))
    claims = []
    if "reset" in config.modes:
        reset = {c: results[(c, "reset")] for c in config.cells}
        ok = all(abs(v - 0.5) <= 0.05 for vals in reset.values() for v in vals)
        claims.append(
            Claim(
                "reset_training_collapses",
                ok,
                "rollout MSE with reset windows: "
                + "; ".join(f"{c} {_fmt(v)}" for c, v in reset.items()),
            )
        )
    if "stateful" in config.modes:
        gated = [c for c in config.cells if c != "rnn"]
        ok = bool(gated) and all(
            np.mean(np.array(results[(c, "stateful")]) < 0.01) > 0.5 for c in gated
        )
        claims.append(
            Claim(
                "stateful_training_learns",
                ok,
                "rollout MSE with carried state: "
                + "; ".join(f"{c} {_fmt(results[(c, 'stateful')])}" for c in config.cells),
            )
        )
    return Outcome(metrics, claims, curves)


def _fmt(vals: list[float]) -> str:
    return "[" + ", ".join(f"{v:.4f}" for v in vals) + "]"


def figures(outcome: Outcome, config: Config) -> dict:
    import matplotlib.pyplot as plt

    fig, axs = plt.subplots(1, 2, figsize=(13, 3.8))
    w = 2 * math.pi / config.points_per_period
    t = np.arange(4 * config.points_per_period)
    axs[0].plot(t, np.sin(w * t), label="input sin(t)")
    axs[0].plot(t, np.sin(config.ratio * w * t), label=f"target sin({config.ratio:g} t)")
    for k in range(4):  # windows one input cycle apart: identical inputs, opposite targets
        axs[0].axvspan(
            k * config.points_per_period,
            k * config.points_per_period + config.seq_len,
            alpha=0.08 * (k % 2 + 1),
            color="gray",
        )
    axs[0].set(xlabel="step", title="windows one cycle apart: same inputs, opposite targets")
    axs[0].legend(fontsize=8)
    for key, loss in outcome.arrays.items():
        k = max(1, len(loss) // 100)
        axs[1].plot(np.convolve(loss, np.ones(k) / k, mode="valid"), lw=1, label=key[5:])
    axs[1].set(xlabel="update", ylabel="training MSE", yscale="log", title="training loss")
    axs[1].legend(fontsize=6, ncol=2)
    fig.tight_layout()
    return {"rnn_training": fig}


EXPERIMENT = Experiment(
    name="rnn-frequency-halving",
    source="seed 002, the question and its answer",
    summary="sin(t) -> sin(t/2): reset windows collapse to 0; carried state lets RNNs count",
    config_cls=Config,
    profiles=PROFILES,
    run=run,
    figures=figures,
    doc=__doc__ or "",
)
