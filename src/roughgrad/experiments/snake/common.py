"""Shared machinery of the write-up 001 experiments: the models, their batched training and plots.

Every model name maps to a builder; all seeds of one model train together as an
[`Ensemble`][roughgrad.nn.Ensemble] (full-batch Adam, one member per seed). Every model, baseline
or ours, gets the same seeds, steps and learning-rate search: each learning rate in ``lrs`` is
trained on the first seed and the one with the lowest MSE on a validation split (every 10th
training point, held out of training) trains the other seeds; held-out (test) MSE is reported
for that rate only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from roughgrad.data import SignalSplit, sine_split
from roughgrad.experiments.base import (
    Claim,
    ConfigBase,
    ConfigError,
    Context,
    Floor,
    Margin,
    difference_se,
    param,
    seeds_se,
)
from roughgrad.experiments.search import bracketed_search
from roughgrad.nn import Ensemble, fit_ensemble, mlp, siren
from roughgrad.periodic import spectral_model

TRAIN_COLOUR, TEST_COLOUR = "tab:blue", "tab:orange"  # the write-up's colours

# the quick profile shared by the snake experiments (tests: seconds, not minutes)
QUICK = {"hidden": 32, "steps": 300, "seeds": 2, "n_points": 400}
# where a 32-unit Snake, ReLU and tanh network fit their training points in seconds (the quick
# profile's 300 steps on [-50, 50] do not): the base of counterexamples that compare them
HEALTHY = {"start": -10.0, "end": 10.0, "steps": 1000, "lrs": (1e-3, 1e-2), "lr_extend": 2}
FULL = {"seeds": 5}

# models whose frequencies come from a periodogram of the training data (ours): the default
# contenders, and all of them (spectral_k1 fixes one sine; the periodic-targets comparison)
CONTENDERS = ("spectral", "spectral_envelope")
OURS = (*CONTENDERS, "spectral_k1")


@dataclass(frozen=True)
class SplitConfig(ConfigBase):
    """The write-up's data, network size and baseline optimiser."""

    n_points: int = param(2000, "points on [start, end] (seed: L=2000)", ge=16)
    start: float = param(-50.0, "left end of the x grid")
    end: float = param(50.0, "right end of the x grid")
    prop_train: float = param(0.5, "fraction of points in the training blocks", gt=0, lt=1)
    hidden: int = param(512, "width of each of the two hidden layers (seed: 512)", ge=1)
    steps: int = param(3000, "full-batch Adam steps", ge=1)

    def validate(self) -> None:
        if not self.start < self.end:
            raise ConfigError(f"start={self.start} must be < end={self.end}: the span is empty")


@dataclass(frozen=True)
class FitConfig(SplitConfig):
    """SplitConfig plus the models compared and their settings."""

    snake_a: float = param(30.0, "a of the Snake activation (seed: 30)", gt=0)
    sin_omega0: float = param(1.0, "frequency of the sin activation, sin(omega0 z)", gt=0)
    siren_omega0: float = param(30.0, "SIREN's omega0", gt=0)
    lrs: tuple[float, ...] = param(
        (1e-4, 1e-3),
        "Adam learning rates searched on the first seed of every model (seed: 1e-4); a winner "
        "at the grid's edge extends it by lr_extend steps",
        gt=0,
    )
    lr_extend: int = param(
        1, "geometric steps the search may add past the edge where its winner sits", ge=0
    )
    spectral_hidden: int = param(64, "hidden width of the spectral models' heads", ge=1)
    max_freq: float = param(20.0, "highest frequency the periodogram searches (rad/unit)", gt=0)
    seeds: int = param(3, "initialisation seeds of every model", ge=1)
    frame_every: int = param(100, "steps between frames of the training GIF", ge=1)
    components: str = param(
        "auto",
        "sines in the spectral models: 'auto' (chosen by BIC, see select_components) or a count",
    )
    max_components: int = param(8, "largest count components=auto tries", ge=1)
    bic_penalty: float = param(
        1.0, "components=auto: multiplies BIC's cost per parameter (0: no cost)", ge=0
    )

    def known_models(self) -> tuple[str, ...]:
        """The names ``models`` may hold (the trained models of MODELS)."""
        return tuple(MODELS)

    @property
    def n_components(self) -> int | str:
        """``components`` as spectral_model takes it: 'auto' or an int."""
        return "auto" if self.components == "auto" else int(self.components)

    def validate(self) -> None:
        super().validate()
        if self.components != "auto" and not (
            self.components.isdigit() and int(self.components) >= 1
        ):
            raise ConfigError(
                f"components={self.components!r} is not allowed: give 'auto' or an integer >= 1"
            )
        models = getattr(self, "models", ())
        known = self.known_models()
        unknown = [m for m in (*models, *getattr(self, "animate", ())) if m not in known]
        if unknown:
            raise ConfigError(f"unknown model {unknown[0]!r}; known: {', '.join(known)}")
        missing = [m for m in getattr(self, "animate", ()) if m not in models]
        if missing:
            raise ConfigError(f"animate={missing[0]!r} is not among models={','.join(models)}")


Builder = Callable[[FitConfig, SignalSplit], nn.Module]


def _activation_mlp(activation: str, **kw: Any) -> Builder:
    return lambda c, s: mlp((1, c.hidden, c.hidden, 1), activation, init="xavier_normal", **kw)


def _spectral(envelope: bool, components: int | None = None) -> Builder:
    def build(c: FitConfig, s: SignalSplit) -> nn.Module:
        model, _ = spectral_model(
            s.x[s.train],
            s.y[s.train],
            max_freq=c.max_freq,
            n_components=c.n_components if components is None else components,
            max_components=c.max_components,
            penalty=c.bic_penalty,
            hidden=(c.spectral_hidden, c.spectral_hidden),
            envelope=envelope,
        )
        return model

    return build


MODELS: dict[str, Builder] = {
    "snake": lambda c, s: _activation_mlp("snake", a=c.snake_a)(c, s),
    "snake_learnable": lambda c, s: _activation_mlp(
        "snake", a=c.snake_a, learnable=True, features=c.hidden
    )(c, s),
    "x_sin2": _activation_mlp("snake", a=1.0),  # x + sin^2(x): Snake with a = 1
    "relu": _activation_mlp("relu"),
    "tanh": _activation_mlp("tanh"),
    "gelu": _activation_mlp("gelu"),
    "sin": lambda c, s: _activation_mlp("sin", omega0=c.sin_omega0)(c, s),
    "siren": lambda c, s: siren((1, c.hidden, c.hidden, 1), omega0=c.siren_omega0),
    "spectral": _spectral(envelope=False),
    # one carrier: BIC on a sum of sines is the wrong criterion for a modulated signal (on
    # exp(-|x|/20) sin x it picks 8 sines; enveloped, they gave held-out MSE 0.057 in a
    # periodic-targets run, against 8.8e-5 for one carrier in snake-decay's default run)
    "spectral_envelope": _spectral(envelope=True, components=1),
    "spectral_k1": _spectral(envelope=False, components=1),
}

MODEL_LABELS = {
    "snake": "Snake",
    "snake_learnable": "Snake, learnable a",
    "x_sin2": "x + sin²(x)",
    "relu": "ReLU",
    "tanh": "tanh",
    "gelu": "GELU",
    "sin": "sin",
    "siren": "SIREN",
    "spectral": "spectral (ours)",
    "spectral_envelope": "spectral + envelope (ours)",
    "spectral_k1": "spectral, one sine",
}


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


# a healthy run: some model fits its training points (the write-up's extrapolation may still fail)
FIT_HEALTH = Floor(
    "the best model's training MSE below the variance of the training targets, as 1 - MSE / "
    "variance (the networks fit their training points)",
    lambda m: (
        1
        - min(v for k, v in m.items() if k.startswith("train_mse_") and not k.endswith("per_seed"))
        / m["train_target_variance"]
    ),
    0.5,
)


def fitted_or_reason(m: dict[str, Any], names: Sequence[str]) -> str:
    """ "" when every model in ``names`` fits its training points (1 - MSE / variance >= 0.5, as
    FIT_HEALTH); else why a comparison with the others says nothing."""
    var = m["train_target_variance"]
    bad = [
        f"{n} {1 - m[f'train_mse_{n}'] / var:.2f}"
        for n in names
        if not 1 - m[f"train_mse_{n}"] / var >= 0.5
    ]
    return (
        "did not fit its training points (1 - training MSE / variance below 0.5): " + ", ".join(bad)
        if bad
        else ""
    )


def beats(name: str, m: dict[str, Any], model: str, rival: str, factor: float = 1.0) -> Claim:
    """``model``'s held-out MSE at least ``factor`` times below ``rival``'s and below predicting
    0: log10 MSE over seeds by more than two standard errors each, both fitted to their
    training points (else not checked) and both searches bracketed (else inconclusive)."""
    reason = fitted_or_reason(m, [model, rival])
    if reason:
        return Claim.not_checked(name, reason)
    loose = [n for n in (model, rival) if not m[f"lr_bracketed_{n}"]]
    if loose:
        return Claim.undecided(
            name,
            "search not bracketed ("
            + "; ".join(f"{n}: lr {m[f'lr_{n}']:g} of {m[f'lrs_searched_{n}']}" for n in loose)
            + ")",
        )
    a = np.log10(m[f"test_mse_{model}_per_seed"])
    b = np.log10(m[f"test_mse_{rival}_per_seed"])
    margin = Margin(
        float(b.mean() - a.mean() - np.log10(factor)), difference_se(seeds_se(a), seeds_se(b))
    )
    zero = m["zero_predictor_test_mse"]
    # a model "beats" another only where it also beats predicting 0 on the held-out points
    vs_zero = Margin(float(np.log10(zero) - a.mean()), seeds_se(a))
    return Claim.from_margins(
        name,
        [margin, vs_zero],
        f"median held-out MSE: {model} {m[f'test_mse_{model}']:.4g} (lr {m[f'lr_{model}']:g}), "
        f"{rival} {m[f'test_mse_{rival}']:.4g} (lr {m[f'lr_{rival}']:g}); predicting 0: "
        f"{zero:.4g}; log10 MSE over {len(a)} seeds, {rival} minus {model}"
        + (f" minus log10 {factor:g}" if factor != 1 else "")
        + f": {margin.text(1, '', 2)}; against predicting 0: {vs_zero.text(1, '', 2)}",
    )


def fraction_below(values: Sequence[float], bound: float) -> float:
    return float(np.mean(np.asarray(values) <= bound))


def _scatter_data(ax: plt.Axes, arrays: dict[str, np.ndarray]) -> None:
    x, y = arrays["x"], arrays["y"]
    ax.scatter(x[arrays["train"]], y[arrays["train"]], s=2, c=TRAIN_COLOUR, label="train")
    ax.scatter(x[arrays["test"]], y[arrays["test"]], s=2, c=TEST_COLOUR, label="test")
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)


def _ylim(arrays: dict[str, np.ndarray]) -> tuple[float, float]:
    span = float(np.abs(arrays["y"]).max()) or 1.0
    return -1.6 * span, 1.6 * span


def fit_figure(arrays: dict[str, np.ndarray], metrics: dict[str, Any], title: str) -> plt.Figure:
    """One row per model: the data (train blue, test orange, as in the write-up) and seed 0's
    fit."""
    names = [k[len("pred_") :] for k in arrays if k.startswith("pred_")]
    fig, axes = plt.subplots(len(names), 1, figsize=(12, 1.7 * len(names)), sharex=True)
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, names, strict=True):
        _scatter_data(ax, arrays)
        ax.plot(arrays["x"], arrays[f"pred_{name}"][0], c="k", lw=1, label="model (seed 0)")
        ax.set_ylim(*_ylim(arrays))
        ax.set_title(
            f"{MODEL_LABELS.get(name, name)}: held-out MSE {metrics[f'test_mse_{name}']:.3g}"
            " (median over seeds)",
            fontsize=9,
            loc="left",
        )
    axes[0].legend(loc="upper right", fontsize=7, ncol=3, markerscale=3)
    axes[-1].set_xlabel("x")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def training_gif(arrays: dict[str, np.ndarray], title: str) -> bytes:
    """The write-up's animation: the fit of each animated model (seed 0) as training proceeds."""
    from roughgrad.plot import gif_bytes

    names = [k[len("frames_") :] for k in arrays if k.startswith("frames_")]
    steps = arrays["frame_steps"]

    def frames():
        for i, step in enumerate(steps):
            fig, axes = plt.subplots(len(names), 1, figsize=(10, 2 * len(names)), dpi=72)
            for ax, name in zip(np.atleast_1d(axes), names, strict=True):
                _scatter_data(ax, arrays)
                ax.plot(arrays["x"], arrays[f"frames_{name}"][i], c="k", lw=1.2)
                ax.set_ylim(*_ylim(arrays))
                ax.set_title(f"{MODEL_LABELS.get(name, name)}, step {step}", fontsize=9)
            fig.suptitle(title, fontsize=10)
            fig.tight_layout()
            yield fig

    return gif_bytes(frames(), fps=8)


def loss_figure(arrays: dict[str, np.ndarray]) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(7, 4))
    for key in arrays:
        if key.startswith("loss_"):
            name = key[len("loss_") :]
            ax.semilogy(np.median(arrays[key], axis=1), label=MODEL_LABELS.get(name, name))
    ax.set_xlabel("Adam step")
    ax.set_ylabel("training MSE (median over seeds)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def fit_figures(outcome: Any, title: str) -> dict[str, Any]:
    """The final fit, the training curves and (when frames were recorded) the training GIF."""
    out: dict[str, Any] = {
        "final_fit": fit_figure(outcome.arrays, outcome.metrics, title),
        "training_loss": loss_figure(outcome.arrays),
    }
    if any(k.startswith("frames_") for k in outcome.arrays):
        out["training.gif"] = training_gif(outcome.arrays, title)
    return out
