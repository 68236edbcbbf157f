"""The `roughgrad` commands around runs: sweep (a grid of configs over seeds), landscape (an
objective's loss landscape), report (the HTML report of run directories) and claims (the
claims page). Registered on the `roughgrad` group by ``roughgrad.cli``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from roughgrad import _catalog
from roughgrad._cli_options import (
    DEVICE,
    SWEEP_BACKENDS,
    complete_names,
    jobs_option,
    out_option,
    parse_device,
    parse_overrides,
    profile_option,
    run_options,
    set_option,
)
from roughgrad._cli_output import docs, err


@click.command()
@click.argument("name", shell_complete=complete_names)
@click.option(
    "--grid",
    "grids",
    multiple=True,
    metavar="KEY=V1,V2,...",
    help="a config key and its values (list-valued keys: separate values with ';'); repeatable",
)
@click.option("--seeds", default="0", show_default=True, help="e.g. 0-99, 0,3,7 or 0-4,10")
@set_option("fixed override")
@profile_option()
@click.option("--backend", type=click.Choice(SWEEP_BACKENDS), default="local", show_default=True)
@click.option("--address", default=None, help="ray: address of an existing cluster")
@jobs_option("runs at once (local processes / local Ray CPUs) [default: CPU count / threads]")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="torch threads per run (the same on every backend, so metrics agree)",
)
@click.option(
    "--metrics",
    default=None,
    help="comma-separated metrics for the terminal table and figures [default: all / first 6]",
)
@out_option("the sweep goes to OUT/sweeps/NAME/<time>-<id>")
@click.option("--json", "as_json", is_flag=True, help="print the aggregate as one JSON object")
@click.option("--progress/--no-progress", default=True)
def sweep(
    name,
    grids,
    seeds,
    sets,
    profile,
    backend,
    address,
    jobs,
    threads,
    metrics,
    out,
    as_json,
    progress,
) -> None:
    """Run a grid of configs over seeds (process pool or Ray) and aggregate the results."""
    from roughgrad.config import ConfigError
    from roughgrad.runs.console import progress as console
    from roughgrad.runs.sweep_output import execute_sweep

    _catalog.entry(name)
    if address is not None and backend != "ray":
        raise ConfigError("--address is for --backend ray")
    jobs = jobs or max(1, (os.cpu_count() or 1) // threads)
    with console(progress) as bar:
        result = execute_sweep(
            name,
            grids,
            seeds,
            sets,
            profile,
            backend=backend,
            address=address,
            jobs=jobs,
            threads=threads,
            metrics=metrics,
            out=out,
            argv=sys.argv,
            progress=bar,
        )
    if as_json:
        click.echo(json.dumps(result["aggregate"]))
    err(result["table"])
    err(f"sweep directory: {result['sweep_dir']}\nreport: {result['report']}")


@click.command()
@click.argument("name", shell_complete=complete_names)
@profile_option()
@run_options
@click.option("--dims", type=click.IntRange(1, 2), default=1, show_default=True)
@click.option(
    "--points", type=click.IntRange(min=3), default=201, show_default=True, help="points per axis"
)
@click.option(
    "--span",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="alpha in [-span, span] (units of the normalised direction)",
)
@click.option(
    "--trials",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="noise draws (e.g. minibatches) averaged per point",
)
@click.option(
    "--normalize",
    type=click.Choice(["filter", "layer", "none"]),
    default="filter",
    show_default=True,
)
@out_option("the landscape goes to OUT/NAME-landscape/<time>-<id>")
@DEVICE
def landscape(
    name, profile, sets, seed, as_json, progress, dims, points, span, trials, normalize, out, device
) -> None:
    """Sample the loss landscape of an experiment's objective around its point."""
    from roughgrad.experiments import Context
    from roughgrad.runs.console import progress as console
    from roughgrad.runs.landscape import LandscapeSpec, run_landscape

    exp = _catalog.load(name)
    config = exp.config(profile, parse_overrides(sets, seed))
    spec = LandscapeSpec(dims, points, span, trials, normalize)
    with console(progress) as bar:
        ctx = Context(device=parse_device(device), progress=bar)
        record = run_landscape(exp, config, spec, ctx=ctx, root=out, argv=sys.argv)
    if as_json:
        click.echo(json.dumps(record.to_json()))
        return
    for key, value in record.metrics.items():
        err(f"{key}: {value:.6g}")
    err(f"run directory: {record.run_dir}")


@click.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("report"),
    show_default=True,
    help="folder for index.html",
)
def report(run_dirs, out) -> None:
    """Rebuild the HTML report from existing run directories."""
    from roughgrad.runs import build_report, load_run

    records = [load_run(p) for p in run_dirs]
    path = build_report(records, out, docs())
    err(f"report: {path}")


@click.command()
@click.option(
    "--runs",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=None,
    help="a reproduce output folder: statuses from its newest default-profile runs",
)
@click.option(
    "--docs",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("docs"),
    show_default=True,
    help="folder receiving claims.md and claims_status.json",
)
def claims(runs, docs) -> None:
    """Write docs/claims.md: every claim, what it checks, its counterexamples, its status."""
    from roughgrad.runs.claims_doc import write_claims_doc

    docs.mkdir(parents=True, exist_ok=True)
    err(f"claims: {write_claims_doc(runs, docs)}")
