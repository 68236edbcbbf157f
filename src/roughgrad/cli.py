"""The `roughgrad` command: list / describe / run / reproduce / sweep / landscape / report.

Thin over the library. ``--help``, ``--version``, ``list``, ``describe`` and shell completion
read the experiment catalog (``roughgrad._catalog``) and import no experiment, torch or
matplotlib; the commands that run something import what they need when they start.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from pathlib import Path

import click

from roughgrad import __version__, _catalog

PROFILE_NAMES = ("quick", "default", "full")  # roughgrad.experiments.base checks they agree
SWEEP_BACKENDS = ("local", "ray")  # roughgrad.runs.sweep.BACKENDS (tested equal)


def _err(message: str) -> None:
    from roughgrad.runs.console import ERR

    ERR.print(message, highlight=False)


def _device(name: str):
    import torch

    from roughgrad.config import ConfigError

    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"--device {name}: CUDA is not available on this machine; use --device cpu"
        )
    try:
        return torch.device(name)
    except RuntimeError:
        raise ConfigError(f"--device {name!r} is not a device; use cpu, cuda or cuda:N") from None


def _experiment(name: str):
    return _catalog.load(name)


def _docs() -> dict[str, tuple[str, str]]:
    docs = {}
    for name, e in _catalog.catalog().items():
        docs[name] = (e["source"], e["doc"])
        if e["landscape"]:
            docs[f"{name}-landscape"] = (
                e["source"],
                f"Loss landscape of {name}'s objective "
                "(roughgrad landscape): losses along random "
                "filter-normalised directions through its point.",
            )
    return docs


def _complete_names(ctx, param, incomplete: str) -> list[str]:
    return [n for n in _catalog.MODULES if n.startswith(incomplete)]


def _complete_sets(ctx, param, incomplete: str) -> list[str]:
    """--set completes ``key=`` with the config keys of the experiment named before it."""
    # a trailing "--set" stops click's parse before NAME: then read the words being completed
    words = [ctx.params.get("name"), *os.environ.get("COMP_WORDS", "").split()]
    name = next((w for w in words if w in _catalog.MODULES), None)
    if name is not None:
        keys = [k["key"] for k in _catalog.catalog()[name]["keys"]]
    else:  # reproduce: --set applies to every experiment that has the key, so any key will do
        keys = sorted({k["key"] for e in _catalog.catalog().values() for k in e["keys"]})
    return [f"{k}=" for k in keys if f"{k}=".startswith(incomplete)]


def _profile_option(default: str | None = "default"):
    """--profile, on every command that runs an experiment's config."""
    if default is None:  # run: absent means "default", or the saved profile with --resume
        return click.option(
            "--profile", type=click.Choice(PROFILE_NAMES), default=None, help="[default: default]"
        )
    return click.option(
        "--profile", type=click.Choice(PROFILE_NAMES), default=default, show_default=True
    )


def _out_option(where: str):
    """--out: the output root; ``where`` says what goes under it."""
    return click.option(
        "--out", type=click.Path(path_type=Path), default=Path("runs"), show_default=True,
        help=f"output root: {where}",
    )  # fmt: skip


_DEVICE = click.option("--device", default="cpu", show_default=True, help="cpu, cuda or cuda:N")
_STRICT = click.option(
    "--strict",
    is_flag=True,
    help="exit with code 1 when any claim does not hold or is inconclusive (a claim not "
    "checked does not count)",
)


def _run_options(f):
    """--set, --seed, --json, --progress: the same on every command that runs something."""
    f = click.option(
        "--progress/--no-progress",
        default=True,
        help="progress on stderr: bars on a terminal, a line every 30 s otherwise",
    )(f)
    f = click.option(
        "--json", "as_json", is_flag=True, help="print exactly one JSON object on stdout"
    )(f)
    f = click.option(
        "--seed", type=click.IntRange(min=0), default=None, help="shorthand for --set seed=N"
    )(f)
    return click.option(
        "--set",
        "sets",
        multiple=True,
        metavar="KEY=VALUE",
        shell_complete=_complete_sets,
        help="override a config key (repeatable; `roughgrad describe NAME` lists them)",
    )(f)


def _overrides(sets, seed) -> dict[str, str]:
    from roughgrad.config import parse_set_options

    overrides = parse_set_options(sets)
    if seed is not None:
        overrides["seed"] = str(seed)
    return overrides


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="roughgrad")
def cli() -> None:
    """roughgrad: see why training fails, fix it, and reproduce every experiment.

    Start with `roughgrad list`, then `roughgrad describe NAME` and `roughgrad run NAME`.
    """
    warnings.showwarning = _show_warning


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings from the library reach the CLI user as one line on stderr."""
    print(f"warning: {message}", file=sys.stderr)


@cli.command("list")
def list_cmd() -> None:
    """Every experiment, one line each, grouped by the write-up it reproduces."""
    entries = _catalog.catalog()
    width = max(len(n) for n in entries)
    for key, (title, topic) in _catalog.SOURCES.items():
        click.echo(f"{title} ({topic})")
        for name, e in entries.items():
            if e["write_up"] == key:
                section = e["source"].removeprefix(f"write-up {key}").lstrip(", ")
                click.echo(f"  {name:<{width}}  {e['summary']}  [{section}]")


@cli.command()
@click.argument("name", shell_complete=_complete_names)
def describe(name: str) -> None:
    """An experiment's question, config keys (allowed values, default) and profiles."""
    from roughgrad.config import set_text

    e = _catalog.entry(name)
    click.echo(f"{name}: {_catalog.cite(e['source'])}\n")
    click.echo(e["doc"] + "\n\nConfig keys (override with --set key=value):")
    for k in e["keys"]:
        allowed = f"{k['allowed']}; default {set_text(k['default'])}"
        click.echo(f"  {k['key']:<16} {k['help']}\n  {'':<16} [{allowed}]")
    click.echo("\nProfiles (--profile NAME; each overrides the defaults):")
    for profile in PROFILE_NAMES:
        sets = " ".join(f"{k}={set_text(v)}" for k, v in e["profiles"][profile].items())
        click.echo(f"  {profile:<8} {sets or '(the defaults)'}")


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
@click.argument("name", shell_complete=_complete_names)
@_profile_option(None)
@_run_options
@_out_option("the run goes to OUT/NAME/<time>-<id>")
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
@_DEVICE
@_STRICT
def run(
    name,
    profile,
    sets,
    seed,
    as_json,
    progress,
    out,
    run_dir,
    resume,
    checkpoint_every,
    checkpoint_seconds,
    device,
    strict,
) -> None:
    """Run one experiment and write its run directory (or resume an unfinished one)."""
    from roughgrad.config import ConfigError
    from roughgrad.experiments import Context
    from roughgrad.runs import CheckpointPolicy, resume_experiment, run_experiment
    from roughgrad.runs.console import progress as console

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
        config = exp.config(profile, _overrides(sets, seed))
    dev = _device(device)
    with console(progress) as bar:
        ctx = Context(device=dev, progress=bar)
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
        _err(f"run directory: {record.run_dir}")
    _exit_if_failed([record])
    _exit_if_strict([record], strict)


_RESUME_OUT = "\0out"  # --resume without a folder: --out's (no path holds a NUL byte)


@cli.command()
@_profile_option()
@_run_options
@_out_option("runs in OUT/NAME/..., the report in OUT/report/index.html")
@click.option(
    "--only",
    default=None,
    shell_complete=_complete_names,
    help="comma-separated experiment names (default: all)",
)
@click.option(
    "--resume",
    is_flag=False,
    flag_value=_RESUME_OUT,
    default=None,
    metavar="[OUT]",
    help="continue the reproduce in this folder (alone: --out's): keep finished runs of the "
    "same config, resume unfinished ones from their checkpoints, run the rest",
)
@_DEVICE
@_STRICT
def reproduce(profile, sets, seed, as_json, progress, out, only, resume, device, strict) -> None:
    """Run every experiment (or --only some) and write the HTML report.

    --set KEY=VALUE applies to every selected experiment that has KEY; a key none of them has
    is an error. --resume, like run's, names what it continues: a reproduce's folder.
    """
    from roughgrad.config import ConfigError

    if resume is not None and resume != _RESUME_OUT:  # a folder, "." included
        source = click.get_current_context().get_parameter_source("out")
        if source is click.core.ParameterSource.COMMANDLINE and Path(out) != Path(resume):
            raise ConfigError(f"--resume {resume} and --out {out} name different folders")
        out = Path(resume)
    from roughgrad.experiments import Context
    from roughgrad.runs import build_report, run_experiment, run_or_resume
    from roughgrad.runs.console import progress as console
    from roughgrad.runs.eta import Eta

    names = (
        list(_catalog.MODULES) if not only else [n.strip() for n in only.split(",") if n.strip()]
    )
    for n in names:
        _catalog.entry(n)  # an unknown name fails before anything runs
    overrides = _overrides(sets, seed)
    keys = {n: {k["key"] for k in _catalog.entry(n)["keys"]} for n in names}
    unused = [k for k in overrides if not any(k in ks for ks in keys.values())]
    if unused:
        raise ConfigError(
            f"--set {', '.join(unused)}: no selected experiment has this key "
            "(`roughgrad describe NAME` lists an experiment's keys)"
        )
    exps = [_experiment(n) for n in names]
    configs = [
        e.config(profile, {k: v for k, v in overrides.items() if k in keys[e.name]}) for e in exps
    ]
    dev = _device(device)
    records = []
    eta = Eta(names, profile)
    with console(progress) as bar:
        ctx = Context(device=dev, progress=bar)
        steps = zip(exps, configs, strict=True)
        for i, (exp, config) in enumerate(
            ctx.progress.track(steps, total=len(exps), description="experiments")
        ):
            ctx.progress.log(f"{eta.describe(i)} ({profile})")
            started = time.monotonic()
            if resume is not None:
                record, done = run_or_resume(
                    exp, config, profile=profile, ctx=ctx, root=out, argv=sys.argv
                )
                ctx.progress.log(f"{exp.name} ({profile}): {done} {record.run_dir}")
            else:
                record = run_experiment(
                    exp, config, profile=profile, ctx=ctx, argv=sys.argv, root=out
                )
            eta.finished(exp.name, time.monotonic() - started)
            records.append(record)
    path = build_report(records, Path(out) / "report", _docs())
    if as_json:
        runs = [r.to_json() for r in records]
        click.echo(json.dumps({"report": str(path), "runs": runs}))
    else:
        _print_claims(records)
        _err(f"report: {path}")
    _exit_if_failed(records)
    _exit_if_strict(records, strict)


@cli.command()
@click.argument("name", shell_complete=_complete_names)
@click.option(
    "--grid",
    "grids",
    multiple=True,
    metavar="KEY=V1,V2,...",
    help="a config key and its values (list-valued keys: separate values with ';'); repeatable",
)
@click.option("--seeds", default="0", show_default=True, help="e.g. 0-99, 0,3,7 or 0-4,10")
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    shell_complete=_complete_sets,
    help="fixed override",
)
@_profile_option()
@click.option("--backend", type=click.Choice(SWEEP_BACKENDS), default="local", show_default=True)
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
@_out_option("the sweep goes to OUT/sweeps/NAME/<time>-<id>")
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
    _err(result["table"])
    _err(f"sweep directory: {result['sweep_dir']}\nreport: {result['report']}")


@cli.command()
@click.argument("name", shell_complete=_complete_names)
@_profile_option()
@_run_options
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
@_out_option("the landscape goes to OUT/NAME-landscape/<time>-<id>")
@_DEVICE
def landscape(
    name, profile, sets, seed, as_json, progress, dims, points, span, trials, normalize, out, device
) -> None:
    """Sample the loss landscape of an experiment's objective around its point."""
    from roughgrad.experiments import Context
    from roughgrad.runs.console import progress as console
    from roughgrad.runs.landscape import LandscapeSpec, run_landscape

    exp = _experiment(name)
    config = exp.config(profile, _overrides(sets, seed))
    spec = LandscapeSpec(dims, points, span, trials, normalize)
    with console(progress) as bar:
        ctx = Context(device=_device(device), progress=bar)
        record = run_landscape(exp, config, spec, ctx=ctx, root=out, argv=sys.argv)
    if as_json:
        click.echo(json.dumps(record.to_json()))
        return
    for key, value in record.metrics.items():
        _err(f"{key}: {value:.6g}")
    _err(f"run directory: {record.run_dir}")


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
    from roughgrad.runs import build_report, load_run

    records = [load_run(p) for p in run_dirs]
    path = build_report(records, out, _docs())
    _err(f"report: {path}")


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
    _err(f"claims: {write_claims_doc(runs, docs)}")


_MARKS = {
    "holds": "[green]holds[/]",
    "does not hold": "[red]does not hold[/]",
    "inconclusive": "[magenta]inconclusive[/]",
    "not checked": "[yellow]not checked[/]",
}


def _print_claims(records) -> None:
    from roughgrad.experiments.base import claim_evidence, claim_status
    from roughgrad.runs.console import OUT

    for r in records:
        for c in r.claims:
            mark = _MARKS[claim_status(c)]
            OUT.print(f"{r.experiment}: {c['name']}: {mark} — {claim_evidence(c)}", highlight=False)
        if not r.healthy:
            OUT.print(
                f"{r.experiment}: [yellow]not a healthy run[/] ({'; '.join(r.unmet())}): its "
                "claims say little (the quick profile only checks that everything runs)",
                highlight=False,
            )


def _exit_if_failed(records) -> None:
    """Exit 1 when a part of any run failed (its run.json says failed; the rest is written)."""
    failed = [r for r in records if r.status == "failed"]
    for r in failed:
        print(f"roughgrad: error: {r.experiment} failed in part: {r.error}", file=sys.stderr)
    if failed:
        sys.exit(1)


def _exit_if_strict(records, strict: bool) -> None:
    """With --strict, exit 1 when any claim does not hold or is inconclusive (the run's files
    are all written)."""
    from roughgrad.experiments.base import claim_status

    failed = [
        f"{r.experiment}:{c['name']} ({claim_status(c)})"
        for r in records
        for c in r.claims
        if claim_status(c) in ("does not hold", "inconclusive")
    ]
    if strict and failed:
        print(
            f"roughgrad: --strict: {len(failed)} claim(s) do not hold or are inconclusive: "
            + ", ".join(failed),
            file=sys.stderr,
        )
        sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors are one line on stderr with exit code 2, never a traceback."""
    os.environ.setdefault("MPLBACKEND", "Agg")  # figures go to files; a user's choice wins
    from roughgrad._workers import stop_on_signals

    try:
        with stop_on_signals():  # SIGTERM and SIGHUP stop a run as Ctrl-C does
            cli.main(args=argv, prog_name="roughgrad", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        print("roughgrad: interrupted", file=sys.stderr)
        sys.exit(130)
    except click.MissingParameter as exc:  # e.g. `roughgrad run`: one line with the usage
        usage = exc.ctx.get_usage() if exc.ctx is not None else "Usage: roughgrad COMMAND"
        print(
            f"roughgrad: error: {exc.format_message()} {usage} "
            "(`roughgrad list` shows the experiments)",
            file=sys.stderr,
        )
        sys.exit(2)
    except click.ClickException as exc:
        print(f"roughgrad: error: {exc.format_message()}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("roughgrad: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        prefix, code = _known_error(exc)
        if code is None:
            raise
        print(f"roughgrad: {prefix}{exc}", file=sys.stderr)
        sys.exit(code)


def _known_error(exc: Exception) -> tuple[str, int | None]:
    """(message prefix, exit code) of an error the user can act on; (_, None): a bug."""
    from roughgrad.config import ConfigError

    if isinstance(exc, ConfigError):  # the common case, without importing torch
        return "error: ", 2
    from roughgrad.data import DataError
    from roughgrad.runs import RunDirError, RunInterrupted
    from roughgrad.runtime import NumericalError

    if isinstance(exc, RunDirError | DataError):
        return "error: ", 2
    if isinstance(exc, NumericalError):
        return "error: ", 1
    if isinstance(exc, RunInterrupted):
        return "", 130
    return "", None


if __name__ == "__main__":
    main()
