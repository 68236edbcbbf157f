"""The training loop users call: minibatches, a gradient estimator, a torch optimizer,
validation, checkpoints and progress.

[`fit`][roughgrad.train.fit] trains any objective that takes minibatches
(``roughgrad.objectives.Batched``) with any registered estimator;
[`Progress`][roughgrad.runtime.Progress] and [`Checkpoints`][roughgrad.runtime.Checkpoints]
(``roughgrad.runtime``, re-exported here) are the two hooks a caller may supply (the command
line passes its progress bars and its run directory's checkpoints).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor

from roughgrad._fit_helpers import (
    check_finite,
    evaluation_points,
    fit_state,
    make_schedule,
    restore_fit_state,
    tracker,
)
from roughgrad._types import Params
from roughgrad.estimators import Estimator, build
from roughgrad.objectives.base import Batched, Objective, Restricted
from roughgrad.runtime import (
    BarProgress,
    Checkpoints,
    DirectoryCheckpoints,
    NumericalError,
    Progress,
    StopRun,
)

__all__ = [
    "BarProgress",
    "Checkpoints",
    "DirectoryCheckpoints",
    "Fit",
    "History",
    "NumericalError",
    "Progress",
    "StopRun",
    "fit",
]


@dataclass
class History:
    """What a [`fit`][roughgrad.train.fit] did: validation scores over training, cost, and the
    selected point.

    ``samples_seen``, ``seconds`` (training time, evaluation excluded) and ``validation`` have one
    entry per evaluation; ``grad_norms`` one per update (the estimate's norm before clipping);
    ``num_evals`` and ``num_grads`` sum the estimates' costs (network evaluations and backward
    passes, see ``roughgrad.estimators.base``); ``skipped`` counts updates whose estimate was
    not finite (the optimizer did not step); ``selected`` indexes the evaluation whose
    parameters were kept (-1: no validation, the last parameters).
    """

    estimator: str
    updates: int = 0
    samples_seen: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    validation: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    num_evals: int = 0
    num_grads: int = 0
    skipped: int = 0
    selected: int = -1

    def time_to(self, level: float) -> float:
        """Training seconds until the validation score first reached ``level`` (nan: never)."""
        for sec, score in zip(self.seconds, self.validation, strict=True):
            if score >= level:
                return sec
        return float("nan")

    def time_to_se(self, level: float) -> float:
        """The wall-clock noise of ``time_to(level)``: evaluations are equally spaced in work,
        so the intervals between them are repeated timings of the same work; their spread
        times sqrt(intervals summed) (0 with fewer than three evaluations; nan: never
        reached)."""
        reached = [i for i, v in enumerate(self.validation) if v >= level]
        if not reached:
            return float("nan")
        gaps = np.diff(np.asarray(self.seconds, dtype=float))
        if len(gaps) < 2:
            return 0.0
        return float(np.std(gaps, ddof=1) * np.sqrt(reached[0]))


@dataclass(frozen=True)
class Fit:
    """The result of [`fit`][roughgrad.train.fit]: the parameters selected on validation, and the
    history."""

    params: Params
    history: History


def fit(
    objective: Objective,
    params: Params,
    data: tuple[Tensor, Tensor],
    *,
    estimator: str | Estimator = "node_perturbation",
    optimizer: Callable[[list[Tensor]], torch.optim.Optimizer] | None = None,
    batch_size: int = 10,
    epochs: float = 1.0,
    validation: Callable[[Params], float] | None = None,
    evaluations: int = 20,
    schedule: Literal["constant", "cosine"] = "constant",
    clip: float | None = None,
    skip_nonfinite: bool = False,
    alternate: Sequence[Sequence[str]] | None = None,
    population: Callable[[Objective], Objective] | None = None,
    checkpoint: str | os.PathLike[str] | Checkpoints | None = None,
    key: str = "fit",
    generator: torch.Generator | None = None,
    progress: bool | Progress = True,
) -> Fit:
    """Train ``params`` on minibatches of ``data`` with gradients from ``estimator``.

    Each update draws ``batch_size`` random training examples, points ``objective`` at them
    (``objective.with_batch``), estimates the gradient (no backpropagation unless the
    estimator is ``"autodiff"``), optionally clips its norm, and steps the optimizer. The
    tensors in ``params`` are trained in place (pass ``dict(model.named_parameters())`` to
    train a module).

    Args:
        objective: an objective over one batch that can take another
            ([`Batched`][roughgrad.objectives.base.Batched]).
        params: {name: tensor}, the starting point; trained in place.
        data: (x (N, ...), y (N, ...)) training examples.
        estimator: a registered name (``roughgrad.estimators.ESTIMATORS``) or an instance.
        optimizer: params -> a torch optimizer (default: Adam, lr 1e-3).
        batch_size: examples per update; updates = round(epochs * N / batch_size).
        epochs: passes over the training set (see batch_size).
        validation: params -> a score, higher is better, measured at ``evaluations`` evenly
            spaced updates (the first before training, the last after it); the parameters of
            the best evaluation are returned. None: the last parameters are returned.
        schedule: "constant", or "cosine" decay of the learning rate to zero.
        clip: maximum gradient norm (None: no clipping).
        skip_nonfinite: an update whose estimate is NaN or infinite is skipped (counted in
            ``History.skipped``) instead of stepping; off by default, so a blow-up stops the
            loop with a NumericalError rather than training nothing in silence.
        alternate: parameter-name groups; update k estimates only group k % len (the others
            held fixed), as the write-up does for local regression one layer at a time.
        population: wraps each minibatch objective, e.g. ``lambda o: distributed(o, pool)``
            to evaluate populations on Ray actors.
        checkpoint: a directory (``DirectoryCheckpoints``) or a ``Checkpoints``; the loop
            restores from it under ``key`` and continues bit for bit.
        generator: randomness for minibatches and estimates (default: seeded with 0).
        progress: a progress bar on stderr (True), none (False), or a ``Progress``.

    Returns:
        Fit(params selected on validation, History).

    Raises:
        NumericalError: a parameter became NaN or infinite (the last checkpoint is kept).

    Example:
        >>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(),
        ...                             torch.nn.Linear(8, 3))
        >>> x, y = torch.randn(100, 4), torch.randint(3, (100,))
        >>> obj = ModuleObjective(model, torch.nn.functional.cross_entropy, x, y)
        >>> result = fit(obj, dict(model.named_parameters()), (x, y), epochs=2,
        ...              progress=False)  # doctest: +SKIP
    """
    if not isinstance(objective, Batched):
        raise TypeError(
            f"fit needs an objective that takes minibatches (roughgrad.objectives.Batched); "
            f"got {type(objective).__name__}"
        )
    x, y = data
    if len(x) != len(y) or not 1 <= batch_size:
        raise ValueError(f"data has {len(x)} inputs and {len(y)} targets; batch_size {batch_size}")
    est = build(estimator) if isinstance(estimator, str) else estimator
    name = estimator if isinstance(estimator, str) else type(estimator).__name__
    gen = generator if generator is not None else torch.Generator().manual_seed(0)
    for p in params.values():
        p.requires_grad_(True)
    opt = (optimizer or (lambda ps: torch.optim.Adam(ps, lr=1e-3)))(list(params.values()))
    updates = max(1, round(epochs * len(x) / batch_size))
    sched = make_schedule(schedule, opt, updates)
    eval_at = set() if validation is None else evaluation_points(updates, evaluations)
    store = (
        DirectoryCheckpoints(checkpoint)
        if isinstance(checkpoint, (str, os.PathLike))
        else (checkpoint or Checkpoints())
    )
    history, clock, start_k = History(name, updates), 0.0, 0
    best = {k: v.detach().clone() for k, v in params.items()}
    if (state := store.restore(key)) is not None:
        start_k, clock, history = state["next"], state["clock"], History(**state["history"])
        restore_fit_state(state, params, opt, sched, gen)
        best = state["best"]

    def snapshot(next_k: int, seconds: float) -> Callable[[], dict[str, Any]]:
        return lambda: fit_state(next_k, seconds, history, params, best, opt, sched, gen)

    steps = range(start_k, updates + 1)
    for k in tracker(progress).track(steps, total=len(steps), description=key):
        if k in eval_at and validation is not None:
            history.samples_seen.append(k * batch_size)
            history.seconds.append(clock)
            with torch.no_grad():
                history.validation.append(float(validation(params)))
            if history.validation[-1] > max(history.validation[:-1], default=-math.inf):
                history.selected = len(history.validation) - 1
                best = {n: v.detach().clone() for n, v in params.items()}
        if k == updates:
            break
        start = time.perf_counter()
        idx = torch.randint(len(x), (batch_size,), generator=gen, device=gen.device)
        obj = objective.with_batch(x[idx], y[idx])
        group = None if not alternate else alternate[k % len(alternate)]
        objective_k = population(obj) if population else obj
        _step(est, objective_k, params, group, opt, gen, clip, skip_nonfinite, history)
        if sched is not None:
            sched.step()
        clock += time.perf_counter() - start
        check_finite(params, key, k)
        store.save(key, k + 1, snapshot(k + 1, clock))
    if validation is None:
        best = {k: v.detach().clone() for k, v in params.items()}
    store.save(key, updates + 1, snapshot(updates + 1, clock), final=True)
    return Fit(best, history)


def _step(est, obj, params, group, opt, gen, clip, skip_nonfinite, history: History) -> None:
    """One optimizer step with the estimate of ``group`` (None: all parameters)."""
    current = {name: p.detach() for name, p in params.items()}
    if group is None:
        e = est(obj, current, generator=gen)
    else:
        e = est(Restricted(obj, current), {n: current[n] for n in group}, generator=gen)
    history.num_evals += e.num_evals
    history.num_grads += e.num_grads
    grads = [e.grad[n] for n in params if n in e.grad]
    norm = torch.sqrt(sum(g.pow(2).sum() for g in grads))
    history.grad_norms.append(float(norm))
    opt.zero_grad(set_to_none=True)
    if skip_nonfinite and not torch.isfinite(norm):  # it would poison the optimizer's moments
        history.skipped += 1
        for p in params.values():
            p.grad = torch.zeros_like(p)
    else:
        for name, p in params.items():
            p.grad = e.grad[name].clone() if name in e.grad else torch.zeros_like(p)
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(params.values(), clip)
    opt.step()
