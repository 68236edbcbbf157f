"""The Clock Problem: learn a digital clock's reading from seconds since T0.

Question: given integer seconds t since 0 days 00:00:00, sampled over 120 years centred on T0
(so t < 0 too: t = -1 reads 23:59:59), can a network learn the (hours, minutes, seconds)
reading? The seed found that a SIREN (whatever its frequency scale) and a GELU MLP "never
converged", and that Snake (x + sin^2 x) did not help.

Baselines: SIREN, GELU and Snake MLPs on t scaled to [-1, 1], one classification head per field
(24 + 60 + 60 logits), trained with Adam on cross-entropy.
Solution: PeriodicClock (roughgrad.periodic), which learns from the same (t, reading) samples
alone: for each field it finds the period by spectral analysis of exp(2 pi i reading / levels)
(lag-pair periodogram, then coarse-to-fine least squares up to the whole span), pins it to an
exact integer, and fits the reading as an integer step function of t mod P -- all in int64, so
nothing is lost to float rounding. No period is written into the code.

Claims checked:
  baselines_fail   each baseline's exact-match accuracy on held-out instants is below 50%;
  float32_refused  a float32 t is refused: its spacing at the span's end exceeds one second;
  clock_solved     PeriodicClock reads 100% of held-out instants exactly, including both span
                   ends, negative t, and the roll-over instants 59/60, 3599/3600, 86399/86400 s.

Source: seed 000, "Simulating a clock".
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from roughgrad.experiments._contract import Claim, ConfigBase, Context, Experiment, Outcome, param
from roughgrad.nn import mlp, siren
from roughgrad.periodic import (
    PeriodicClock,
    check_time_dtype,
    clock_reading,
    edge_instants,
    sample_instants,
)

FIELDS = ("hours", "minutes", "seconds")
LEVELS = (24, 60, 60)  # only the baselines' output heads use these; PeriodicClock reads them
BASELINES = ("siren", "gelu", "snake")


@dataclass(frozen=True)
class Config(ConfigBase):
    span_years: float = param(
        120.0, "instants are uniform over this many years centred on T0", gt=0
    )
    n_train: int = param(100_000, "training instants", ge=100)
    n_test: int = param(100_000, "held-out random instants (the edge instants are added)", ge=1)
    baseline_steps: int = param(2000, "Adam steps for each baseline network", ge=1)
    baseline_batch: int = param(512, "baseline minibatch size", ge=1)
    baseline_width: int = param(256, "hidden width of the baselines (3 hidden layers)", ge=1)
    baseline_lr: float = param(1e-3, "baseline Adam learning rate", gt=0)
    siren_omega0: float = param(30.0, "SIREN frequency scale omega0", gt=0)
    snake_a: float = param(1.0, "Snake a of the Snake baseline (seed: x + sin^2 x)", gt=0)


PROFILES = {
    "quick": {"n_train": 20_000, "n_test": 20_000, "baseline_steps": 150, "baseline_width": 64},
    "default": {},
    "full": {"baseline_steps": 20_000},
}


def _baseline(name: str, config: Config) -> nn.Module:
    widths = (1, *(config.baseline_width,) * 3, sum(LEVELS))
    if name == "siren":
        return siren(widths, omega0=config.siren_omega0)
    if name == "gelu":
        return mlp(widths, "gelu")
    return mlp(widths, "snake", a=config.snake_a)


def _predict(model: nn.Module, u: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        logits = torch.cat([model(chunk) for chunk in u.split(65536)])  # (n, 144)
    heads = logits.split(list(LEVELS), dim=-1)
    return torch.stack([h.argmax(-1) for h in heads], -1).cpu().numpy()


def _train_baseline(
    name: str, t: np.ndarray, readings: np.ndarray, config: Config, ctx: Context, scale: float
) -> tuple[nn.Module, float]:
    torch.manual_seed(config.seed)
    model = _baseline(name, config).to(ctx.device)
    opt = torch.optim.Adam(model.parameters(), lr=config.baseline_lr)
    u = torch.as_tensor(t / scale, dtype=torch.float32, device=ctx.device)[:, None]
    target = torch.as_tensor(readings, device=ctx.device)
    gen = ctx.generator(config.seed + 1)
    start = time.perf_counter()
    for _ in ctx.progress.track(
        range(config.baseline_steps), total=config.baseline_steps, description=f"baseline {name}"
    ):
        idx = torch.randint(len(t), (config.baseline_batch,), generator=gen, device=ctx.device)
        heads = model(u[idx]).split(list(LEVELS), dim=-1)
        loss = sum(nn.functional.cross_entropy(h, target[idx, j]) for j, h in enumerate(heads))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, time.perf_counter() - start


def _scores(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    out = {f: float(np.mean(pred[:, j] == truth[:, j])) for j, f in enumerate(FIELDS)}
    out["exact"] = float(np.mean((pred == truth).all(1)))
    return out


def run(config: Config, ctx: Context) -> Outcome:
    rng = np.random.default_rng(config.seed)
    t_train = sample_instants(config.n_train, config.span_years, rng)
    r_train = clock_reading(t_train)
    edges = edge_instants(config.span_years)
    t_test = np.concatenate([sample_instants(config.n_test, config.span_years, rng), edges])
    r_test = clock_reading(t_test)
    half = float(np.abs(t_test).max())

    scores, seconds, preds = {}, {}, {}
    for name in BASELINES:
        model, seconds[name] = _train_baseline(name, t_train, r_train, config, ctx, half)
        u = torch.as_tensor(t_test / half, dtype=torch.float32, device=ctx.device)[:, None]
        preds[name] = _predict(model, u)
        scores[name] = _scores(preds[name], r_test)

    start = time.process_time()
    clock = PeriodicClock().fit(t_train, r_train)
    seconds["periodic"] = time.process_time() - start
    preds["periodic"] = clock.predict(t_test)
    scores["periodic"] = _scores(preds["periodic"], r_test)
    edge_ok = bool((clock.predict(edges) == clock_reading(edges)).all())

    try:
        check_time_dtype(t_test.astype(np.float32))
        refusal = "float32 t was accepted"
    except ValueError as exc:
        refusal = str(exc)

    metrics: dict[str, object] = {}
    for name, sc in scores.items():
        metrics[f"exact_match_{name}"] = sc["exact"]
        for f in FIELDS:
            metrics[f"acc_{f}_{name}"] = sc[f]
        metrics[f"train_seconds_{name}"] = round(seconds[name], 3)
    metrics["train_seconds"] = round(seconds["periodic"], 3)
    metrics["found_periods_s"] = clock.periods
    metrics["float32_spacing_at_max_t"] = float(np.spacing(np.float32(half)))
    metrics["n_test_total"] = len(t_test)
    base_txt = ", ".join(f"{n} {scores[n]['exact']:.2%}" for n in BASELINES)
    claims = [
        Claim(
            "baselines_fail",
            all(scores[n]["exact"] < 0.5 for n in BASELINES),
            f"exact-match on {len(t_test)} held-out instants after {config.baseline_steps} "
            f"Adam steps: {base_txt}; per field (h/m/s): "
            + "; ".join(
                f"{n} " + "/".join(f"{scores[n][f]:.2f}" for f in FIELDS) for n in BASELINES
            ),
        ),
        Claim("float32_refused", refusal.startswith("t of dtype float32"), refusal),
        Claim(
            "clock_solved",
            scores["periodic"]["exact"] == 1.0 and edge_ok,
            f"PeriodicClock found periods {clock.periods} s from {config.n_train} samples in "
            f"{seconds['periodic']:.2f} CPU-s; exact-match {scores['periodic']['exact']:.4%} "
            f"on {len(t_test)} held-out instants; all {len(edges)} edge instants "
            f"{'correct' if edge_ok else 'NOT all correct'}",
        ),
    ]
    arrays = {
        "models": np.array([*BASELINES, "periodic"]),
        "scores": np.array(
            [[scores[m][f] for f in (*FIELDS, "exact")] for m in (*BASELINES, "periodic")]
        ),
    }
    return Outcome(metrics, claims, arrays)


def figures(outcome: Outcome, config: Config) -> dict:
    import matplotlib.pyplot as plt

    a = outcome.arrays
    fig, ax = plt.subplots(figsize=(9, 3.6))
    cols = ("hours", "minutes", "seconds", "exact match")
    width = 0.2
    for j, col in enumerate(cols):
        ax.bar(np.arange(len(a["models"])) + (j - 1.5) * width, a["scores"][:, j], width, label=col)
    ax.set_xticks(np.arange(len(a["models"])), [str(m) for m in a["models"]])
    ax.axhline(1 / 60, color="gray", ls=":", lw=1)
    ax.set(
        ylabel="held-out accuracy",
        ylim=(0, 1.05),
        title=f"Clock Problem over {config.span_years:g} years (dotted: chance for minutes)",
    )
    ax.legend(fontsize=8, ncol=4, loc="upper left")
    fig.tight_layout()
    return {"clock_accuracy": fig}


EXPERIMENT = Experiment(
    name="clock",
    source="seed 000, 'Simulating a clock'",
    summary="SIREN/GELU/Snake fail the Clock Problem; spectral period finding solves it exactly",
    config_cls=Config,
    profiles=PROFILES,
    run=run,
    figures=figures,
    doc=__doc__ or "",
)
