"""Gradient fidelity per forward evaluation: every estimator on the same network and batch.

The digits ANN (64-100-10, sigmoid after both layers, cross-entropy on 10 x outputs; D = 7,510
parameters) at its seed-0 initialisation, one minibatch of 100 training digits. For each
estimator of ``roughgrad.estimators.ESTIMATORS`` that applies to it and each budget S, the
cosine between the estimate and autodiff's gradient, averaged over ``--draws`` noise draws,
against the forward evaluations the estimate used. Prints a table and, last, one JSON object
(``cosine_<estimator>_s<S>``, ``evals_<estimator>_s<S>``; ``ratio_np_vs_smoothing`` is node
perturbation's cosine over Gaussian smoothing's at the largest S); writes the plot to
``docs/fidelity_per_eval.png``. Estimators that need another kind of objective are listed as
skipped with the reason (node perturbation through time needs a recurrent model).

    python benchmarks/fidelity_per_eval.py [--quick]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch

from roughgrad.data import load_dataset
from roughgrad.estimators import ESTIMATORS, Autodiff, cosine
from roughgrad.experiments.digits import common as _digits

SIGMA = 0.01  # perturbation std of the sampling estimators (node noise for node perturbation)


def build(name: str, s: int):
    """The estimator ``name`` with a budget of about ``s`` forward evaluations (None: n/a)."""
    cls = ESTIMATORS[name]
    if name == "finite_difference":
        return cls(sigma=1e-3, mode="random", num_samples=s)
    if name == "mollified":
        return cls(width=SIGMA, kernel="gaussian", num_samples=s)
    if name in ("gaussian_smoothing", "local_regression", "node_perturbation"):
        return cls(sigma=SIGMA, num_samples=s)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="S up to 100, 2 draws")
    parser.add_argument("--draws", type=int, default=None)
    args = parser.parse_args()
    budgets = (10, 30, 100) if args.quick else (10, 30, 100, 300, 1000)
    draws = args.draws or (2 if args.quick else 5)
    data = load_dataset("digits", None, device=torch.device("cpu"))
    problem = _digits.make_problem("ann", 64, 100, "cross_entropy", 10.0)
    params = problem.init(torch.Generator().manual_seed(0), torch.device("cpu"))
    obj = problem.objective(data.x_train[:100], data.y_train[:100])
    true = Autodiff()(obj, params, generator=torch.Generator()).grad
    rows, skipped, result = {}, {}, {}
    for name in ESTIMATORS:
        if name == "autodiff" or build(name, 10) is None:
            skipped[name] = "the reference" if name == "autodiff" else "needs a recurrent model"
            continue
        rows[name] = []
        for s in budgets:
            est = build(name, s)
            gen = torch.Generator().manual_seed(s)
            estimates = [est(obj, params, generator=gen) for _ in range(draws)]
            cos = float(np.mean([cosine(e.grad, true) for e in estimates]))
            rows[name].append((s, estimates[0].num_evals, cos))
            result[f"cosine_{name}_s{s}"], result[f"evals_{name}_s{s}"] = (
                cos,
                estimates[0].num_evals,
            )
    print(f"cosine to autodiff (mean of {draws} draws) / forward evaluations, D = 7510")
    print(f"{'estimator':<24}" + "".join(f"{f'S={s}':>16}" for s in budgets))
    for name, r in rows.items():
        print(f"{name:<24}" + "".join(f"{c:>9.3f} /{n:>5}" for _, n, c in r))
    for name, why in skipped.items():
        print(f"{name:<24}skipped: {why}")
    plot(rows)
    top = budgets[-1]
    result["ratio_np_vs_smoothing"] = (
        result[f"cosine_node_perturbation_s{top}"] / result[f"cosine_gaussian_smoothing_s{top}"]
    )
    print(json.dumps(result))


def plot(rows: dict) -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, r in rows.items():
        ax.plot([n for _, n, _ in r], [c for *_, c in r], "o-", label=name)
    ax.set(
        xscale="log",
        xlabel="forward evaluations per estimate",
        ylabel="cosine to autodiff",
        title="Gradient fidelity per evaluation (digits ANN, D = 7,510)",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = Path(__file__).resolve().parent.parent / "docs" / "fidelity_per_eval.png"
    out.parent.mkdir(exist_ok=True)
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main()
