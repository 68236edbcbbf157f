"""How do the coefficients of x + sin^2(a x)/b change extrapolation?

Question (seed 001, "Different coefficients 1 / b sin(a x)"; the section has only its title):
Snake fixes b = a. Over a grid of a and b, which activation x + sin^2(a x)/b extrapolates sin(x)
best on the seed's split, and how sensitive is the result to the coefficients (users of Snake
report strong sensitivity to a)? All grid points start from the same initial weights (one
seed) and train together as one batched ensemble.

Claims checked:
  coefficients_matter        the worst grid point's held-out MSE is >= 10x the best's;
  snake_diagonal_competitive the best b = a point (Snake itself) is within 2x of the grid's best.

Source: seed 001, "Different coefficients 1 / b sin(a x)".
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from roughgrad.experiments.base import (
    Claim,
    ClaimSpec,
    Context,
    Experiment,
    Outcome,
    counterexample,
    param,
)
from roughgrad.experiments.snake.common import (
    SplitConfig,
    fit_figure,
    make_split,
    train_members,
)
from roughgrad.nn import mlp


@dataclass(frozen=True)
class Config(SplitConfig):
    a_values: tuple[float, ...] = param((1.0, 10.0, 30.0), "grid of a (frequency)", gt=0)
    b_values: tuple[float, ...] = param((1.0, 10.0, 30.0), "grid of b (1/amplitude)", gt=0)
    hidden: int = param(256, "hidden width (seed: 512; the default grid uses 256 for time)", ge=1)
    lr: float = param(1e-4, "Adam learning rate (seed: 1e-4)", gt=0)
    seeds: int = param(3, "initialisations per (a, b) cell; the cell's MSE is their median", ge=1)


PROFILES = {
    "quick": {"hidden": 32, "steps": 300, "n_points": 400, "a_values": (1.0, 30.0), "seeds": 2},
    "default": {},
    "full": {"hidden": 512, "a_values": (1.0, 3.0, 10.0, 30.0), "b_values": (1.0, 3.0, 10.0, 30.0)},
}


def _key(a: float, b: float) -> str:
    return f"a{a:g}_b{b:g}"


def run(config: Config, ctx: Context) -> Outcome:
    split = make_split(config, reverse=False)
    grid = list(itertools.product(config.a_values, config.b_values))
    widths = (1, config.hidden, config.hidden, 1)
    builders = [
        lambda a=a, b=b: mlp(widths, "snake_b", init="xavier_normal", a=a, b=b)
        for a, b in grid
        for _ in range(config.seeds)
    ]
    fit = train_members(
        builders,
        split,
        steps=config.steps,
        lr=config.lr,
        seeds=[config.seed + k for _ in grid for k in range(config.seeds)],
        ctx=ctx,
        label=f"{len(grid)} (a, b) pairs x {config.seeds} seeds",
    )
    per_seed = fit.test_mse.reshape(len(grid), config.seeds)  # (cells, seeds)
    fit.test_mse = np.median(per_seed, 1)  # one number per cell: the median over seeds
    mse = fit.test_mse.reshape(len(config.a_values), len(config.b_values))
    metrics: dict = {
        f"test_mse_{_key(a, b)}": float(v) for (a, b), v in zip(grid, fit.test_mse, strict=True)
    }
    metrics["train_seconds"] = round(fit.seconds, 2)
    best, worst = int(np.argmin(fit.test_mse)), int(np.argmax(fit.test_mse))
    metrics["best"], metrics["worst"] = _key(*grid[best]), _key(*grid[worst])
    claims = [
        Claim(
            "coefficients_matter",
            fit.test_mse[worst] >= 10 * fit.test_mse[best],
            f"held-out MSE from {fit.test_mse[best]:.3g} ({metrics['best']}) to "
            f"{fit.test_mse[worst]:.3g} ({metrics['worst']})",
        )
    ]
    diagonal = [i for i, (a, b) in enumerate(grid) if a == b]
    if diagonal:
        d = min(diagonal, key=lambda i: fit.test_mse[i])
        claims.append(
            Claim(
                "snake_diagonal_competitive",
                fit.test_mse[d] <= 2 * fit.test_mse[best],
                f"best Snake (b = a) point {_key(*grid[d])}: {fit.test_mse[d]:.3g}; "
                f"grid best {metrics['best']}: {fit.test_mse[best]:.3g}",
            )
        )
    arrays = {
        "mse": mse,
        "a_values": np.array(config.a_values),
        "b_values": np.array(config.b_values),
        "x": split.x,
        "y": split.y,
        "train": split.train,
        "test": split.test,
        "pred_best": fit.pred[best * config.seeds : best * config.seeds + 1],  # its seed 0
        "pred_worst": fit.pred[worst * config.seeds : worst * config.seeds + 1],
    }
    return Outcome(metrics, claims, arrays)


def figures(outcome: Outcome, config: Config) -> dict:
    arr, m = outcome.arrays, outcome.metrics
    fig, ax = plt.subplots(
        figsize=(1.3 * len(arr["b_values"]) + 2.5, 1.1 * len(arr["a_values"]) + 1.5)
    )
    im = ax.imshow(np.log10(arr["mse"]), cmap="viridis_r", origin="lower", aspect="auto")
    ax.set_xticks(range(len(arr["b_values"])), [f"{b:g}" for b in arr["b_values"]])
    ax.set_yticks(range(len(arr["a_values"])), [f"{a:g}" for a in arr["a_values"]])
    ax.set_xlabel("b")
    ax.set_ylabel("a")
    for (i, j), v in np.ndenumerate(arr["mse"]):
        light = bool(
            np.asarray(im.norm(np.log10(float(v)))) < 0.5
        )  # viridis_r is light at the low end
        ax.text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=8, c="k" if light else "w")
    fig.colorbar(im, ax=ax, label="log10 held-out MSE")
    ax.set_title("x + sin²(a x)/b: held-out MSE on sin(x)", fontsize=10)
    fig.tight_layout()
    fits = {
        "x": arr["x"],
        "y": arr["y"],
        "train": arr["train"],
        "test": arr["test"],
        "pred_best": arr["pred_best"],
        "pred_worst": arr["pred_worst"],
    }
    labels = {
        "test_mse_best": m[f"test_mse_{m['best']}"],
        "test_mse_worst": m[f"test_mse_{m['worst']}"],
    }
    fit_fig = fit_figure(fits, labels, f"best ({m['best']}) and worst ({m['worst']}) coefficients")
    return {"coefficients_heatmap": fig, "best_and_worst": fit_fig}


CLAIMS = (
    ClaimSpec(
        "coefficients_matter",
        "the worst (a, b) grid point's held-out MSE is >= 10x the best's",
        (
            counterexample(
                "a one-point grid has nothing to compare", a_values=(30.0,), b_values=(30.0,)
            ),
        ),
    ),
    ClaimSpec(
        "snake_diagonal_competitive",
        "the best b = a point (Snake itself) is within 2x of the grid's best",
        (
            counterexample(
                "at a = 1 the near-linear b = 1e6 beats x + sin^2(x)",
                a_values=(1.0,),
                b_values=(1.0, 1e6),
            ),
        ),
    ),
)

EXPERIMENT = Experiment(
    name="snake-coefficients",
    source="seed 001, Different coefficients 1 / b sin(a x)",
    summary="x + sin^2(a x)/b over a grid of a and b: held-out MSE table and heatmap",
    config_cls=Config,
    profiles=PROFILES,
    run=run,
    figures=figures,
    doc=__doc__ or "",
    claims=CLAIMS,
)
