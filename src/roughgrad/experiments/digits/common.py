"""Shared machinery of the digits experiments (write-up 003, "Real Application: MNIST").

A problem is the write-up's layout input-H-10 as a linear classifier, an ANN (sigmoid after both
layers) or a BNN (Hodgkin-Huxley neurons, ``roughgrad.objectives.hh_classifier``). A method is
autodiff, autodiff with gradient-norm clipping, or a no-backprop estimator; all step Adam. A
training run records validation accuracy against samples seen and training wall time
(evaluation excluded) and the gradient norm of every update; the parameters of its best
validation evaluation are scored once on the test split. The loop is ``roughgrad.train.fit``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from torch import Tensor

from roughgrad import plot
from roughgrad._types import Params
from roughgrad.data import Split
from roughgrad.estimators import Autodiff, LocalRegression, relative_error
from roughgrad.experiments.base import Claim, Context, difference_se, trained_or_reason
from roughgrad.experiments.digits.config import (  # re-exported: one import for experiments
    AUTODIFF,
    DigitsConfig,
    estimator,
    estimator_methods,
    load_data,
)
from roughgrad.experiments.digits.problem import Problem, criterion, make_problem
from roughgrad.experiments.digits.training import Trace, accuracy, score_test, train
from roughgrad.experiments.search import bracketed_search
from roughgrad.objectives import Restricted

__all__ = [  # besides what is defined here
    "AUTODIFF",
    "DigitsConfig",
    "Problem",
    "Trace",
    "accuracy",
    "criterion",
    "estimator",
    "estimator_methods",
    "load_data",
    "make_problem",
    "train",
]


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

    The write-up's "FIT S" curves: only W2 is perturbed (the other parameters held fixed).
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
    trained parameters, by method.

    With ``config.lrs``, each method's learning rate is chosen on the validation split by a
    bracketed search (``roughgrad.experiments.search.bracketed_search``: a winner at the
    grid's edge extends it by ``config.lr_extend`` steps); with ``config.search_epochs``, the
    rates are compared after that many epochs and the winner then trains for ``epochs``. Only
    the chosen run is scored on the test split. Without ``lrs`` every method trains at ``lr``
    (not searched: ``Trace.bracketed`` is False)."""
    traces, trained = {}, {}
    for method in config.methods:
        trace, params = _train_searched(problem, method, config, data, ctx, label)
        score_test(trace, problem, params, data)
        traces[method], trained[method] = trace, params
    return traces, trained


def _train_searched(
    problem: Problem, method: str, config: DigitsConfig, data: Split, ctx: Context, label: str
) -> tuple[Trace, Params]:
    def run(lr: float, epochs: float | None = None, tag: str = "") -> tuple[Trace, Params]:
        run_config = dataclasses.replace(config, lr=lr)
        if epochs is not None:
            run_config = dataclasses.replace(run_config, epochs=epochs)
        return train(
            problem,
            method,
            run_config,
            data,
            ctx,
            seed=config.seed,
            description=f"{label}{method}{tag}",
            score=False,
        )

    if not config.lrs:
        trace, params = run(config.lr)
        trace.searched = {config.lr: trace.accuracy[trace.selected]}
        return trace, params
    short = config.search_epochs if 0 < config.search_epochs < config.epochs else None

    def trial(lr: float) -> tuple[float, tuple[Trace, Params]]:
        tag = f" (lr {lr:g}" + (f", {short:g} epochs" if short else "") + ")"
        trace, params = run(lr, short, tag)
        return trace.accuracy[trace.selected], (trace, params)  # best validation accuracy

    found = bracketed_search(config.lrs, trial, extend=config.lr_extend, limits=(0.0, 10.0))
    trace, params = found.payload if short is None else run(found.best)
    trace.searched, trace.bracketed = dict(found.scores), found.bracketed
    return trace, params


def trace_metrics(traces: dict[str, Trace], suffix: str = "") -> dict[str, Any]:
    """Per method (+ suffix): test_accuracy (of the parameters selected on validation, scored
    once) and its standard error test_accuracy_se, best_val_accuracy, the selected step's
    samples seen (selected_samples), train_seconds, the learning rate kept (lr) and, after a
    search, every searched rate's best validation accuracy (val_accuracy_<method>_lr<lr>), and
    the training's cost: network_evaluations (whole-network equivalents) and
    backward_passes."""
    out: dict[str, Any] = {}
    for m, tr in traces.items():
        out[f"test_accuracy_{m}{suffix}"] = tr.test_accuracy
        out[f"test_accuracy_se_{m}{suffix}"] = tr.test_se
        out[f"test_examples_{m}{suffix}"] = tr.test_examples
        out[f"best_val_accuracy_{m}{suffix}"] = tr.accuracy[tr.selected]
        out[f"selected_samples_{m}{suffix}"] = tr.samples_seen[tr.selected]
        out[f"train_seconds_{m}{suffix}"] = tr.seconds[-1]
        out[f"lr_{m}{suffix}"] = tr.lr
        out[f"lr_bracketed_{m}{suffix}"] = tr.bracketed
        out[f"lrs_searched_{m}{suffix}"] = sorted(tr.searched)
        if len(tr.searched) > 1:
            out.update({f"val_accuracy_{m}_lr{lr:g}{suffix}": a for lr, a in tr.searched.items()})
        out[f"network_evaluations_{m}{suffix}"] = tr.history.num_evals  # whole-network units
        out[f"backward_passes_{m}{suffix}"] = tr.history.num_grads
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
    arrays: dict[str, np.ndarray],
    methods: tuple[str, ...],
    title: str,
    suffix: str = "",
    **curves,
):
    """Test accuracy against samples seen (left) and training seconds (right), per method;
    ``curves``: options of [`roughgrad.plot.accuracy_curves`][roughgrad.plot.accuracy_curves]
    (log_x, level)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    runs = {
        m: (
            arrays[f"{m}{suffix}_samples"],
            arrays[f"{m}{suffix}_seconds"],
            arrays[f"{m}{suffix}_accuracy"],
        )
        for m in methods
        if f"{m}{suffix}_accuracy" in arrays
    }
    plot.accuracy_curves(axes, runs, **curves)
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


CHANCE = 0.1  # ten classes
TRAINED = CHANCE + 0.2  # a method "trained" when its best validation accuracy clears this


def premise(name: str, m: dict, methods: list[str], suffix: str = "") -> Claim | None:
    """For a claim that compares ``methods``: *not checked* when one did not train (best
    validation accuracy below TRAINED: chance + 20 points), *inconclusive* when one's
    learning-rate search was not bracketed (``unsearched``); None when it can be decided."""
    val = {x: m[f"best_val_accuracy_{x}{suffix}"] for x in methods}
    reason = trained_or_reason(val, TRAINED, CHANCE)
    if reason:
        return Claim.not_checked(name, reason)
    return unsearched(name, m, methods, suffix)


def unsearched(name: str, m: dict, methods: list[str], suffix: str = "") -> Claim | None:
    """The claim ``name`` as *inconclusive* when one of ``methods`` trained at a learning rate
    that no bracketed search chose; None when every one did."""
    loose = [x for x in methods if not m.get(f"lr_bracketed_{x}{suffix}", False)]
    if loose:
        tried = "; ".join(
            f"{x}: lr {m[f'lr_{x}{suffix}']:g} of "
            + ", ".join(f"{lr:g}" for lr in m.get(f"lrs_searched_{x}{suffix}", []))
            for x in loose
        )
        return Claim.undecided(name, f"search not bracketed ({tried})")
    return None


def accuracy_margin(m: dict, a: str, b: str | None = None, suffix: str = "") -> tuple[float, float]:
    """Test accuracy of ``a`` (minus ``b``'s) and its binomial standard error."""
    acc, se = m[f"test_accuracy_{a}{suffix}"], m[f"test_accuracy_se_{a}{suffix}"]
    if b is None:
        return acc, se
    return acc - m[f"test_accuracy_{b}{suffix}"], difference_se(
        se, m[f"test_accuracy_se_{b}{suffix}"]
    )
