"""The snake experiments' training: the data split, ensembles per model with a learning-rate search
on validation, checkpointed, and their metrics."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from roughgrad.data import SignalSplit, sine_split
from roughgrad.experiments.base import (
    Context,
)
from roughgrad.experiments.search import bracketed_search
from roughgrad.experiments.snake.common.config import MODELS, FitConfig, SplitConfig
from roughgrad.nn import Ensemble, fit_ensemble


def make_split(config: SplitConfig, *, reverse: bool, signal: str = "sin", **kw: float):
    return sine_split(
        config.n_points,
        start=config.start,
        end=config.end,
        prop_train=config.prop_train,
        reverse=reverse,
        signal=signal,
        seed=config.seed,
        **kw,
    )


def _members(
    builders: Sequence[Callable[[], nn.Module]], seeds: Sequence[int], device: torch.device
) -> Ensemble:
    members = []
    for build, seed in zip(builders, seeds, strict=True):
        torch.manual_seed(seed)
        members.append(build().to(device))
    return Ensemble(members)


@dataclass
class Fitted:
    """One trained ensemble with its per-member errors and the arrays the figures need."""

    ensemble: Ensemble
    test_mse: np.ndarray  # (members,)
    train_mse: np.ndarray
    pred: np.ndarray  # (members, n_points) on the whole grid
    loss: np.ndarray  # (steps, members)
    frames: np.ndarray  # (frames, n_points) of member 0, empty if not animated
    seconds: float
    lr: float = float("nan")  # the learning rate chosen on validation (fit_models)
    val_mse: float = float("nan")
    bracketed: bool = False  # the chosen rate lies inside the rates searched
    searched: list[float] = field(default_factory=list)


def train_members(
    builders: Sequence[Callable[[], nn.Module]],
    split: SignalSplit,
    *,
    steps: int,
    lr: float,
    seeds: Sequence[int],
    ctx: Context,
    frame_every: int = 0,
    label: str = "",
) -> Fitted:
    """Build one member per builder (torch seeded with the matching entry of ``seeds``), train
    them together, evaluate."""
    dev = ctx.device
    ensemble = _members(builders, seeds, dev)
    x_all = torch.as_tensor(split.x, dtype=torch.float32, device=dev)[:, None]
    y_all = torch.as_tensor(split.y, dtype=torch.float32, device=dev)[:, None]
    train = torch.as_tensor(split.train, device=dev)
    frames: list[np.ndarray] = []

    def record(step: int, ens: Ensemble) -> None:
        with torch.no_grad():
            frames.append(ens(x_all)[0, :, 0].cpu().numpy())

    start = time.perf_counter()
    loss = fit_ensemble(
        ensemble,
        x_all[train],
        y_all[train],
        steps=steps,
        lr=lr,
        callback=record if frame_every else None,
        every=frame_every,
        track=lambda it: ctx.progress.track(it, total=steps, description=f"training {label}"),
    ).numpy()
    seconds = time.perf_counter() - start
    if not np.isfinite(loss[-1]).all():
        ctx.progress.log(f"warning: {label} training diverged (non-finite loss)")
    with torch.no_grad():
        pred = ensemble(x_all)[..., 0].cpu().numpy()
    err = (pred - split.target[None]) ** 2  # held out: against the noise-free truth
    fit_err = (pred - split.y[None]) ** 2
    return Fitted(
        ensemble,
        err[:, split.test].mean(1),
        fit_err[:, split.train].mean(1),
        pred,
        loss,
        np.array(frames) if frames else np.zeros((0, len(split.x))),
        seconds,
    )


def validation_split(split: SignalSplit) -> tuple[SignalSplit, np.ndarray]:
    """``split`` without every 10th training point, and those points' indices (validation)."""
    val = split.train[::10]
    fit = np.setdiff1d(split.train, val)
    return SignalSplit(split.x, split.y, fit, split.test, split.truth), val


_ARRAYS = ("test_mse", "train_mse", "pred", "loss", "frames")  # what a checkpoint keeps


def _checkpointed(
    key: str,
    builders: Sequence[Callable[[], nn.Module]],
    split: SignalSplit,
    *,
    seeds: Sequence[int],
    ctx: Context,
    **kw: Any,
) -> Fitted:
    """``train_members``, or its result read back from ``ctx.checkpoints`` under ``key``
    when an interrupted run already trained it (a resumed run retrains nothing it has)."""
    state = ctx.checkpoints.restore(key)
    if state is None:
        fitted = train_members(builders, split, seeds=seeds, ctx=ctx, **kw)
        ctx.checkpoints.save(
            key,
            1,
            lambda: {
                "params": dict(fitted.ensemble.params),
                "buffers": dict(fitted.ensemble.buffers),
                **{f: torch.as_tensor(getattr(fitted, f)) for f in _ARRAYS},
                "seconds": fitted.seconds,
            },
            final=True,
        )
        return fitted
    ensemble = _members(builders, seeds, ctx.device)
    with torch.no_grad():
        for store, saved in (
            (ensemble.params, state["params"]),
            (ensemble.buffers, state["buffers"]),
        ):
            for name, value in saved.items():
                store[name].copy_(value)
    arrays = {f: state[f].numpy() for f in _ARRAYS}
    return Fitted(ensemble, seconds=float(state["seconds"]), **arrays)


def _join(first: Fitted, rest: Fitted) -> Fitted:
    """Members of ``first`` followed by those of ``rest`` (frames: ``first``'s)."""
    members = [first.ensemble.member(i) for i in range(first.ensemble.size)]
    members += [rest.ensemble.member(i) for i in range(rest.ensemble.size)]
    return Fitted(
        Ensemble(members),
        np.concatenate([first.test_mse, rest.test_mse]),
        np.concatenate([first.train_mse, rest.train_mse]),
        np.concatenate([first.pred, rest.pred]),
        np.concatenate([first.loss, rest.loss], axis=1),
        first.frames,
        first.seconds + rest.seconds,
    )


def fit_models(
    config: FitConfig,
    split: SignalSplit,
    models: Sequence[str],
    ctx: Context,
    *,
    animate: Sequence[str] = (),
    prefix: str = "",
) -> dict[str, Fitted]:
    """Train every model in ``models`` on the training points less the validation split.

    The learning rate is searched on the first seed: one member per rate in ``lrs``; the rate
    with the lowest validation MSE is kept and the other ``seeds - 1`` seeds train at it. Every
    model gets this same search, seeds and steps. Each trained ensemble is checkpointed, so a
    resumed run retrains nothing it has. GIF frames are recorded of the first seed of the models
    in ``animate``. ``prefix`` starts every checkpoint key (one per data set when a run fits
    several)."""
    fit_split, val = validation_split(split)
    seeds = list(range(config.seed, config.seed + config.seeds))
    out: dict[str, Fitted] = {}
    for name in models:
        build = lambda name=name: MODELS[name](config, fit_split)  # noqa: E731

        def trial(lr: float, name: str = name, build=build) -> tuple[float, Fitted]:
            fitted = _checkpointed(
                f"{prefix}{name}-lr{lr:g}-seed{seeds[0]}",
                [build],
                fit_split,
                seeds=seeds[:1],
                lr=lr,
                frame_every=config.frame_every if name in animate else 0,
                label=f"{prefix}{name}, lr {lr:g}, seed {seeds[0]}",
                steps=config.steps,
                ctx=ctx,
            )
            return -float(((fitted.pred[0, val] - split.y[val]) ** 2).mean()), fitted

        found = bracketed_search(config.lrs, trial, extend=config.lr_extend)
        score, lr, fitted = -found.scores[found.best], found.best, found.payload
        if len(seeds) > 1:
            rest = _checkpointed(
                f"{prefix}{name}-lr{lr:g}-seeds{seeds[1]}-{seeds[-1]}",
                [build] * (len(seeds) - 1),
                fit_split,
                seeds=seeds[1:],
                lr=lr,
                label=f"{prefix}{name}, lr {lr:g}, seeds {seeds[1]}-{seeds[-1]}",
                steps=config.steps,
                ctx=ctx,
            )
            fitted = _join(fitted, rest)
        fitted.lr, fitted.val_mse = lr, score
        fitted.bracketed, fitted.searched = found.bracketed, sorted(found.scores)
        out[name] = fitted
        ctx.progress.log(
            f"{prefix}{name}: lr {lr:g} (validation MSE {score:.3g} on seed {seeds[0]}), "
            "held-out MSE "
            f"{np.array2string(fitted.test_mse, precision=4)} ({fitted.seconds:.0f} s)"
        )
    return out


def fit_metrics(fits: dict[str, Fitted], split: SignalSplit) -> dict[str, Any]:
    """test_mse_<model> (median over seeds), its per-seed list, train MSE and seconds."""
    metrics: dict[str, Any] = {
        "zero_predictor_test_mse": float((split.target[split.test] ** 2).mean()),
        "train_target_variance": float(np.var(split.y[split.train])),
    }
    for name, f in fits.items():
        metrics[f"test_mse_{name}"] = float(np.median(f.test_mse))
        metrics[f"test_mse_{name}_per_seed"] = [float(v) for v in f.test_mse]
        metrics[f"train_mse_{name}"] = float(np.median(f.train_mse))
        metrics[f"train_seconds_{name}"] = round(f.seconds, 2)
        metrics[f"lr_{name}"] = f.lr
        metrics[f"lr_bracketed_{name}"] = f.bracketed
        metrics[f"lrs_searched_{name}"] = f.searched
        metrics[f"val_mse_{name}"] = f.val_mse
        metrics[f"train_mse_{name}_per_seed"] = [float(v) for v in f.train_mse]
    return metrics


def fit_arrays(fits: dict[str, Fitted], split: SignalSplit, frame_every: int) -> dict[str, Any]:
    arrays: dict[str, Any] = {
        "x": split.x,
        "y": split.y,
        "train": split.train,
        "test": split.test,
    }
    for name, f in fits.items():
        arrays[f"pred_{name}"] = f.pred
        arrays[f"loss_{name}"] = f.loss
        if len(f.frames):
            arrays[f"frames_{name}"] = f.frames
            arrays["frame_steps"] = np.minimum(np.arange(len(f.frames)) * frame_every, len(f.loss))
    return arrays
