"""The digits experiments' training loop: Adam on a gradient from autodiff or an estimator,
evaluated on the validation split during training, the parameters of the best validation
evaluation scored once on the test split, checkpointed through ``ctx.checkpoints``."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from roughgrad._types import Params
from roughgrad.data import Split
from roughgrad.experiments._contract import Context, NumericalError
from roughgrad.experiments._digits_config import AUTODIFF, DigitsConfig, estimator
from roughgrad.experiments._digits_problem import Problem
from roughgrad.objectives import PopulationPool, Restricted, distributed
from roughgrad.objectives.base import Objective


@dataclass
class Trace:
    """One training run: validation accuracy at each evaluation, samples seen and training
    seconds then; the test accuracy of the parameters selected on validation (scored once)."""

    method: str
    samples_seen: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)  # on the validation split
    grad_norms: list[float] = field(default_factory=list)  # autodiff: before clipping
    forward_evals: int = 0
    selected: int = -1  # index of the evaluation whose parameters are kept
    test_accuracy: float = float("nan")
    test_examples: int = 0

    @property
    def test_se(self) -> float:
        """Standard error of the test accuracy, sqrt(p (1 - p) / n)."""
        p, n = self.test_accuracy, max(self.test_examples, 1)
        return float(np.sqrt(p * (1 - p) / n))

    def time_to(self, level: float) -> float:
        """Training seconds until validation accuracy first reached ``level`` (nan: never)."""
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

    Accuracy is measured on ``data``'s validation split at ``config.evaluations`` points; the
    parameters of the best of them are kept, returned and scored once on the test split. The
    loop checkpoints through ``ctx.checkpoints`` under the key ``description or method``
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
    if data.x_val is None or data.y_val is None:
        raise ValueError("train() selects on a validation split: make data with with_validation")
    trace, est, clock = Trace(method), None, 0.0
    best = {k: v.detach().clone() for k, v in params.items()}
    key, start_k = description or method, 0
    if (state := ctx.checkpoints.restore(key)) is not None:
        start_k, clock, trace = state["next"], state["clock"], Trace(**state["trace"])
        _load_state(state, params, opt, sched, gen)
        best = state["best"]
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
                trace.accuracy.append(accuracy(problem, params, data.x_val, data.y_val))
                if trace.accuracy[-1] > max(trace.accuracy[:-1], default=-1.0):
                    trace.selected = len(trace.accuracy) - 1
                    best = {n: v.detach().clone() for n, v in params.items()}
            if k == updates:
                break
            start = time.perf_counter()
            _update(k, problem, method, est, config, data, params, opt, gen, pool, trace)
            if sched is not None:
                sched.step()
            clock += time.perf_counter() - start
            _check_finite(params, key, k, config)
            ctx.checkpoints.save(
                key,
                k + 1,
                lambda k=k, c=clock, b=best: _state(k + 1, c, trace, params, b, opt, sched, gen),
            )
    finally:
        if pool is not None:
            pool.close()
    trace.test_accuracy = accuracy(problem, best, data.x_test, data.y_test)  # the one test look
    trace.test_examples = len(data.y_test)
    ctx.checkpoints.save(
        key,
        updates + 1,
        lambda: _state(updates + 1, clock, trace, params, best, opt, sched, gen),
        final=True,
    )
    return trace, best


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


def _state(
    next_k: int, clock: float, trace: Trace, params: Params, best: Params, opt, sched, gen
) -> dict:
    """A training loop's checkpoint: everything the next update depends on, and the parameters
    selected on validation so far."""
    return {
        "next": next_k,
        "clock": clock,
        "trace": dataclasses.asdict(trace),
        "params": {k: v.detach().clone() for k, v in params.items()},
        "best": {k: v.clone() for k, v in best.items()},
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
    # one reduction per update (a sum is non-finite iff some element is, barring overflow, which
    # is a blow-up too); the per-parameter search runs only once something is wrong
    if torch.isfinite(torch.stack([p.detach().sum() for p in params.values()])).all():
        return
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
