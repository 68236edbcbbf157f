"""The `roughgrad` command: list / describe / run / reproduce / report. Thin over the library."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgressBar

from roughgrad.data import DataError
from roughgrad.experiments import EXPERIMENTS, ConfigError, Context, NumericalError, Progress
from roughgrad.experiments.base import (
    PROFILE_NAMES,
    SEEDS,
    claim_status,
    field_help,
    parse_set_options,
)
from roughgrad.runs import (
    CheckpointPolicy,
    RunDirError,
    RunInterrupted,
    build_report,
    load_run,
    resume_experiment,
    run_experiment,
    run_or_resume,
)
from roughgrad.runs.sweep import BACKENDS

_err = Console(stderr=True, soft_wrap=True)


class RichProgress(Progress):
    """Progress bars and log lines on stderr, so stdout stays clean for --json."""

    def __init__(self, bar: RichProgressBar | None) -> None:
        self.bar = bar

    def track(
        self, iterable: Iterable[Any], total: int | None = None, description: str = ""
    ) -> Iterator[Any]:
        if self.bar is None:
            yield from iterable
            return
        task = self.bar.add_task(description or "working", total=total)
        for item in iterable:
            yield item
            self.bar.advance(task)
        self.bar.remove_task(task)

    def log(self, message: str) -> None:
        (self.bar.console if self.bar is not None else _err).print(
            message, markup=False, highlight=False
        )


def _bar(enabled: bool) -> contextlib.AbstractContextManager[RichProgressBar | None]:
    if not enabled:
        return contextlib.nullcontext()
    return RichProgressBar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_err,
        transient=True,
    )


def _device(name: str):
    import torch

    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"--device {name}: CUDA is not available on this machine; use --device cpu"
        )
    try:
        return torch.device(name)
    except RuntimeError:
        raise ConfigError(f"--device {name!r} is not a device; use cpu, cuda or cuda:N") from None


def _experiment(name: str):
    if name not in EXPERIMENTS:
        raise ConfigError(f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[name]


def _docs() -> dict[str, tuple[str, str]]:
    docs = {name: (e.source, e.doc.strip()) for name, e in EXPERIMENTS.items()}
    for name, e in EXPERIMENTS.items():
        if e.objective is not None:
            docs[f"{name}-landscape"] = (
                e.source,
                f"Loss landscape of {name}'s objective "
                "(roughgrad landscape): losses along random "
                "filter-normalised directions through its point.",
            )
    return docs


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="roughgrad")
def cli() -> None:
    """roughgrad: see why training fails, fix it, and reproduce every experiment."""
    warnings.showwarning = _show_warning


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings from the library reach the CLI user as one line on stderr."""
    print(f"warning: {message}", file=sys.stderr)


@cli.command("list")
def list_cmd() -> None:
    """Every experiment, one line each, grouped by the write-up it reproduces."""
    width = max(len(n) for n in EXPERIMENTS)
    for seed, title in SEEDS.items():
        click.echo(f"seed {seed}: {title}")
        for name, exp in EXPERIMENTS.items():
            if exp.seed == seed:
                section = exp.source.removeprefix(f"seed {seed}").lstrip(", ")
                click.echo(f"  {name:<{width}}  {exp.summary}  [{section}]")


@cli.command()
@click.argument("name")
def describe(name: str) -> None:
    """An experiment's question, config keys (type, default) and profiles."""
    exp = _experiment(name)
    click.echo(exp.doc.strip() + "\n\nConfig keys (override with --set key=value):")
    for key, kind, default, text in field_help(exp.config_cls):
        click.echo(f"  {key:<16} {text} [{kind}; default {default!r}]")
    click.echo("\nProfiles:")
    for profile in PROFILE_NAMES:
        click.echo(f"  {profile:<8} {dict(exp.profiles[profile]) or '(the defaults)'}")


def _checkpoint_options(f):
    f = click.option(
        "--checkpoint-seconds",
        type=click.FloatRange(min=0, min_open=True),
        default=60.0,
        show_default=True,
        help="long loops also write a checkpoint every this many seconds",
    )(f)
    return click.option(
        "--checkpoint-every",
        type=click.IntRange(min=1),
        default=1000,
        show_default=True,
        help="long loops write a checkpoint every this many steps (and at their end)",
    )(f)


@cli.command()
@click.argument("name")
@click.option(
    "--profile", type=click.Choice(PROFILE_NAMES), default=None, help="[default: default]"
)
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="override a config key")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="shorthand for --set seed=N")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("runs"),
    show_default=True,
    help="output root; the run goes to OUT/NAME/<time>-<id>",
)
@click.option(
    "--run-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="exact run directory (must not exist); overrides --out",
)
@click.option(
    "--resume",
    type=click.Path(path_type=Path),
    default=None,
    help="continue the unfinished run in this directory from its checkpoints, with its config",
)
@_checkpoint_options
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda or cuda:N")
@click.option("--json", "as_json", is_flag=True, help="print exactly one JSON object on stdout")
@click.option("--progress/--no-progress", default=True, help="progress bars on stderr")
@click.option(
    "--strict",
    is_flag=True,
    help="exit with code 1 when any claim does not hold (a claim not checked does not count)",
)
def run(
    name,
    profile,
    sets,
    seed,
    out,
    run_dir,
    resume,
    checkpoint_every,
    checkpoint_seconds,
    device,
    as_json,
    progress,
    strict,
) -> None:
    """Run one experiment and write its run directory (or resume an unfinished one)."""
    exp = _experiment(name)
    policy = CheckpointPolicy(checkpoint_every, checkpoint_seconds)
    if resume is not None:
        pairs = (("--profile", profile), ("--set", sets or None), ("--seed", seed))
        given = [opt for opt, value in (*pairs, ("--run-dir", run_dir)) if value is not None]
        if given:
            raise ConfigError(
                f"--resume continues a run with its saved config; drop {', '.join(given)}"
            )
    else:
        profile = profile or "default"
        overrides = parse_set_options(sets)
        if seed is not None:
            overrides["seed"] = str(seed)
        config = exp.config(profile, overrides)
    dev = _device(device)
    with _bar(progress) as bar:
        ctx = Context(device=dev, progress=RichProgress(bar))
        if resume is not None:
            record = resume_experiment(
                resume, ctx=ctx, argv=sys.argv, policy=policy, experiment_name=name
            )
        else:
            record = run_experiment(
                exp,
                config,
                profile=profile,
                ctx=ctx,
                argv=sys.argv,
                root=None if run_dir else out,
                run_dir=run_dir,
                policy=policy,
            )
    if as_json:
        click.echo(json.dumps(record.to_json()))
    else:
        _print_claims([record])
        _err.print(f"run directory: {record.run_dir}")
    _exit_if_failed([record])
    _exit_if_strict([record], strict)


@cli.command()
@click.option("--profile", type=click.Choice(PROFILE_NAMES), default="default", show_default=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("runs"),
    show_default=True,
    help="output root: runs in OUT/NAME/..., the report in OUT/report/index.html",
)
@click.option("--only", default=None, help="comma-separated experiment names (default: all)")
@click.option(
    "--resume",
    is_flag=True,
    help="keep finished runs of the same config under OUT, resume unfinished ones, run the rest",
)
@click.option("--device", default="cpu", show_default=True)
@click.option("--progress/--no-progress", default=True)
@click.option(
    "--strict",
    is_flag=True,
    help="exit with code 1 when any claim does not hold (a claim not checked does not count)",
)
def reproduce(profile, out, only, resume, device, progress, strict) -> None:
    """Run every experiment and write the HTML report."""
    names = list(EXPERIMENTS) if not only else [n.strip() for n in only.split(",") if n.strip()]
    exps = [_experiment(n) for n in names]
    configs = [e.config(profile) for e in exps]
    dev = _device(device)
    records = []
    with _bar(progress) as bar:
        ctx = Context(device=dev, progress=RichProgress(bar))
        steps = zip(exps, configs, strict=True)
        for exp, config in ctx.progress.track(steps, total=len(exps), description="experiments"):
            if resume:
                record, done = run_or_resume(
                    exp, config, profile=profile, ctx=ctx, root=out, argv=sys.argv
                )
                ctx.progress.log(f"{exp.name} ({profile}): {done} {record.run_dir}")
            else:
                ctx.progress.log(f"running {exp.name} ({profile})")
                record = run_experiment(
                    exp, config, profile=profile, ctx=ctx, argv=sys.argv, root=out
                )
            records.append(record)
    path = build_report(records, Path(out) / "report", _docs())
    _print_claims(records)
    _err.print(f"report: {path}")
    _exit_if_failed(records)
    _exit_if_strict(records, strict)


@cli.command()
@click.argument("name")
@click.option(
    "--grid",
    "grids",
    multiple=True,
    metavar="KEY=V1,V2,...",
    help="a config key and its values (list-valued keys: separate values with ';'); repeatable",
)
@click.option("--seeds", default="0", show_default=True, help="e.g. 0-99, 0,3,7 or 0-4,10")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="fixed override")
@click.option("--profile", type=click.Choice(PROFILE_NAMES), default="default", show_default=True)
@click.option("--backend", type=click.Choice(BACKENDS), default="local", show_default=True)
@click.option("--address", default=None, help="ray: address of an existing cluster")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="runs at once (local processes / local Ray CPUs) [default: CPU count / threads]",
)
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
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("runs"),
    show_default=True,
    help="the sweep goes to OUT/sweeps/NAME/<time>-<id>",
)
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
    from roughgrad.runs.sweep_output import execute_sweep

    _experiment(name)
    if address is not None and backend != "ray":
        raise ConfigError("--address is for --backend ray")
    jobs = jobs or max(1, (os.cpu_count() or 1) // threads)
    with _bar(progress) as bar:
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
            progress=RichProgress(bar),
        )
    if as_json:
        click.echo(json.dumps(result["aggregate"]))
    _err.print(result["table"])
    _err.print(f"sweep directory: {result['sweep_dir']}\nreport: {result['report']}")


@cli.command()
@click.argument("name")
@click.option("--profile", type=click.Choice(PROFILE_NAMES), default="default", show_default=True)
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="override a config key")
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
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs"), show_default=True)
@click.option("--device", default="cpu", show_default=True)
def landscape(name, profile, sets, dims, points, span, trials, normalize, out, device) -> None:
    """Sample the loss landscape of an experiment's objective around its point."""
    from roughgrad.runs.landscape import LandscapeSpec, run_landscape

    exp = _experiment(name)
    config = exp.config(profile, parse_set_options(sets))
    spec = LandscapeSpec(dims, points, span, trials, normalize)
    ctx = Context(device=_device(device))
    record = run_landscape(exp, config, spec, ctx=ctx, root=out, argv=sys.argv)
    for key, value in record.metrics.items():
        _err.print(f"{key}: {value:.6g}", highlight=False)
    _err.print(f"run directory: {record.run_dir}")


@cli.command()
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
    records = [load_run(p) for p in run_dirs]
    path = build_report(records, out, _docs())
    _err.print(f"report: {path}")


@cli.command()
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
    _err.print(f"claims: {write_claims_doc(runs, docs)}")


_MARKS = {
    "holds": "[green]holds[/]",
    "does not hold": "[red]does not hold[/]",
    "not checked": "[yellow]not checked[/]",
}


def _print_claims(records) -> None:
    for r in records:
        for c in r.claims:
            mark = _MARKS[claim_status(c)]
            _err.print(f"{r.experiment}: {c['name']}: {mark} — {c['evidence']}", highlight=False)


def _exit_if_failed(records) -> None:
    """Exit 1 when a part of any run failed (its run.json says failed; the rest is written)."""
    failed = [r for r in records if r.status == "failed"]
    for r in failed:
        print(f"roughgrad: error: {r.experiment} failed in part: {r.error}", file=sys.stderr)
    if failed:
        sys.exit(1)


def _exit_if_strict(records, strict: bool) -> None:
    """With --strict, exit 1 when any claim does not hold (the run's files are all written)."""
    failed = [
        f"{r.experiment}:{c['name']}"
        for r in records
        for c in r.claims
        if claim_status(c) == "does not hold"
    ]
    if strict and failed:
        print(
            f"roughgrad: --strict: {len(failed)} claim(s) do not hold: {', '.join(failed)}",
            file=sys.stderr,
        )
        sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors are one line on stderr with exit code 2, never a traceback."""
    os.environ.setdefault("MPLBACKEND", "Agg")  # figures go to files; a user's choice wins
    try:
        cli.main(args=argv, prog_name="roughgrad", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        _err.print("roughgrad: interrupted")
        sys.exit(130)
    except click.ClickException as exc:
        print(f"roughgrad: error: {exc.format_message()}", file=sys.stderr)
        sys.exit(2)
    except (ConfigError, RunDirError, DataError) as exc:
        print(f"roughgrad: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except NumericalError as exc:
        print(f"roughgrad: error: {exc}", file=sys.stderr)
        sys.exit(1)
    except RunInterrupted as exc:
        print(f"roughgrad: {exc}", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print("roughgrad: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
