"""How many cycles can a Snake network fit? The write-up's "full cycles vs parameters" remark.

Question (write-up 000, "Simulating a clock"): the x + sin^2(x) activation "only really worked when
the number of full cycles in the dataset was less than the number of parameters of the
network". Is the parameter count what limits it, and where is the crossover?

Setting: sin(x) on [0, 2 pi C] for C full cycles (``cycles``), ``points_per_cycle`` random
training points per cycle (at least 400), inputs scaled to [-1, 1] as a user would
(``input_scale=unit``; ``raw`` feeds x itself, where Snake's own period pi matches sin(x)'s
and one unit can represent it). An MLP of two hidden Snake layers (a = ``snake_a``; the write-up's
x + sin^2 x is a = 1) of each width in ``widths``, N = w^2 + 4w + 1 parameters. Full-batch
Adam for ``steps`` steps; the learning rate is searched over ``lrs`` on a validation split
(every 10th training point) per (width, C); ``seeds`` seeds, median held-out MSE on random
points in the same range (interpolation, not extrapolation). A fit "works" when that MSE is
below ``works_below`` (sin's variance is 0.5).

Claims checked:
  snake_fails_below_params  for every width, Snake stops working at a number of cycles below
                            its parameter count (the largest C that works, times 2, is < N),
                            i.e. the limit the write-up saw is reached before cycles = parameters;
                            it needs at least one width whose N the cycles tried reach.
The crossover per width (largest C that works) is the metric ``crossover_w<width>``. The claim
is not checked when the cycles tried reach half the parameter count of no width. Its
counterexample starts the first layer at sin x's own frequency (``first_layer=matched``: raw x,
weights 1, phases -pi/2 .. pi/2, a = 0.5, so each unit is z + 1 - cos z): width 2 then fits 8
cycles with 13 parameters, so what limits a randomly started Snake is finding the frequency,
not its parameter count. Random starts did not get there: raw x with a = 1 (width 2: 1 cycle,
width 4: 4), a = 8 pi matched to 16 cycles on the unit scale (width 2: MSE 0.48).

Source: write-up 000, "Simulating a clock" (the remark on x + sin(x)^2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

from roughgrad.experiments.base import (
    Claim,
    ClaimSpec,
    ConfigBase,
    Context,
    Experiment,
    Floor,
    Outcome,
    counterexample,
    param,
)
from roughgrad.nn import Ensemble, fit_ensemble, mlp


@dataclass(frozen=True)
class Config(ConfigBase):
    widths: tuple[int, ...] = param((2, 4, 8, 16), "hidden widths (two Snake layers)", ge=1)
    cycles: tuple[int, ...] = param(
        (1, 2, 4, 8, 16, 32, 64, 128, 256, 512), "numbers of full cycles of sin(x)", ge=1
    )
    points_per_cycle: int = param(20, "training points per cycle (at least 400 in all)", ge=4)
    input_scale: Literal["unit", "raw"] = param(
        "unit", "unit: x scaled to [-1, 1]; raw: x itself (Snake's period matches sin x)"
    )
    snake_a: float = param(1.0, "Snake's a (1: the write-up's x + sin^2 x)", gt=0)
    first_layer: Literal["random", "matched"] = param(
        "random",
        "first-layer init: random (Xavier), or matched: weights 1 and phases spread over pi, so "
        "that with raw x and a = 0.5 each unit is z + 1 - cos z (sin x's own frequency)",
    )
    steps: int = param(3000, "full-batch Adam steps", ge=1)
    lrs: tuple[float, ...] = param((1e-3, 1e-2), "Adam learning rates searched on validation", gt=0)
    seeds: int = param(2, "initialisation seeds per (width, cycles)", ge=1)
    works_below: float = param(0.05, "held-out MSE below which a fit works", gt=0)


PROFILES: dict[str, dict[str, Any]] = {
    "quick": {"widths": (2, 4), "cycles": (1, 16), "steps": 500, "lrs": (1e-2,), "seeds": 1},
    "default": {},
    "full": {"widths": (2, 4, 8, 16, 32, 64), "seeds": 3, "steps": 10_000},
}


def n_params(width: int) -> int:
    """Parameters of a 1-w-w-1 MLP: (w + w) + (w^2 + w) + (w + 1)."""
    return width * width + 4 * width + 1


def _data(cycles: int, config: Config, seed: int):
    rng = np.random.default_rng(seed)
    n = max(400, config.points_per_cycle * cycles)
    hi = 2 * np.pi * cycles
    x, x_test = rng.uniform(0, hi, n), rng.uniform(0, hi, 1000)
    scale = (lambda v: v / (np.pi * cycles) - 1) if config.input_scale == "unit" else (lambda v: v)
    val = np.arange(n) % 10 == 0
    return [
        (torch.as_tensor(scale(v), dtype=torch.float32)[:, None], np.sin(v))
        for v in (x[~val], x[val], x_test)
    ]


def _fit(width: int, cycles: int, config: Config, ctx: Context) -> tuple[float, float]:
    """Median held-out MSE over seeds at the rate chosen on validation, and that rate."""
    (x, y), (xv, yv), (xt, yt) = _data(cycles, config, config.seed + 1000 * cycles)
    dev = ctx.device
    target = torch.as_tensor(y, dtype=torch.float32, device=dev)[:, None]
    best: tuple[float, float, float] | None = None
    for lr in config.lrs:
        members = []
        for s in range(config.seeds):
            torch.manual_seed(config.seed + s)
            net = mlp((1, width, width, 1), "snake", a=config.snake_a)
            if config.first_layer == "matched":
                first = next(m for m in net.modules() if isinstance(m, torch.nn.Linear))
                with torch.no_grad():
                    first.weight.fill_(1.0)
                    first.bias.copy_(torch.linspace(-torch.pi / 2, torch.pi / 2, width))
            members.append(net.to(dev))
        ens = Ensemble(members)
        fit_ensemble(ens, x.to(dev), target, steps=config.steps, lr=lr)
        with torch.no_grad():
            pv = ens(xv.to(dev))[..., 0].cpu().numpy()
            pt = ens(xt.to(dev))[..., 0].cpu().numpy()
        val = float(np.median(((pv - yv) ** 2).mean(1)))
        test = float(np.median(((pt - yt) ** 2).mean(1)))
        if best is None or not val >= best[0]:  # NaN never wins
            best = (val, test, lr)
    assert best is not None
    return best[1], best[2]


def run(config: Config, ctx: Context) -> Outcome:
    grid = [(w, c) for w in config.widths for c in config.cycles]
    mse = np.full((len(config.widths), len(config.cycles)), np.nan)
    metrics: dict[str, Any] = {}
    for w, c in ctx.progress.track(grid, total=len(grid), description="width x cycles"):
        i, j = config.widths.index(w), config.cycles.index(c)
        mse[i, j], lr = _fit(w, c, config, ctx)
        metrics[f"test_mse_w{w}_c{c}"] = mse[i, j]
        metrics[f"lr_w{w}_c{c}"] = lr
    crossover = {}
    for i, w in enumerate(config.widths):
        works = [c for c, m in zip(config.cycles, mse[i], strict=True) if m < config.works_below]
        crossover[w] = max(works, default=0)
        metrics[f"crossover_w{w}"] = crossover[w]
        metrics[f"params_w{w}"] = n_params(w)
    below = all(2 * crossover[w] < n_params(w) for w in config.widths)
    tested = [w for w in config.widths if max(config.cycles) >= n_params(w) / 2]
    claims = [
        Claim(
            "snake_fails_below_params",
            below,
            "largest number of cycles with held-out MSE < "
            f"{config.works_below:g} (x {config.input_scale}, a = {config.snake_a:g}): "
            + ", ".join(f"width {w} ({n_params(w)} params): {crossover[w]}" for w in config.widths)
            + f"; cycles tried {list(config.cycles)}; widths whose parameter count the cycles "
            f"reach: {tested or 'none'}; {config.steps} Adam steps, lr over {list(config.lrs)} "
            f"on validation, median of {config.seeds} seed(s); first layer {config.first_layer}",
        )
        if tested
        else Claim.not_checked(
            "snake_fails_below_params",
            f"the cycles tried (up to {max(config.cycles)}) reach half the parameter count of no "
            "width",
        )
    ]
    arrays = {"widths": np.array(config.widths), "cycles": np.array(config.cycles), "mse": mse}
    return Outcome(metrics, claims, arrays)


def figures(outcome: Outcome, config: Config) -> dict:
    import matplotlib.pyplot as plt

    a = outcome.arrays
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, w in enumerate(a["widths"]):
        (line,) = ax.loglog(a["cycles"], a["mse"][i], "o-", label=f"width {w}")
        ax.axvline(n_params(int(w)), color=line.get_color(), ls=":", lw=1)
    ax.axhline(config.works_below, color="gray", ls="--", lw=1)
    ax.set(
        xlabel="full cycles of sin(x) in the data",
        ylabel="held-out MSE (median over seeds)",
        title=f"Snake (a = {config.snake_a:g}, x {config.input_scale}): dotted = parameter count",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return {"cycles_vs_params": fig}


CLAIMS = (
    ClaimSpec(
        "snake_fails_below_params",
        "every width stops working at fewer than half as many cycles as it has parameters",
        (
            counterexample(
                "raw x, a = 0.5 and the first layer started at sin x's frequency: width 2 (13 "
                "parameters) fits 8 cycles, so the limit is finding the frequency, not the "
                "parameter count (measured)",
                input_scale="raw",
                snake_a=0.5,
                first_layer="matched",
                widths=(2,),
                cycles=(8,),
                steps=2000,
                seeds=3,
            ),
        ),
    ),
)

EXPERIMENT = Experiment(
    source="write-up 000, 'Simulating a clock' (the x + sin(x)^2 remark)",
    summary="how many cycles of sin(x) a Snake MLP fits against its parameter count",
    config_cls=Config,
    profiles=PROFILES,
    run=run,
    figures=figures,
    doc=__doc__ or "",
    claims=CLAIMS,
    health=(
        Floor(
            "the best fit's held-out MSE below predicting 0, as 1 - MSE / 0.5 (some width fits "
            "some cycles)",
            lambda m: 1 - min(v for k, v in m.items() if k.startswith("test_mse_")) / 0.5,
            0.9,
        ),
    ),
)
