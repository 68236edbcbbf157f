"""A sweep end to end, as the CLI runs it: plan, execute, figures, terminal table, report."""

from __future__ import annotations

import datetime as _dt
import secrets
import warnings
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from rich.table import Table

from roughgrad import plot
from roughgrad.experiments import Progress
from roughgrad.experiments.base import parse_set_options
from roughgrad.runs.rundir import environment, save_figure
from roughgrad.runs.sweep import (
    SweepSpec,
    local_executor,
    parse_grid,
    parse_seeds,
    ray_executor,
    run_sweep,
)
from roughgrad.runs.sweep_report import build_sweep_report, point_label


def execute_sweep(
    name: str,
    grids: list[str],
    seeds: str,
    sets: list[str],
    profile: str,
    *,
    backend: str,
    address: str | None,
    jobs: int,
    threads: int,
    metrics: str | None,
    out: Path,
    argv: list[str],
    progress: Progress,
) -> dict[str, Any]:
    """Validate everything, run the sweep, write figures and the report.

    Returns ``{"aggregate", "table", "sweep_dir", "report"}``; bad input raises ConfigError
    before anything is written.
    """
    spec = SweepSpec(
        name, profile, parse_grid(grids, name), parse_seeds(seeds), parse_set_options(sets), threads
    )
    tasks = spec.tasks()  # validates every config of the grid before anything starts
    chosen = [m.strip() for m in metrics.split(",") if m.strip()] if metrics else None
    executors = {
        "local": lambda: local_executor(jobs),
        "ray": lambda: ray_executor(jobs, address, threads),
    }
    executor = executors[backend]()
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%d-%H%M%S")
    sweep_dir = Path(out) / "sweeps" / name / f"{stamp}-{secrets.token_hex(3)}"
    meta: dict[str, Any] = {"backend": backend, "address": address, "jobs": jobs}
    meta["command"] = " ".join(argv)
    meta["env"] = environment(torch.device("cpu"))
    bar = progress.track(range(len(tasks)), total=len(tasks), description=f"sweep {name}")
    next(bar, None)  # each finished run then advances the bar by one
    agg, results, info = run_sweep(
        spec, executor, sweep_dir, meta=meta, on_done=lambda *_: next(bar, None)
    )
    names = _metric_names(agg, chosen)
    _figures(sweep_dir, agg, results, names[:6] if chosen is None else names)
    report = build_sweep_report(sweep_dir, info, agg)
    return {"aggregate": agg, "table": table(agg, names), "sweep_dir": sweep_dir, "report": report}


def _metric_names(agg: list[dict], chosen: list[str] | None) -> list[str]:
    known = list(dict.fromkeys(m for a in agg for m in a["metrics"] if m != "run_seconds"))
    if chosen is None:
        return known
    unknown = [m for m in chosen if m not in known]
    if unknown:  # known only once the runs are done: say so, but keep the finished sweep
        warnings.warn(
            f"--metrics: no metric {', '.join(unknown)}; known: {', '.join(known)}", stacklevel=2
        )
    return [m for m in chosen if m in known]


def _figures(sweep_dir: Path, agg: list[dict], results: list, names: list[str]) -> None:
    labels = [point_label(a["point"]) for a in agg]
    for metric in names:
        values = [
            [r["metrics"].get(metric, float("nan")) for p, _, r in results if p == i]
            for i in range(len(agg))
        ]
        if not any(isinstance(v, (int, float)) for vals in values for v in vals):
            continue
        fig, ax = plt.subplots(figsize=(max(5, 1.3 * len(labels) + 2), 3.6))
        plot.seed_spread(ax, labels, values, metric)
        fig.tight_layout()
        save_figure(fig, sweep_dir / "figures" / f"{metric}.png")
        plt.close(fig)


def table(agg: list[dict], names: list[str]) -> Table:
    """Claims (held / runs) and metrics (mean ± std) with one column per grid point."""
    t = Table(title="sweep: claims held / runs, metrics mean ± std over seeds")
    t.add_column("")
    for a in agg:
        t.add_column(point_label(a["point"]), justify="right")
    if any(a["failed"] for a in agg):
        t.add_row("[red]failed runs[/]", *(str(len(a["failed"])) for a in agg))
    for claim in dict.fromkeys(c for a in agg for c in a["claims"]):
        cells = ["{}/{}".format(*a["claims"][claim]) if claim in a["claims"] else "" for a in agg]
        t.add_row(f"claim {claim}", *cells)
    for metric in names:
        cells = []
        for a in agg:
            s = a["metrics"].get(metric)
            cells.append("" if s is None or not s["n"] else f"{s['mean']:.4g} ± {s['std']:.2g}")
        t.add_row(metric, *cells)
    return t
