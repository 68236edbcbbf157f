"""The digits-ann run: the regression's error against S, every method in the write-up's and the
fast setting, the metrics and the claims."""

from __future__ import annotations

import numpy as np

from roughgrad.experiments.base import (
    Claim,
    Context,
    Margin,
    Outcome,
    at_least,
    within,
)
from roughgrad.experiments.digits import common as _digits
from roughgrad.experiments.digits.ann.config import Config, fast_config


def run(config: Config, ctx: Context) -> Outcome:
    data = _digits.load_data(config, ctx)
    inputs = data.x_train.shape[1]
    fit_problem = _digits.Problem("ann", inputs, config.hidden, _digits.criterion("mse", 1.0))
    errors = _digits.fit_errors(
        fit_problem,
        data.x_train[: config.fit_batch],
        data.y_train[: config.fit_batch],
        config.fit_samples,
        config.fit_sigma,
        ctx,
        seed=config.seed + 1,
    )
    problem = _digits.make_problem("ann", inputs, config.hidden, config.loss, config.ce_gain)
    traces, _ = _digits.train_methods(problem, config, data, ctx, label="write-up setting: ")
    fast = fast_config(config)
    fast_problem = _digits.make_problem("ann", inputs, config.hidden, fast.loss, fast.ce_gain)
    fast_traces, _ = _digits.train_methods(fast_problem, fast, data, ctx, label="fast setting: ")
    metrics = {
        **_digits.trace_metrics(traces),
        **_digits.trace_metrics(fast_traces, suffix="_fast"),
    }
    for m, tr in fast_traces.items():
        metrics[f"seconds_to_95_{m}_fast"] = tr.time_to(0.95)
        metrics[f"seconds_to_95_se_{m}_fast"] = tr.history.time_to_se(0.95)
        metrics[f"seconds_to_97_{m}_fast"] = tr.time_to(0.97)
    claims = _claims(config, fast, metrics)
    arrays = {
        "fit_s": np.asarray(config.fit_samples),
        "fit_error": errors,
        **_digits.trace_arrays(traces),
        **_digits.trace_arrays(fast_traces, suffix="_fast"),
    }
    return Outcome(metrics, claims, arrays)


def _claims(config: Config, fast: Config, m: dict) -> list[Claim]:
    """The three claims from the metrics: each compares methods that trained (best validation
    accuracy >= chance + 20 points) with bracketed learning-rate searches, by a margin beyond
    two standard errors."""
    claims = []
    if {"autodiff", "local_regression"} <= set(config.methods):
        name = "regression_close_to_autodiff"
        gap, se = _digits.accuracy_margin(m, "autodiff", "local_regression")
        margin = within(gap, 0.05, se)
        claims.append(
            _digits.premise(name, m, ["autodiff", "local_regression"])
            or Claim.from_margin(
                name,
                margin,
                f"write-up setting: autodiff {100 * m['test_accuracy_autodiff']:.1f}% (lr "
                f"{m['lr_autodiff']:g}), regression "
                f"{100 * m['test_accuracy_local_regression']:.1f}% (lr "
                f"{m['lr_local_regression']:g}); gap {100 * gap:.1f} points against the "
                f"5-point tolerance: {margin.text()}; {m['test_examples_autodiff']} test images",
            )
        )
    fm = config.fast_method
    acc, se = _digits.accuracy_margin(m, fm, suffix="_fast")
    margin = at_least(acc, 0.97, se)
    claims.append(
        _digits.unsearched("no_backprop_reaches_97", m, [fm], "_fast")
        or Claim.from_margin(
            "no_backprop_reaches_97",
            margin,
            f"fast setting: {fm} test accuracy {100 * acc:.1f}% ± {100 * se:.1f}% (one "
            f"standard error, {m[f'test_examples_{fm}_fast']} test images; lr "
            f"{m[f'lr_{fm}_fast']:g} chosen on validation; parameters of the best of "
            f"{fast.evaluations} validation evaluations, scored once) against 97%: "
            f"{margin.text()}; autodiff {100 * m['test_accuracy_autodiff_fast']:.1f}% ± "
            f"{100 * m['test_accuracy_se_autodiff_fast']:.1f}%",
        )
    )
    t_est, t_ad = m[f"seconds_to_95_{fm}_fast"], m["seconds_to_95_autodiff_fast"]
    name = "no_backprop_fast_to_95"
    pending = _digits.premise(name, m, ["autodiff", fm], "_fast")
    if pending is None and not (np.isfinite(t_est) and np.isfinite(t_ad)):
        missing = [x for x, t in ((fm, t_est), ("autodiff", t_ad)) if not np.isfinite(t)]
        if "autodiff" in missing:
            pending = Claim.not_checked(name, "autodiff never reached 95% validation accuracy")
        else:
            pending = Claim(name, False, f"{fm} never reached 95% validation accuracy")
    if pending is None:
        # a time to 95% is known to one evaluation interval (a uniform error of that width)
        # and to the wall clock's noise, measured as the spread of the equal-work intervals
        step = {x: m[f"train_seconds_{x}_fast"] / (fast.evaluations - 1) for x in (fm, "autodiff")}
        noise = {x: m[f"seconds_to_95_se_{x}_fast"] for x in (fm, "autodiff")}
        se = float(
            np.sqrt(
                (step[fm] ** 2 + (2 * step["autodiff"]) ** 2) / 12
                + noise[fm] ** 2
                + (2 * noise["autodiff"]) ** 2
            )
        )
        margin = Margin(2 * t_ad - t_est, se)
        pending = Claim.from_margin(
            name,
            margin,
            f"training seconds to 95% validation accuracy: {fm} {t_est:.2f}, autodiff "
            f"{t_ad:.2f} (ratio {t_est / t_ad:.2f} against 2; evaluations every "
            f"{fast.epochs / (fast.evaluations - 1):.2g} epochs; wall-clock noise, from the "
            f"spread of equal-work intervals: {fm} ± {noise[fm]:.2f} s, autodiff ± "
            f"{noise['autodiff']:.2f} s: "
            f"{margin.text(scale=1, unit=' s', digits=2)})",
        )
    claims.append(pending)
    return claims
