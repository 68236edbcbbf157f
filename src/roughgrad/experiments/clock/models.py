"""The clock experiment's models: baseline features and training, ClockNet, instants, scores."""

from __future__ import annotations

import copy
import functools
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

import numpy as np
import torch
from torch import Tensor, nn

from roughgrad.experiments.clock.config import DAY, LAYOUTS, Config
from roughgrad.nn import mlp, siren
from roughgrad.periodic import (
    ClockNet,
    PeriodicClock,
    clock_reading,
    edge_instants,
    sample_instants,
    utc_offset_seconds,
)


def _features(t: np.ndarray, kind: str, half: float, config: Config) -> torch.Tensor:
    """(n, d) float64 inputs: t / half, or sin/cos of 2 pi t / s on geometric scales s."""
    if kind == "scaled":
        return torch.as_tensor(t / half, dtype=torch.float64)[:, None]
    scales = np.geomspace(2.0, 4 * half, config.fourier_scales)
    phase = 2 * np.pi * np.divide.outer(t.astype(np.float64), scales)  # (n, K), float64
    return torch.as_tensor(np.concatenate([np.sin(phase), np.cos(phase)], 1))


def _grid(name: str, half: float, config: Config) -> list[dict[str, float]]:
    """The hyperparameters searched for baseline ``name`` (learning rate included)."""
    grids: dict[str, list[dict[str, float]]] = {
        "siren": [{"omega0": w} for w in config.siren_omega0s],
        # a = 1 (the write-up's x + sin^2 x) and a matched to one cycle per day on t / half
        "snake": [{"a": 1.0}, {"a": 2 * math.pi * half / DAY}],
        "gelu": [{}],
    }
    extra = grids[name]
    return [{**e, "lr": lr} for e, lr in itertools.product(extra, config.baseline_lrs)]


def _baseline(
    name: str, in_dim: int, hyper: dict[str, float], levels: tuple[int, ...], config: Config
) -> nn.Module:
    widths = (in_dim, *(config.baseline_width,) * 3, sum(levels))
    if name == "siren":
        return siren(widths, omega0=hyper["omega0"])
    if name == "gelu":
        return mlp(widths, "gelu")
    return mlp(widths, "snake", a=hyper["a"])


def _predict(model: nn.Module, u: torch.Tensor, levels: tuple[int, ...]) -> np.ndarray:
    with torch.no_grad():
        logits = torch.cat([model(chunk) for chunk in u.split(65536)])  # (n, sum(levels))
    heads = logits.split(list(levels), dim=-1)
    return torch.stack([h.argmax(-1) for h in heads], -1).cpu().numpy()


def _train_baseline(
    model: nn.Module,
    u: torch.Tensor,
    readings: np.ndarray,
    lr: float,
    levels: tuple[int, ...],
    config: Config,
    ctx,
) -> nn.Module:
    torch.manual_seed(config.seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    target = torch.as_tensor(readings, device=ctx.device)
    gen = ctx.generator(config.seed + 1)
    for _ in range(config.baseline_steps):
        idx = torch.randint(len(u), (config.baseline_batch,), generator=gen, device=ctx.device)
        heads = model(u[idx]).split(list(levels), dim=-1)
        losses = [nn.functional.cross_entropy(h, target[idx, j]) for j, h in enumerate(heads)]
        loss = cast(Tensor, sum(losses))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


def _n_val(n_train: int) -> int:
    """How many of the last training instants validate (10%)."""
    return max(1, n_train // 10)


def _levels(readings: np.ndarray) -> tuple[int, ...]:
    """One output per reading seen, 0 .. max, for every field."""
    return tuple(int(v) + 1 for v in readings.max(0))


def _search(name: str, t_train, r_train, t_eval, half: float, config: Config, ctx, label: str):
    """Train every grid point of baseline ``name`` on 90% of the training instants, keep the
    best on the other 10% (mean field accuracy), and predict ``t_eval`` with it."""
    n_val = _n_val(len(t_train))
    kind = "fourier" if name == "gelu" else "scaled"
    u_all = _features(np.concatenate([t_train, t_eval]), kind, half, config).to(ctx.device)
    n_fit = len(t_train) - n_val
    u_fit, u_val, u_eval = u_all[:n_fit], u_all[n_fit : len(t_train)], u_all[len(t_train) :]
    levels = _levels(r_train)
    best, start = None, time.perf_counter()
    grid = _grid(name, half, config)
    for hyper in ctx.progress.track(grid, total=len(grid), description=f"{label} {name}"):
        torch.manual_seed(config.seed)
        model = _baseline(name, u_all.shape[1], hyper, levels, config).double().to(ctx.device)
        _train_baseline(model, u_fit, r_train[:-n_val], hyper["lr"], levels, config, ctx)
        val = float(np.mean(_predict(model, u_val, levels) == r_train[-n_val:]))
        if best is None or val > best[0]:
            best = (val, hyper, model)
    assert best is not None  # the grid is never empty
    val, hyper, model = best
    return _predict(model, u_eval, levels), hyper, val, time.perf_counter() - start


def _train_net(
    make_net: Callable[[], ClockNet], t_train, r_train, t_eval, config: Config, ctx, label: str
) -> tuple[np.ndarray, float]:
    """Train a fresh ``make_net()`` at every rate of ``net_lrs`` on 90% of the training instants
    (full-batch Adam on the mean absolute error of (reading - base) / levels, cosine decay: the
    median fit, which a few corrupted labels do not pull off the true readings as they pull a
    least-squares fit); keep the best on the other 10% (exact match); return its prediction of
    ``t_eval`` and the rate."""
    n_val = _n_val(len(t_train))
    dev = ctx.device
    t_fit = torch.as_tensor(t_train[:-n_val], device=dev)
    t_val = torch.as_tensor(t_train[-n_val:], device=dev)
    r_fit = torch.as_tensor(r_train[:-n_val], device=dev)
    best: tuple[float, float, ClockNet] | None = None
    for lr in ctx.progress.track(config.net_lrs, total=len(config.net_lrs), description=label):
        torch.manual_seed(config.seed)
        net = make_net().to(dev)
        target = net.targets(r_fit)
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, config.net_steps)
        for _ in range(config.net_steps):
            loss = (net(t_fit) - target).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        val = float((net.readings(t_val).cpu().numpy() == r_train[-n_val:]).all(1).mean())
        if best is None or val > best[0]:
            best = (val, lr, net)
    assert best is not None
    _, lr, net = best
    return net.readings(torch.as_tensor(t_eval, device=dev)).cpu().numpy(), lr


def _random_net(t_train, r_train, rng: np.random.Generator) -> Callable[[], ClockNet]:
    """The control: ClockNet with periods drawn log-uniformly in [2 s, the span] (offsets 0),
    levels and bases from the readings; a factory of fresh, untrained copies."""
    span = int(t_train.max() - t_train.min())
    size = r_train.shape[1]
    periods = [int(p) for p in np.exp(rng.uniform(np.log(2), np.log(span), size=size))]
    base = r_train.min(0)
    levels = (r_train.max(0) - base + 1).tolist()
    return functools.partial(ClockNet, periods, levels, bases=base.tolist())


def _nets(t_train, r_train, rng: np.random.Generator) -> dict[str, Callable[[], ClockNet]]:
    """The two ClockNets: periods and offsets from the data (``ClockNet.from_data``), and the
    control with random periods (``_random_net``). Raises FieldUndetermined if the data pin no
    period."""
    spectral, _ = ClockNet.from_data(t_train, r_train)
    return {
        "spectral_net": functools.partial(copy.deepcopy, spectral),
        "random_net": _random_net(t_train, r_train, rng),
    }


def _scores(pred: np.ndarray, truth: np.ndarray, fields: tuple[str, ...]) -> dict[str, float]:
    out = {f: float(np.mean(pred[:, j] == truth[:, j])) for j, f in enumerate(fields)}
    out["exact"] = float(np.mean((pred == truth).all(1)))
    return out


def _instants(span_years: float, config: Config, rng: np.random.Generator):
    """Training instants with their (possibly corrupted) readings, clean test instants."""
    t_train = sample_instants(config.n_train, span_years, rng)
    t_test = np.concatenate(
        [sample_instants(config.n_test, span_years, rng), _edges(span_years, config)]
    )
    r_train = clock_reading(t_train, config.fields, config.utc_offset).copy()
    bad = rng.choice(len(t_train), round(config.label_noise * len(t_train)), replace=False)
    lo, hi = r_train.min(0), r_train.max(0)
    r_train[bad] = rng.integers(lo, hi + 1, size=(len(bad), len(lo)))
    return t_train, r_train, t_test, clock_reading(t_test, config.fields, config.utc_offset)


def _edges(span_years: float, config: Config) -> np.ndarray:
    """The instants where the clock's readings roll over, in its own time zone."""
    return edge_instants(span_years) - np.int64(utc_offset_seconds(config.utc_offset))


def _layout_scores(name: str, config: Config, ctx) -> dict[str, Any]:
    """Exact-match rates on a layout of ``LAYOUTS`` (its own instants, from the run's seed):
    ClockNet with periods and offsets from the data and with random periods (trained as in
    the main run), and PeriodicClock."""
    fields, offset, noise = LAYOUTS[name]
    cfg = replace(config, fields=fields, utc_offset=offset, label_noise=noise)
    rng = np.random.default_rng([config.seed, sorted(LAYOUTS).index(name)])
    t_train, r_train, t_test, r_test = _instants(config.span_years, cfg, rng)
    out: dict[str, Any] = {}
    for net, make in _nets(t_train, r_train, rng).items():
        pred, _ = _train_net(make, t_train, r_train, t_test, cfg, ctx, f"{name}: {net}")
        out[net] = _scores(pred, r_test, fields)["exact"]
    clock = PeriodicClock().fit(t_train, r_train)
    out["periodic"] = _scores(clock.predict(t_test), r_test, fields)["exact"]
    return out
