"""A digits training run on [`roughgrad.train.fit`][roughgrad.train.fit]: Adam on the gradient of a
method, selected on the validation split, scored once on the test split."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from roughgrad._types import Params
from roughgrad.data import Split
from roughgrad.experiments.base import Context
from roughgrad.experiments.digits.config import AUTODIFF, DigitsConfig, estimator
from roughgrad.experiments.digits.problem import Problem
from roughgrad.objectives import PopulationPool, distributed
from roughgrad.train import History, fit


@dataclass
class Trace:
    """One training run: fit's history (validation accuracy at each evaluation) and the test
    accuracy of the parameters selected on validation, scored once."""

    method: str
    history: History = field(default_factory=lambda: History(""))
    test_accuracy: float = math.nan
    test_examples: int = 0
    lr: float = math.nan
    searched: dict[float, float] = field(default_factory=dict)  # lr -> best validation accuracy
    bracketed: bool = False  # the chosen lr is inside the searched rates (see train_methods)

    samples_seen = property(lambda self: self.history.samples_seen)
    seconds = property(lambda self: self.history.seconds)
    accuracy = property(lambda self: self.history.validation)  # on the validation split
    grad_norms = property(lambda self: self.history.grad_norms)
    selected = property(lambda self: self.history.selected)

    @property
    def test_se(self) -> float:
        """Standard error of the test accuracy, sqrt(p (1 - p) / n)."""
        p, n = self.test_accuracy, max(self.test_examples, 1)
        return float(np.sqrt(p * (1 - p) / n))

    def time_to(self, level: float) -> float:
        return self.history.time_to(level)


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
    options: dict[str, Any] | None = None,
    score: bool = True,
) -> tuple[Trace, Params]:
    """Train from the write-up's init with Adam, the gradient coming from ``method`` (autodiff,
    autodiff_clipped, or a registered estimator with ``options`` over the config's).

    Accuracy is measured on ``data``'s validation split at ``config.evaluations`` points; the
    parameters of the best of them are returned and (``score``) scored once on the test split.
    The loop checkpoints through ``ctx.checkpoints`` under ``description or method``; the
    seed's local regression alternates layers, one per update. ``autodiff_surrogate`` trains
    the same network with surrogate gradients (``HHNet.surrogate``, width
    ``config.surrogate``).
    """
    x_val, y_val = data.x_val, data.y_val
    if x_val is None or y_val is None:
        raise ValueError("train() selects on a validation split: make data with with_validation")
    gen = ctx.generator(seed)
    if method == "autodiff_surrogate":
        problem = problem.with_surrogate(config.surrogate)  # type: ignore[attr-defined]
    params = problem.init(gen, ctx.device)
    est = estimator(method, config, **(options or {}))
    pool = None
    if method not in AUTODIFF and config.population_actors:
        pool = PopulationPool(config.population_actors, address=config.ray_address)
    template = problem.objective(data.x_train[:1], data.y_train[:1])
    try:
        result = fit(
            template,
            params,
            (data.x_train, data.y_train),
            estimator=est,
            optimizer=lambda ps: torch.optim.Adam(ps, lr=config.lr),
            batch_size=config.batch_size,
            epochs=config.epochs,
            validation=lambda p: accuracy(problem, p, x_val, y_val),
            evaluations=config.evaluations,
            schedule=config.lr_schedule,
            clip=config.clip if method == "autodiff_clipped" else None,
            skip_nonfinite=method in AUTODIFF,  # the long-timeframe gradient may overflow
            alternate=problem.layers() if method == "local_regression" else None,
            population=None if pool is None else (lambda obj: distributed(obj, pool)),
            checkpoint=ctx.checkpoints,
            key=description or method,
            generator=gen,
            progress=ctx.progress,
        )
    finally:
        if pool is not None:
            pool.close()
    trace = Trace(method, result.history, lr=config.lr)
    if score:
        score_test(trace, problem, result.params, data)
    return trace, result.params


def score_test(trace: Trace, problem: Problem, params: Params, data: Split) -> None:
    """Score the selected parameters on the test split: once per reported run."""
    trace.test_accuracy = accuracy(problem, params, data.x_test, data.y_test)
    trace.test_examples = len(data.y_test)
