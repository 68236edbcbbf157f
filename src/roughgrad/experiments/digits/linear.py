"""Do sampled gradients match the true gradient of a linear classifier, and how many samples?

Question: write-up 003 first checks its regression method on a linear classifier (input-100-10, no
activation), where the true gradient is known. In the simplest case -- input uniformly 1 and loss
= mean output -- the gradient is closed-form: z1 = W1 1 + b1 and dL/dW2[i, j] = z1[j] / 10 (every
row the same). Then, on digits with the MSE loss, it finds the regression needs S >= the number
of parameters fitted (1000 for W2) before its estimate matches autodiff ("FIT S"). Finally the
classifier is trained with each method.

The closed-form comparisons are identities (regression with S > D, D = 10 H, matches it to
< 1e-3 and S = D / 2 does not; node perturbation matches it with only S = 20): they are
reported as metrics and checked in tests/test_digits.py, not claimed.

Claims checked:
  regression_needs_s_ge_d         on digits (MSE), the regression's relative error on W2 is
                                  below 0.05 at S >= 2 D and above 0.3 at S <= D / 2 (near
                                  S = D the least-squares problem is ill-posed: a spike);
  estimators_train_linear         every no-backprop method trains the classifier well above
                                  chance (test accuracy >= 80%).

Source: write-up 003, "Real Application: MNIST" > "Convergence of Linear Regression Method" >
"Linear Classifier" (figures "Comparison", "MNIST Linear Classifier", "FIT S").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from roughgrad.data.classification import DATASET_TITLES
from roughgrad.estimators import relative_error
from roughgrad.experiments.base import (
    Claim,
    ClaimSpec,
    Context,
    Experiment,
    Floor,
    Outcome,
    at_least,
    counterexample,
    param,
)
from roughgrad.experiments.digits import common as _digits
from roughgrad.objectives import ModuleObjective, Restricted


@dataclass(frozen=True)
class Config(_digits.DigitsConfig):
    methods: tuple[str, ...] = param(
        ("autodiff", "local_regression", "gaussian_smoothing", "node_perturbation"),
        "methods to train with",
    )
    fit_samples: tuple[int, ...] = param(
        (10, 100, 250, 500, 750, 900, 1001, 1100, 1500, 2000, 3000),
        "S values of the regression's error-against-S curve (the write-up's FIT S)",
        ge=2,
    )
    fit_batch: int = param(100, "training examples in the loss of the FIT S curve", ge=1)
    fit_sigma: float = param(
        1e-3, "perturbation std of the FIT S curve (small: the write-up)", gt=0
    )
    lr: float = param(0.003, "Adam learning rate (without lrs; setting it alone clears lrs)", gt=0)
    lrs: tuple[float, ...] = param(
        (0.001, 0.003, 0.01),
        "learning rates searched per method on validation (bracketed; empty: lr only)",
        gt=0,
        le=10,
    )


PROFILES: dict[str, dict[str, Any]] = {
    "quick": {  # max_train: the digits' training set, a cap on 28x28 data sets
        "hidden": 20,
        "methods": ("autodiff", "local_regression", "node_perturbation"),
        "lrs": (0.003, 0.01, 0.03),
        "epochs": 1.0,
        "fit_samples": (20, 100, 201, 400),
        "evaluations": 3,
        "max_train": 1437,
    },
    "default": {},
    "full": {"epochs": 20.0},
}


def closed_form_check(config: Config, ctx: Context) -> dict[str, float]:
    """Relative errors against the closed form dL/dW2 = 1 z1^T / 10 (input 1, loss mean output)."""
    problem = _digits.Problem("linear", 64, config.hidden, lambda o, y: o.mean())
    gen = ctx.generator(config.seed)
    params = problem.init(gen, ctx.device)
    x = torch.ones(1, 64, device=ctx.device)
    z1 = x @ params["l1.weight"].T + params["l1.bias"]  # (1, H)
    exact = {"l2.weight": z1.expand(10, -1) / 10}  # (10, H)
    obj = ModuleObjective(problem.module, problem.criterion, x, torch.zeros(1, device=ctx.device))
    w2 = {"l2.weight": params["l2.weight"]}
    d = 10 * config.hidden
    out = {}
    for label, s in (("half", d // 2), ("over", d + d // 10)):
        reg = _digits.estimator("local_regression", config, num_samples=s)
        est = reg(Restricted(obj, params), w2, generator=gen)
        out[f"closed_form_error_regression_s_{label}"] = relative_error(est.grad, exact)
    node = _digits.estimator("node_perturbation", config, num_samples=20)
    est = node(obj, params, generator=gen)
    out["closed_form_error_node_perturbation_s20"] = relative_error(est.grad, exact)
    return out


def run(config: Config, ctx: Context) -> Outcome:
    data = _digits.load_data(config, ctx)
    metrics: dict = closed_form_check(config, ctx)
    inputs = data.x_train.shape[1]
    fit_problem = _digits.Problem("linear", inputs, config.hidden, _digits.criterion("mse", 1.0))
    xb, yb = data.x_train[: config.fit_batch], data.y_train[: config.fit_batch]
    s_grid = np.asarray(config.fit_samples)
    errors = _digits.fit_errors(
        fit_problem, xb, yb, config.fit_samples, config.fit_sigma, ctx, seed=config.seed + 1
    )
    problem = _digits.make_problem(
        "linear", data.x_train.shape[1], config.hidden, config.loss, config.ce_gain
    )
    traces, _ = _digits.train_methods(problem, config, data, ctx)
    metrics.update(_digits.trace_metrics(traces))
    d = 10 * config.hidden
    over, under = errors[s_grid >= 2 * d], errors[s_grid <= d // 2]
    metrics["fit_error_s_over_d"] = float(over.max()) if len(over) else float("nan")
    near = int(np.abs(s_grid - d).argmin())
    metrics["fit_error_near_d"] = float(errors[near])
    metrics["fit_error_spike_at_d"] = bool(
        0 < near < len(errors) - 1 and errors[near] > max(errors[near - 1], errors[near + 1])
    )
    metrics["fit_error_near_d_s"] = int(s_grid[near])
    metrics["fit_error_s_under_half_d"] = float(under.min()) if len(under) else float("nan")
    claims = _claims(config, metrics)
    arrays = {"fit_s": s_grid, "fit_error": errors, **_digits.trace_arrays(traces)}
    return Outcome(metrics, claims, arrays)


def _claims(config: Config, m: dict) -> list[Claim]:
    """The claims from the metrics: each is *not checked* when the config leaves it nothing to
    compare (no S on one side of D in ``fit_samples``, no estimator in ``methods``)."""
    d = 10 * config.hidden
    over, under = m["fit_error_s_over_d"], m["fit_error_s_under_half_d"]
    if math.isnan(over) or math.isnan(under):
        fit = Claim.not_checked(
            "regression_needs_s_ge_d",
            f"fit_samples needs an S >= 2D = {2 * d} and an S <= D/2 = {d // 2}",
        )
    else:
        fit = Claim(
            "regression_needs_s_ge_d",
            over < 0.05 and under > 0.3,
            f"worst error with S >= 2D = {2 * d}: {over:.3g}; best with S <= D/2: {under:.3g}; "
            f"{m['fit_error_near_d']:.3g} at S = {m['fit_error_near_d_s']}, near D = {d} "
            + (
                "(above both neighbours' errors: the write-up's spike at S = D)"
                if m["fit_error_spike_at_d"]
                else "(no spike there: not above both neighbours' errors)"
            ),
        )
    estimators = [x for x in config.methods if x not in _digits.AUTODIFF]
    accuracies = ", ".join(
        f"{x} {100 * m[f'test_accuracy_{x}']:.1f}% ± {100 * m[f'test_accuracy_se_{x}']:.1f}% "
        f"(lr {m[f'lr_{x}']:g})"
        for x in config.methods
    )
    name = "estimators_train_linear"
    if not estimators:
        trains = Claim.not_checked(name, f"no estimator in methods ({accuracies})")
    else:
        margins = [
            at_least(m[f"test_accuracy_{x}"], 0.8, m[f"test_accuracy_se_{x}"]) for x in estimators
        ]
        worst = min(margins, key=lambda g: g.margin)
        trains = _digits.unsearched(name, m, estimators) or Claim.from_margins(
            name,
            margins,
            f"test accuracy (one standard error; {m[f'test_examples_{estimators[0]}']} test "
            f"images): {accuracies}; the lowest estimator against 80%: {worst.text()}",
        )
    return [fit, trains]


def figures(outcome: Outcome, config: Config) -> dict:
    a = outcome.arrays
    title = "Linear classifier: regression needs S >= D (the write-up's FIT S)"
    return {
        "fit_s": _digits.fit_figure(a["fit_s"], a["fit_error"], 10 * config.hidden, title),
        "training": _digits.accuracy_figure(
            a, config.methods, f"Linear classifier on {DATASET_TITLES[config.data]}"
        ),
    }


CLAIMS = (
    ClaimSpec(
        "regression_needs_s_ge_d",
        "regression's error against autodiff is < 0.05 for S >= 2D and > 0.3 for S <= D/2",
        (
            counterexample(
                "perturbations of sigma 1 leave the loss's linear range (measured: error 4.0 at "
                "S >= 2D)",
                fit_sigma=1.0,
            ),
        ),
    ),
    ClaimSpec(
        "estimators_train_linear",
        "every estimator trains the linear classifier to >= 80% test accuracy (beyond two "
        "standard errors, rates searched)",
        (counterexample("S = 5: the regression's estimate is too noisy (measured)", samples=5),),
    ),
)


EXPERIMENT = Experiment(
    source="write-up 003, 'Real Application: MNIST' > 'Linear Classifier'",
    summary="sampled gradients of a linear classifier against the closed form and autodiff",
    config_cls=Config,
    profiles=PROFILES,
    run=run,
    figures=figures,
    doc=__doc__ or "",
    claims=CLAIMS,
    health=(
        Floor(
            "autodiff's best validation accuracy", lambda m: m["best_val_accuracy_autodiff"], 0.8
        ),
    ),
    alone="it trains on every core",
)
