"""The digits-bnn claims, computed from the run's metrics."""

from __future__ import annotations

from typing import Any

from roughgrad.experiments.base import (
    Claim,
    Margin,
    at_least,
    binomial_se,
    difference_se,
    trained_or_reason,
)
from roughgrad.experiments.digits import common as _digits
from roughgrad.experiments.digits.bnn.config import Config, _duration, _timeframes


def _claims(config: Config, m: dict, rough: dict[tuple[str, float], float]) -> list[Claim]:
    est = [x for x in config.methods if x not in _digits.AUTODIFF]
    times = [t for t, _, _ in _timeframes(config)]
    acc = {(x, t): m[f"test_accuracy_{x}_{t}"] for x in config.methods for t in times}
    se = {(x, t): m[f"test_accuracy_se_{x}_{t}"] for x in config.methods for t in times}
    # the best estimator is chosen on validation; its test accuracy is the one reported
    chosen = max(est, key=lambda x: m.get(f"best_val_accuracy_{x}_long", -1.0), default="")

    def pct(v: float) -> str:
        return f"{100 * v:.1f}%"

    def listing(t: str) -> str:
        return ", ".join(
            f"{x} {pct(acc[(x, t)])} ± {pct(se[(x, t)])} (lr {m[f'lr_{x}_{t}']:g})"
            for x in config.methods
        )

    lo, hi = min(config.dir_dts), max(config.dir_dts)
    first = config.dir_readouts[0]  # the claim's readout
    claims = [
        Claim(
            "long_timeframe_rougher",
            rough[(first, hi)] > rough[(first, lo)],
            "residual RMS along the direction, "
            + "; ".join(
                f"{r} readout: "
                + ", ".join(f"dt {dt:g}: {rough[(r, dt)]:.3g}" for dt in config.dir_dts)
                for r in config.dir_readouts
            ),
        )
        if lo < hi
        else Claim.not_checked("long_timeframe_rougher", f"one dt in dir_dts ({lo:g})")
    ]

    def every_method(name: str, methods: list[str], t: str) -> Claim:
        margins = [at_least(acc[(x, t)], 0.5, se[(x, t)]) for x in methods]
        worst = min(margins, key=lambda g: g.margin)
        return _digits.unsearched(name, m, methods, f"_{t}") or Claim.from_margins(
            name,
            margins,
            f"{t} timeframe ({_duration(config, t):g} ms), test accuracy (one standard error, "
            f"{m[f'test_examples_{methods[0]}_{t}']} images): {listing(t)}; the lowest against "
            f"50%: {worst.text()}",
        )

    if "short" in times:
        claims.append(every_method("short_all_train", list(config.methods), "short"))
    if "long" not in times:
        return claims
    if "autodiff" in config.methods and not est:
        claims.append(
            Claim.not_checked(
                "long_autodiff_fails", "no estimator in methods to compare autodiff with"
            )
        )
    elif "autodiff" in config.methods:
        claims.append(_autodiff_fails(config, m, chosen, times, pct))
    if est:
        claims.append(every_method("long_estimators_train", est, "long"))
        margin = at_least(acc[(chosen, "long")], 0.9, se[(chosen, "long")])
        claims.append(
            _digits.unsearched("long_reaches_90", m, [chosen], "_long")
            or Claim.from_margin(
                "long_reaches_90",
                margin,
                f"test accuracy of the no-backprop method chosen on validation ({chosen}), "
                f"long timeframe: {pct(acc[(chosen, 'long')])} ± {pct(se[(chosen, 'long')])} "
                f"(one standard error, {m[f'test_examples_{chosen}_long']} test images; "
                f"{config.epochs:g} epochs of batch {config.batch_size}, lr "
                f"{m[f'lr_{chosen}_long']:g}; {_digits.estimator(chosen, config)}) against 90%: "
                f"{margin.text()}",
            )
        )
    key = f"best_val_accuracy_{config.sweep_method}_long"
    if config.sigma_sweep and key in m:
        claims.append(_larger_sigma(config, m, pct))
    return claims


def _autodiff_fails(config: Config, m: dict, chosen: str, times: list[str], pct) -> Claim:
    """long_autodiff_fails: autodiff's gradient explodes (median norm >= 10x the short
    timeframe's, or non-finite) or it trails the estimator chosen on validation by >= 10 points
    beyond two standard errors; the estimator must have trained and both searches bracketed."""
    name = "long_autodiff_fails"
    g_short = m.get("grad_norm_median_autodiff_short", float("nan"))
    g_long = m.get("grad_norm_median_autodiff_long", float("nan"))
    explodes = g_long >= 10 * g_short or m.get("nonfinite_grads_autodiff_long", 0) > 0
    gap, gap_se = _digits.accuracy_margin(m, chosen, "autodiff", "_long")
    margin = at_least(gap, 0.10, gap_se)
    others = "; ".join(
        f"{x} {pct(m[f'test_accuracy_{x}_long'])} (lr {m[f'lr_{x}_long']:g}, median gradient "
        f"norm {m.get(f'grad_norm_median_{x}_long', float('nan')):.3g})"
        for x in config.methods
        if x in _digits.AUTODIFF and x != "autodiff"
    )
    evidence = (
        "median autodiff gradient norm "
        + (f"{g_short:.3g} (short) -> " if "short" in times else "")
        + f"{g_long:.3g} (long){' (explodes: >= 10x)' if explodes else ''}; long-timeframe "
        f"test accuracy autodiff {pct(m['test_accuracy_autodiff_long'])} (lr "
        f"{m['lr_autodiff_long']:g}) vs the estimator chosen on validation ({chosen}) "
        f"{pct(m[f'test_accuracy_{chosen}_long'])}: it trails by {100 * gap:.1f} points against "
        f"10, {margin.text()}" + (f"; {others}" if others else "")
    )
    if explodes:
        return Claim(name, True, evidence)
    val = {chosen: m[f"best_val_accuracy_{chosen}_long"]}
    reason = trained_or_reason(val, _digits.TRAINED, _digits.CHANCE)
    if reason:
        return Claim.not_checked(name, reason)
    return _digits.unsearched(name, m, ["autodiff", chosen], "_long") or Claim.from_margin(
        name, margin, evidence
    )


def _larger_sigma(config: Config, m: dict, pct) -> Claim:
    """larger_sigma_helps: validation accuracy at the largest sigma beats the smallest by more
    than two binomial standard errors of the difference."""
    swept: Any = _digits.estimator(config.sweep_method, config)  # one with a sigma
    method = config.sweep_method
    points = {swept.sigma: m[f"best_val_accuracy_{method}_long"]}
    points.update({s: m[f"best_val_accuracy_{method}_long_sigma{s:g}"] for s in config.sigma_sweep})
    small, large = min(points), max(points)
    n_val = m.get("validation_examples", 0)
    margin = Margin(
        points[large] - points[small],
        difference_se(binomial_se(points[large], n_val), binomial_se(points[small], n_val)),
    )
    evidence = (
        f"{method} on the long timeframe (lr {m[f'lr_{method}_long']:g}), validation accuracy "
        f"on {n_val} images: "
        + ", ".join(f"sigma {s:g}: {pct(points[s])}" for s in sorted(points))
        + f"; largest against smallest: {margin.text()}"
    )
    reason = trained_or_reason({f"sigma {small:g}": points[small]}, _digits.TRAINED, 0.1)
    if reason:
        return Claim.not_checked("larger_sigma_helps", reason)
    return Claim.from_margin("larger_sigma_helps", margin, evidence)
