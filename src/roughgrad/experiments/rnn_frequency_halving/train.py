"""The rnn-frequency-halving training: the signal, windows and streams, one network's training,
rollouts."""

from __future__ import annotations

import math

import numpy as np
import torch

from roughgrad.experiments.rnn_frequency_halving.config import CARRIED, Config
from roughgrad.nn import Window, recurrent_model, train_tbptt
from roughgrad.nn.stacked import StackedRecurrent, StackedWindow, train_tbptt_stacked


def _signal(
    t0: torch.Tensor, length: int, config: Config, control: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """x = sin(w t), y = sin(ratio w t) for t = t0 + 0..length-1; (B, T, 1) each. ``control``:
    y = sin(w t + control_phase), the same frequency, which an input window determines."""
    w = 2 * math.pi / config.points_per_period
    t = t0[:, None] + torch.arange(length, dtype=torch.float32)[None]
    if control:
        return torch.sin(w * t)[..., None], torch.sin(w * t + config.control_phase)[..., None]
    return torch.sin(w * t)[..., None], torch.sin(config.ratio * w * t)[..., None]


def _stream(config: Config, gen: torch.Generator, win: int):
    """Consecutive windows of streams that start in the first input cycle; the state is reset
    when a stream restarts (after ``stream_length`` steps) and carried otherwise."""
    p, b = config.points_per_period, config.batch
    t0, pos = None, 0
    while True:
        reset = t0 is None or pos + win > config.stream_length
        if reset:
            t0, pos = torch.rand(b, generator=gen) * p, 0
        assert t0 is not None
        x, y = _signal(t0 + pos, win, config)
        pos += win
        yield Window(x, y, reset=reset)


def _windows(mode: str, config: Config, gen: torch.Generator):
    """The stream of training windows for one mode."""
    p, b, win = config.points_per_period, config.batch, config.seq_len
    stream = _stream(config, gen, win)
    warm = int(config.warmup * config.steps) if mode == "curriculum" else 0
    lengths = [win * 2**k for k in range(8) if win * 2**k <= config.long_window] or [win]
    for step in range(config.steps):  # one window per update
        if mode in ("reset", "control"):  # anywhere on a long signal, state reset
            x, y = _signal(torch.rand(b, generator=gen) * p * 64, win, config, mode == "control")
            yield Window(x, y, reset=True)
        elif mode == "stateful" or (mode == "curriculum" and step >= warm):
            yield next(stream)
        elif mode == "curriculum":  # full BPTT from the stream start, windows growing
            length = lengths[step * len(lengths) // warm]
            x, y = _signal(torch.rand(b, generator=gen) * p, length, config)
            yield Window(x, y, reset=True)
        elif mode == "burn_in":
            start = torch.rand(b, generator=gen) * p
            k = int(torch.randint(0, config.stream_length - win + 1, (1,), generator=gen))
            burn, _ = _signal(start, k, config)
            x, y = _signal(start + k, win, config)
            yield Window(x, y, reset=True, burn_in=burn)
        else:  # long_windows
            x, y = _signal(torch.rand(b, generator=gen) * p, config.long_window, config)
            yield Window(x, y, reset=True)


def reset_floor(ratio: float, cycles: int = 64, phases: int = 256) -> float:
    """The lowest MSE any predictor reaches on reset windows cut anywhere from ``cycles`` input
    cycles: the input window fixes only the input phase, so the best output is the mean of
    the targets over the cycles sharing that phase; this returns their variance, averaged
    over phases (0.5, i.e. predicting 0, for ratio 1/q with q >= 2; 0 for integer ratios)."""
    phase = np.linspace(0, 2 * np.pi, phases, endpoint=False)[:, None]
    targets = np.sin(ratio * (phase + 2 * np.pi * np.arange(cycles)[None]))
    return float(targets.var(axis=1).mean())


def rollout(
    model: torch.nn.Module, config: Config, seed: int, control: bool = False
) -> tuple[float, np.ndarray]:
    """Free-running MSE on 64 held-out sequences (after a 32-step burn-in) and the prediction
    for the first of them."""
    gen = torch.Generator().manual_seed(10_000 + seed)
    x, y = _signal(
        torch.rand(64, generator=gen) * config.points_per_period, config.eval_len, config, control
    )
    with torch.no_grad():
        pred, _ = model(x)
    return float(((pred[:, 32:] - y[:, 32:]) ** 2).mean()), pred[0, :, 0].numpy()


def rollout_mse(model: torch.nn.Module, config: Config, seed: int) -> float:
    return rollout(model, config, seed)[0]


def long_rollout(model: torch.nn.Module, config: Config, seed: int) -> float:
    """Free-running MSE over the last ``stream_length`` steps of a rollout ``long_eval`` times
    longer than the training streams (16 held-out sequences, run in stream-length chunks with
    the state carried): whether the count drifts beyond what training ever ran."""
    gen = torch.Generator().manual_seed(20_000 + seed)
    t0 = torch.rand(16, generator=gen) * config.points_per_period
    chunk, state = config.stream_length, None
    with torch.no_grad():
        for k in range(config.long_eval):
            x, y = _signal(t0 + k * chunk, chunk, config)
            pred, state = model(x, state)
    return float(((pred - y) ** 2).mean())


def train_one(
    cell: str, mode: str, seed: int, config: Config
) -> tuple[torch.nn.Module, list[float]]:
    """Train one (cell, mode, seed) run; returns the model and its per-update losses."""
    torch.manual_seed(config.seed + seed)
    model = recurrent_model(cell, config.hidden, init=config.rnn_init)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    sched = None
    if config.lr_schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=config.steps, eta_min=config.lr / 100
        )
    gen = torch.Generator().manual_seed(config.seed + seed)
    losses = train_tbptt(model, opt, _windows(mode, config, gen), scheduler=sched)
    return model, losses


def _stacked_windows(mode: str, config: Config, seeds: list[int]):
    """Each seed's own window stream (its generator, as ``train_one`` draws it), stacked: the
    members share window lengths and resets; burn-in lengths differ, so burn-ins are padded to
    the longest and each member runs its own length."""
    streams = [
        _windows(mode, config, torch.Generator().manual_seed(config.seed + s)) for s in seeds
    ]
    for ws in zip(*streams, strict=True):
        burn, lengths = None, None
        if ws[0].burn_in is not None:
            lengths = torch.tensor([w.burn_in.shape[1] for w in ws])  # type: ignore[union-attr]
            burn = torch.zeros(len(ws), config.batch, int(lengths.max()), 1)
            for i, w in enumerate(ws):
                burn[i, :, : lengths[i]] = w.burn_in
        yield StackedWindow(
            torch.stack([w.x for w in ws]),
            torch.stack([w.y for w in ws]),
            reset=ws[0].reset,
            burn_in=burn,
            burn_lengths=lengths,
        )


def train_stacked(
    cell: str, mode: str, seeds: list[int], config: Config
) -> tuple[StackedRecurrent, torch.Tensor]:
    """Train the (cell, mode) runs of every seed in ``seeds`` as one stacked model: member i is
    initialised and fed exactly as ``train_one(cell, mode, seeds[i], config)``, and follows its
    trajectory up to float rounding (the batched products sum in another order); returns the
    model and the (updates, seeds) losses."""
    members = []
    for s in seeds:
        torch.manual_seed(config.seed + s)
        members.append(recurrent_model(cell, config.hidden, init=config.rnn_init))
    model = StackedRecurrent(members)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    sched = None
    if config.lr_schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=config.steps, eta_min=config.lr / 100
        )
    losses = train_tbptt_stacked(model, opt, _stacked_windows(mode, config, seeds), scheduler=sched)
    return model, losses


def rollout_stacked(
    model: StackedRecurrent, config: Config, seeds: list[int], control: bool = False
) -> tuple[list[float], np.ndarray]:
    """``rollout`` of every member (member i on seed ``seeds[i]``'s held-out sequences): the
    MSEs and each member's prediction for its first sequence (P, eval_len)."""
    x, y = zip(
        *(
            _signal(
                torch.rand(64, generator=torch.Generator().manual_seed(10_000 + s))
                * config.points_per_period,
                config.eval_len,
                config,
                control,
            )
            for s in seeds
        ),
        strict=True,
    )
    with torch.no_grad():
        pred, _ = model(torch.stack(x))  # (P, 64, T, 1)
    err = ((pred[:, :, 32:] - torch.stack(y)[:, :, 32:]) ** 2).flatten(1).mean(1)
    return err.tolist(), pred[:, 0, :, 0].numpy()


def long_rollout_stacked(model: StackedRecurrent, config: Config, seeds: list[int]) -> list[float]:
    """``long_rollout`` of every member: all but the last chunk run in the no-gradient burn-in
    loop, the last one through the model."""
    t0 = torch.stack(
        [
            torch.rand(16, generator=torch.Generator().manual_seed(20_000 + s))
            * config.points_per_period
            for s in seeds
        ]
    )  # (P, 16)
    chunk, state = config.stream_length, None
    with torch.no_grad():
        for k in range(config.long_eval):
            x, y = (
                torch.stack(v)
                for v in zip(*(_signal(t + k * chunk, chunk, config) for t in t0), strict=True)
            )
            if k < config.long_eval - 1:
                lengths = torch.full((len(seeds),), chunk)
                state = model.burn_in(x, lengths, state)
            else:
                pred, state = model(x, state)
    return ((pred - y) ** 2).flatten(1).mean(1).tolist()


def _job(cell: str, mode: str, seeds: list[int], config: Config):
    """Every seed of one (cell, mode), stacked, in a worker process (one intra-op thread):
    [(cell, mode, seed, mse, (losses, rollout trace, long-rollout MSE or NaN))] per seed."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model, losses = train_stacked(cell, mode, seeds, config)
        mses, traces = rollout_stacked(model, config, seeds, control=mode == "control")
        drifts = [float("nan")] * len(seeds)
        if mode in CARRIED and config.long_eval:
            drifts = long_rollout_stacked(model, config, seeds)
        return [
            (cell, mode, seed, mses[i], (losses[:, i].tolist(), traces[i], drifts[i]))
            for i, seed in enumerate(seeds)
        ]
    finally:
        torch.set_num_threads(threads)
