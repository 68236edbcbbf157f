"""The clock experiment's run: every model on both spans, the metrics and the claims."""

from __future__ import annotations

import copy
import functools
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from roughgrad.experiments.base import (
    Claim,
    Context,
    Outcome,
    part,
)
from roughgrad.experiments.clock.config import NETS, Config
from roughgrad.experiments.clock.models import (
    _edges,
    _instants,
    _layout_scores,
    _levels,
    _random_net,
    _scores,
    _search,
    _train_net,
)
from roughgrad.periodic import (
    ClockNet,
    PeriodicClock,
    check_time_dtype,
)


def _unless_crashed(name: str, crashed: list[str], claim: Callable[[str], Claim]) -> Claim:
    """``claim(name)``, or not checked when a part it scores failed: a crash is not a score."""
    if crashed:
        return Claim.not_checked(
            name, "a part it scores failed (" + "; ".join(crashed) + "): a crash is not a score"
        )
    return claim(name)


def run(config: Config, ctx: Context) -> Outcome:
    rng = np.random.default_rng(config.seed)
    fields = config.fields
    t_train, r_train, t_test, r_test = _instants(config.span_years, config, rng)
    edges = _edges(config.span_years, config)
    half = float(np.abs(t_test).max())
    short = _instants(config.short_span_days / 365.25, config, rng)
    half_short = float(np.abs(short[2]).max())
    failed = np.full_like(r_test, -1)  # the prediction of a part that raised

    errors: list[str] = []
    scores: dict[str, dict[str, float]] = {}
    seconds: dict[str, float] = {}
    preds: dict[str, np.ndarray] = {}
    chosen: dict[str, dict[str, float]] = {}
    short_scores: dict[str, dict[str, Any]] = {}
    for name in config.baselines:  # each model's part may fail alone; the others' results are kept
        short_scores[name] = {**_scores(np.full_like(short[3], -1), short[3], fields), "hyper": {}}
        preds[name], chosen[name], seconds[name] = failed, {}, float("nan")
        with part(f"{name} (short span)", errors, ctx.progress.log):
            pred, hyper, _, _ = _search(
                name, short[0], short[1], short[2], half_short, config, ctx, "short span:"
            )
            short_scores[name] = {**_scores(pred, short[3], fields), "hyper": hyper}
        with part(f"{name} (full span)", errors, ctx.progress.log):
            preds[name], chosen[name], _, seconds[name] = _search(
                name, t_train, r_train, t_test, half, config, ctx, "full span:"
            )
        scores[name] = _scores(preds[name], r_test, fields)

    # the same two-layer network, its periods and offsets read off the data or drawn at random
    random_net = _random_net(t_train, r_train, rng)
    random_periods = random_net().phase.periods.tolist()
    net_periods: dict[str, list[int]] = {"spectral_net": [], "random_net": random_periods}
    net_offsets: list[int] = []
    make: Callable[[], ClockNet]
    for name in NETS:
        start = time.process_time()
        preds[name], chosen[name] = failed, {}
        with part(name, errors, ctx.progress.log):
            if name == "spectral_net":
                spectral, unpinned = ClockNet.from_data(t_train, r_train)
                for j, why in sorted(unpinned.items()):  # the net reads it from the others
                    ctx.progress.log(f"clock: no period for {fields[j]}: {why}")
                net_periods[name] = spectral.phase.periods.tolist()
                net_offsets = spectral.phase.offsets.tolist()
                make = functools.partial(copy.deepcopy, spectral)
            else:
                make = random_net
            preds[name], lr = _train_net(make, t_train, r_train, t_test, config, ctx, name)
            chosen[name] = {"lr": lr}
        seconds[name] = time.process_time() - start
        scores[name] = _scores(preds[name], r_test, fields)

    start = time.process_time()
    clock = PeriodicClock()
    preds["periodic"] = failed
    with part("PeriodicClock", errors, ctx.progress.log):
        clock.fit(t_train, r_train)  # a field it cannot pin is reported, not raised
        preds["periodic"] = clock.predict(t_test)
    undetermined = {fields[j]: why for j, why in sorted(clock.undetermined.items())}
    periods = clock.periods
    for f, why in undetermined.items():
        ctx.progress.log(f"clock: PeriodicClock could not determine {f}: {why}")
    seconds["periodic"] = time.process_time() - start
    scores["periodic"] = _scores(preds["periodic"], r_test, fields)

    layouts: dict[str, dict[str, Any]] = {}
    for layout in config.net_layouts:
        with part(f"layout {layout}", errors, ctx.progress.log):
            layouts[layout] = _layout_scores(layout, config, ctx)

    # the edge instants are the last of t_test: scored with the rest, and reported on their own
    edges_ok = {
        m: bool((p[-len(edges) :] == r_test[-len(edges) :]).all()) for m, p in preds.items()
    }
    try:
        check_time_dtype(t_test.astype(np.float32))
        refusal = "float32 t was accepted"
    except ValueError as exc:
        refusal = str(exc)

    metrics: dict[str, object] = {}
    for name, sc in scores.items():
        metrics[f"exact_match_{name}"] = sc["exact"]
        for f in fields:
            metrics[f"acc_{f}_{name}"] = sc[f]
        metrics[f"train_seconds_{name}"] = round(seconds[name], 3)
    for name in NETS:
        metrics[f"chosen_{name}"] = chosen[name]
        metrics[f"periods_{name}"] = net_periods[name]
    metrics["offsets_spectral_net"] = net_offsets
    for name in config.baselines:
        metrics[f"chosen_{name}"] = chosen[name]
        metrics[f"exact_match_{name}_short_span"] = short_scores[name]["exact"]
        metrics[f"chosen_{name}_short_span"] = short_scores[name]["hyper"]
    metrics["train_seconds"] = round(seconds["periodic"], 3)
    for layout, sc in layouts.items():
        for model, value in sc.items():
            metrics[f"layout_{layout}_{model}"] = value
    metrics["baseline_short_span_field_accuracy"] = max(
        float(np.mean([short_scores[n][f] for f in fields])) for n in config.baselines
    )
    metrics["short_span_field_chance"] = float(np.mean([1 / lv for lv in _levels(short[3])]))
    metrics["found_periods_s"] = periods
    metrics["undetermined_fields"] = undetermined
    metrics["label_noise"] = config.label_noise
    metrics["float32_spacing_at_max_t"] = float(np.spacing(np.float32(half)))
    metrics["n_test_total"] = len(t_test)
    budget = (
        f"{config.baseline_steps} Adam steps of batch {config.baseline_batch}, width "
        f"{config.baseline_width}, float64 inputs, lr over {list(config.baseline_lrs)}, omega0 "
        f"over {list(config.siren_omega0s)}, the best on validation"
    )

    def describe(h: dict) -> str:
        return ", ".join(f"{k} {v:.4g}" for k, v in h.items())

    best_short = max(config.baselines, key=lambda n: short_scores[n]["exact"])
    crashed = [e for e in errors if e.split(" (")[0] in config.baselines and "(full span)" in e]
    claims = [
        Claim(
            "baselines_learn_short_span",
            short_scores[best_short]["exact"] >= 0.9,
            f"on a {config.short_span_days:g}-day span: "
            + ", ".join(
                f"{n} {short_scores[n]['exact']:.2%} ({describe(short_scores[n]['hyper'])})"
                for n in config.baselines
            )
            + f"; {budget}",
        ),
        _unless_crashed(
            "baselines_fail",
            crashed,
            lambda name: Claim(
                name,
                all(scores[n]["exact"] < 0.5 for n in config.baselines),
                f"exact-match on {len(t_test)} held-out instants of {config.span_years:g} years: "
                + ", ".join(
                    f"{n} {scores[n]['exact']:.2%} ({describe(chosen[n])})"
                    for n in config.baselines
                )
                + f"; per field ({'/'.join(fields)}): "
                + "; ".join(
                    f"{n} " + "/".join(f"{scores[n][f]:.2f}" for f in fields)
                    for n in config.baselines
                )
                + f"; {budget}; PeriodicClock: {scores['periodic']['exact']:.2%}",
            ),
        ),
        Claim("float32_refused", refusal.startswith("t of dtype float32"), refusal),
        Claim(
            "spectral_net_solves_clock",
            scores["spectral_net"]["exact"] == 1.0 and scores["random_net"]["exact"] < 0.5,
            f"ClockNet (sawtooth phase units, then a linear layer; {config.net_steps} full-batch "
            f"Adam steps on the mean absolute error, lr over {list(config.net_lrs)} on "
            f"validation): periods from the spectrum {net_periods['spectral_net']} s, offsets "
            f"where the readings roll over {net_offsets} s: exact-match "
            f"{scores['spectral_net']['exact']:.4%} on {len(t_test)} held-out instants, edge "
            f"instants {'all correct' if edges_ok['spectral_net'] else 'NOT all correct'}; "
            "random periods "
            f"{net_periods['random_net']} s: {scores['random_net']['exact']:.2%}",
        ),
        Claim(
            "clock_solved",
            scores["periodic"]["exact"] == 1.0,
            f"PeriodicClock from {config.n_train} samples"
            + (f" ({config.label_noise:.2%} of them corrupted)" if config.label_noise else "")
            + f": cycles {periods} s; exact-match {scores['periodic']['exact']:.4%} on "
            f"{len(t_test)} clean held-out instants; all {len(edges)} edge instants "
            f"{'correct' if edges_ok['periodic'] else 'NOT all correct'}; "
            f"{seconds['periodic']:.2f} CPU-s"
            + "".join(f"; could not determine {f}: {why}" for f, why in undetermined.items()),
        ),
    ]
    if config.net_layouts:
        missing = [f"layout {n}" for n in config.net_layouts if n not in layouts]
        claims.append(
            _unless_crashed(
                "clocknet_reads_any_layout",
                missing,
                lambda name: Claim(
                    name,
                    all(sc["spectral_net"] >= 0.99 for sc in layouts.values()),
                    f"ClockNet with periods and offsets from the data, exact-match on "
                    f"{config.n_test} held-out "
                    f"instants of each layout ({config.n_train} training instants, "
                    f"{config.net_steps} Adam steps, lr over {list(config.net_lrs)} on validation; "
                    "bar 99%): "
                    + "; ".join(
                        f"{n} {sc['spectral_net']:.2%} (random periods {sc['random_net']:.2%}, "
                        f"PeriodicClock {sc['periodic']:.2%})"
                        for n, sc in layouts.items()
                    ),
                ),
            )
        )
    models = (*config.baselines, *NETS, "periodic")
    arrays = {
        "models": np.array(models),
        "fields": np.array(fields),
        "scores": np.array([[scores[m][f] for f in (*fields, "exact")] for m in models]),
    }
    return Outcome(metrics, claims, arrays, errors)
