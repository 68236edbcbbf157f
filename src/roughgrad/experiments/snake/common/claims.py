"""The snake experiments' shared claim helpers and health floor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from roughgrad.experiments.base import (
    Claim,
    Floor,
    Margin,
    difference_se,
    seeds_se,
)

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
