"""Shared machinery of the digits experiments (seed 003, "Real Application: MNIST").

A problem is the seed's layout input-H-10 as a linear classifier, an ANN (sigmoid after both
layers) or a BNN (Hodgkin-Huxley neurons, :mod:`roughgrad.objectives.hh_classifier`). A method is
autodiff, autodiff with gradient-norm clipping, or a no-backprop estimator; all step Adam. A
training run records test accuracy against samples seen and training wall time (evaluation
excluded), and for autodiff the gradient norm of every update.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np
import torch
from torch import Tensor

from roughgrad import plot
from roughgrad._types import Params
from roughgrad.data import DataError, Split, load_dataset
from roughgrad.data.mnist import check_mnist
from roughgrad.estimators import (
    Autodiff,
    GaussianSmoothing,
    LocalRegression,
    NodePerturbation,
    NodePerturbationThroughTime,
    relative_error,
)
from roughgrad.experiments._contract import (
    ConfigBase,
    ConfigError,
    Context,
    NumericalError,
    param,
)
from roughgrad.experiments._digits_problem import (  # re-exported: one import for experiments
    Problem,
    criterion,
    make_problem,
)
from roughgrad.objectives import PopulationPool, Restricted, distributed
from roughgrad.objectives.base import Objective
from roughgrad.objectives.distributed import import_ray

__all__ = ["Problem", "criterion", "make_problem"]  # besides what is defined here

AUTODIFF = ("autodiff", "autodiff_clipped")
# no-backprop method -> (estimator class, the config field holding its sigma)
ESTIMATOR_SETTINGS = {
    "local_regression": (LocalRegression, "sigma_regression"),
    "gaussian_smoothing": (GaussianSmoothing, "sigma_smoothing"),
    "node_perturbation": (NodePerturbation, "sigma_node"),
    "node_perturbation_time": (NodePerturbationThroughTime, "sigma_node"),
}
ESTIMATOR_METHODS = tuple(ESTIMATOR_SETTINGS)


@dataclass(frozen=True)
class DigitsConfig(ConfigBase):
    """Data, model size, loss, budget and estimator settings shared by the digits experiments."""

    data: Literal["digits", "mnist"] = param(
        "digits", "data set: scikit-learn's bundled digits, or MNIST from data_dir"
    )
    data_dir: str | None = param(None, "directory of the MNIST IDX files or mnist.npz")
    max_train: int | None = param(None, "use only the first n training examples", ge=1)
    hidden: int = param(100, "hidden units (the seed: 100)", ge=1)
    loss: Literal["mse", "cross_entropy"] = param(
        "mse", "MSE against one-hot targets (the seed) or cross-entropy on ce_gain * outputs"
    )
    ce_gain: float = param(10.0, "logit scale for cross-entropy on bounded outputs", gt=0)
    methods: tuple[str, ...] = param(("autodiff",), "methods to train with")
    batch_size: int = param(10, "examples per update (the seed: 10)", ge=1)
    epochs: float = param(5.0, "passes over the training set per method", gt=0)
    lr: float = param(0.01, "Adam learning rate", gt=0, le=10)
    lr_schedule: Literal["constant", "cosine"] = param(
        "constant", "learning rate over training: constant, or cosine decay to zero"
    )
    samples: int = param(100, "S: perturbed networks per estimate (the seed: 100)", ge=2)
    sigma_regression: float = param(0.01, "local regression: perturbation std", gt=0)
    sigma_smoothing: float = param(0.01, "Gaussian smoothing: perturbation std", gt=0)
    sigma_node: float = param(0.01, "node perturbation: output-noise std", gt=0)
    clip: float = param(1.0, "autodiff_clipped: max gradient norm", gt=0)
    evaluations: int = param(20, "test-accuracy evaluations over training", ge=2)
    population_actors: int = param(
        0, "Ray actors evaluating each estimate's population in parallel (0: in this process)", ge=0
    )
    ray_address: str | None = param(None, "population_actors: a Ray cluster (none: local Ray)")

    allowed_methods: ClassVar[tuple[str, ...]] = AUTODIFF + ESTIMATOR_METHODS[:3]

    def validate(self) -> None:
        bad = [m for m in self.methods if m not in self.allowed_methods]
        if bad or not self.methods:
            raise ConfigError(
                f"methods={','.join(self.methods)!s} is not allowed: choose from "
                + ", ".join(self.allowed_methods)
            )
        if self.population_actors:
            try:
                import_ray()
            except ImportError as exc:
                raise ConfigError(f"population_actors={self.population_actors}: {exc}") from None
        if self.data == "mnist" and self.data_dir is None:
            raise ConfigError("data=mnist needs data_dir=DIR (IDX files or mnist.npz; no download)")
        if self.data == "mnist":
            try:
                check_mnist(self.data_dir)
            except DataError as exc:
                raise ConfigError(str(exc)) from None


def load_data(config: DigitsConfig, ctx: Context) -> Split:
    return load_dataset(config.data, config.data_dir, max_train=config.max_train, device=ctx.device)


def estimator(method: str, config: DigitsConfig):
    """The estimator behind a no-backprop method, with the config's hyperparameters."""
    if method not in ESTIMATOR_SETTINGS:
        raise ConfigError(f"unknown method {method!r}")
    cls, sigma_field = ESTIMATOR_SETTINGS[method]
    return cls(sigma=getattr(config, sigma_field), num_samples=config.samples)


@dataclass
class Trace:
    """One training run: accuracy at each evaluation, samples seen and training seconds then."""

    method: str
    samples_seen: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)  # autodiff: before clipping
    forward_evals: int = 0

    def time_to(self, level: float) -> float:
        """Training seconds until test accuracy first reached ``level`` (nan: never)."""
        for sec, acc in zip(self.seconds, self.accuracy, strict=True):
            if acc >= level:
                return sec
        return float("nan")


def accuracy(problem: Problem, params: Params, x: Tensor, y: Tensor) -> float:
    with torch.no_grad():
        return float((problem.outputs(params, x).argmax(-1) == y).float().mean())


def train(
    problem: Problem,
    method: str,
    config: DigitsConfig,
    data: Split,
    ctx: Context,
    *,
    seed: int,
    description: str = "",
) -> tuple[Trace, Params]:
    """Train from the seed's init with Adam, the gradient coming from ``method``.

    The loop checkpoints through ``ctx.checkpoints`` under the key ``description or method``
    (parameters, Adam and schedule, the generator, the trace so far), so a resumed run
    continues bit for bit; a non-finite parameter stops it with a NumericalError.
    """
    gen = ctx.generator(seed)
    params = {k: v.requires_grad_() for k, v in problem.init(gen, ctx.device).items()}
    opt = torch.optim.Adam(params.values(), lr=config.lr)
    updates = max(1, round(config.epochs * len(data.x_train) / config.batch_size))
    sched = (
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, updates)
        if config.lr_schedule == "cosine"
        else None
    )
    eval_at = set(np.linspace(0, updates, config.evaluations).round().astype(int).tolist())
    trace, est, clock = Trace(method), None, 0.0
    key, start_k = description or method, 0
    if (state := ctx.checkpoints.restore(key)) is not None:
        start_k, clock, trace = state["next"], state["clock"], Trace(**state["trace"])
        _load_state(state, params, opt, sched, gen)
    if method not in AUTODIFF:
        est = estimator(method, config)
    steps = range(start_k, updates + 1)
    pool = None
    if est is not None and config.population_actors:
        pool = PopulationPool(config.population_actors, address=config.ray_address)
    try:
        for k in ctx.progress.track(steps, total=len(steps), description=description):
            if k in eval_at:
                trace.samples_seen.append(k * config.batch_size)
                trace.seconds.append(clock)
                trace.accuracy.append(accuracy(problem, params, data.x_test, data.y_test))
            if k == updates:
                break
            start = time.perf_counter()
            _update(k, problem, method, est, config, data, params, opt, gen, pool, trace)
            if sched is not None:
                sched.step()
            clock += time.perf_counter() - start
            _check_finite(params, key, k, config)
            ctx.checkpoints.save(
                key, k + 1, lambda k=k, c=clock: _state(k + 1, c, trace, params, opt, sched, gen)
            )
    finally:
        if pool is not None:
            pool.close()
    ctx.checkpoints.save(
        key,
        updates + 1,
        lambda: _state(updates + 1, clock, trace, params, opt, sched, gen),
        final=True,
    )
    return trace, {k: v.detach() for k, v in params.items()}


def _update(k, problem, method, est, config, data, params, opt, gen, pool, trace) -> None:
    """One Adam update on a random minibatch, the gradient from autodiff or the estimator."""
    idx = torch.randint(len(data.x_train), (config.batch_size,), generator=gen, device=gen.device)
    obj = problem.objective(data.x_train[idx], data.y_train[idx])
    if pool is not None:
        obj = distributed(obj, pool)
    opt.zero_grad(set_to_none=True)
    if est is None:
        _autodiff_step(obj, params, method, config, trace)
    else:
        current = {name: p.detach() for name, p in params.items()}
        if method == "local_regression":  # the seed alternates layers (one per update)
            layers = problem.layers()
            group = {name: current[name] for name in layers[k % len(layers)]}
            e = est(Restricted(obj, current), group, generator=gen)
        else:
            e = est(obj, current, generator=gen)
        trace.forward_evals += e.num_evals
        for name, p in params.items():
            p.grad = e.grad[name].clone() if name in e.grad else torch.zeros_like(p)
    opt.step()


def _state(next_k: int, clock: float, trace: Trace, params: Params, opt, sched, gen) -> dict:
    """A training loop's checkpoint: everything the next update depends on."""
    return {
        "next": next_k,
        "clock": clock,
        "trace": dataclasses.asdict(trace),
        "params": {k: v.detach().clone() for k, v in params.items()},
        "optimizer": opt.state_dict(),
        "schedule": None if sched is None else sched.state_dict(),
        "generator": gen.get_state(),
    }


def _load_state(state: dict, params: Params, opt, sched, gen: torch.Generator) -> None:
    with torch.no_grad():
        for k, v in params.items():
            v.copy_(state["params"][k])
    opt.load_state_dict(state["optimizer"])
    if sched is not None:
        sched.load_state_dict(state["schedule"])
    gen.set_state(state["generator"])


def _check_finite(params: Params, key: str, k: int, config: DigitsConfig) -> None:
    for name, p in params.items():
        if not torch.isfinite(p).all():
            raise NumericalError(
                f"{key}: parameter {name} became NaN or infinite at update {k + 1}; "
                f"lower lr (now {config.lr:g}) or clip gradients (method autodiff_clipped, "
                f"clip={config.clip:g}); the last good checkpoint is kept"
            )


def _autodiff_step(obj: Objective, params: Params, method: str, config: DigitsConfig, trace: Trace):
    loss = obj(params)
    loss.backward()
    trace.forward_evals += 1
    norm = torch.sqrt(sum(p.grad.pow(2).sum() for p in params.values()))
    trace.grad_norms.append(float(norm))
    if not torch.isfinite(norm):  # a non-finite gradient would poison Adam's moments
        for p in params.values():
            p.grad = torch.zeros_like(p)
    elif method == "autodiff_clipped":
        torch.nn.utils.clip_grad_norm_(params.values(), config.clip)


def fit_errors(
    problem: Problem,
    x: Tensor,
    y: Tensor,
    s_grid: tuple[int, ...],
    sigma: float,
    ctx: Context,
    *,
    seed: int,
) -> np.ndarray:
    """Relative error of the regression's output-layer weight gradient against autodiff, per S.

    The seed's "FIT S" curves: only W2 is perturbed (the other parameters held fixed).
    """
    gen = ctx.generator(seed)
    params = problem.init(gen, ctx.device)
    obj = problem.objective(x, y)
    w_name = problem.layers()[1][0]
    true = {w_name: Autodiff()(obj, params, generator=gen).grad[w_name]}
    errors = []
    for s in ctx.progress.track(s_grid, description="FIT S"):
        reg = LocalRegression(sigma=sigma, num_samples=s)
        est = reg(Restricted(obj, params), {w_name: params[w_name]}, generator=gen)
        errors.append(relative_error(est.grad, true))
    return np.asarray(errors)


def fit_figure(s_grid: np.ndarray, errors: np.ndarray, d: int, title: str):
    """Relative error of the regression's W2 gradient against S, with S = D marked."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.8))
    plot.error_against_samples(ax, s_grid, errors, d)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def train_methods(
    problem: Problem, config: DigitsConfig, data: Split, ctx: Context, label: str = ""
) -> tuple[dict[str, Trace], dict[str, Params]]:
    """One training run per configured method, all from the same init (seed): traces and the
    trained parameters, by method."""
    traces, trained = {}, {}
    for method in config.methods:
        traces[method], trained[method] = train(
            problem, method, config, data, ctx, seed=config.seed, description=f"{label}{method}"
        )
    return traces, trained


def trace_metrics(traces: dict[str, Trace], suffix: str = "") -> dict[str, float]:
    """test_accuracy_<method>, best_test_accuracy_<method>, train_seconds_<method> (+ suffix)."""
    out: dict[str, float] = {}
    for m, tr in traces.items():
        out[f"test_accuracy_{m}{suffix}"] = tr.accuracy[-1]
        out[f"best_test_accuracy_{m}{suffix}"] = max(tr.accuracy)
        out[f"train_seconds_{m}{suffix}"] = tr.seconds[-1]
        if tr.grad_norms:
            norms = np.asarray(tr.grad_norms)
            finite = norms[np.isfinite(norms)]
            out[f"grad_norm_median_{m}{suffix}"] = float(np.median(finite)) if len(finite) else 0.0
            out[f"grad_norm_max_{m}{suffix}"] = float(finite.max()) if len(finite) else 0.0
            out[f"nonfinite_grads_{m}{suffix}"] = int((~np.isfinite(norms)).sum())
    return out


def trace_arrays(traces: dict[str, Trace], suffix: str = "") -> dict[str, np.ndarray]:
    out = {}
    for m, tr in traces.items():
        out[f"{m}{suffix}_samples"] = np.asarray(tr.samples_seen)
        out[f"{m}{suffix}_seconds"] = np.asarray(tr.seconds)
        out[f"{m}{suffix}_accuracy"] = np.asarray(tr.accuracy)
        out[f"{m}{suffix}_grad_norms"] = np.asarray(tr.grad_norms, dtype=float)
    return out


def accuracy_figure(
    arrays: dict[str, np.ndarray], methods: tuple[str, ...], title: str, suffix: str = ""
):
    """Test accuracy against samples seen (left) and training seconds (right), per method."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    runs = {
        m: tuple(arrays[f"{m}{suffix}_{k}"] for k in ("samples", "seconds", "accuracy"))
        for m in methods
        if f"{m}{suffix}_accuracy" in arrays
    }
    plot.accuracy_curves(axes, runs)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def grad_norm_figure(arrays: dict[str, np.ndarray], keys: list[tuple[str, str]], title: str):
    """Autodiff gradient norm (before clipping) per update; keys: (array key, label)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6))
    plot.gradient_norms(
        ax,
        {
            label: arrays[f"{key}_grad_norms"]
            for key, label in keys
            if f"{key}_grad_norms" in arrays
        },
    )
    ax.set_title(title)
    fig.tight_layout()
    return fig
