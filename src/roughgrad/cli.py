"""The `roughgrad` command: list / describe / run / reproduce / sweep / landscape / report.

Thin over the library. ``--help``, ``--version``, ``list``, ``describe`` and shell completion
read the experiment catalog (``roughgrad._catalog``) and import no experiment, torch or
matplotlib; the commands that run something import what they need when they start. Options
shared by several commands are declared once (``roughgrad._cli_options``); what the commands
print, and how they exit, is ``roughgrad._cli_output``.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

import click

from roughgrad import __version__, _catalog
from roughgrad._cli_options import (
    DEVICE,
    PROFILE_NAMES,
    STRICT,
    SWEEP_BACKENDS,
    checkpoint_options,
    complete_names,
    jobs_option,
    out_option,
    parse_device,
    parse_overrides,
    profile_option,
    run_options,
)
from roughgrad._cli_output import (
    docs,
    err,
    exit_if_failed,
    exit_if_strict,
    known_error,
    print_claims,
)
from roughgrad._cli_tools import claims, landscape, report, sweep
from roughgrad._workers import show_warning

__all__ = ["PROFILE_NAMES", "SWEEP_BACKENDS", "cli", "main"]


def _experiment(name: str):
    return _catalog.load(name)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="roughgrad")
def cli() -> None:
    """roughgrad: see why training fails, fix it, and reproduce every experiment.

    Start with `roughgrad list`, then `roughgrad describe NAME` and `roughgrad run NAME`.
    """
    warnings.showwarning = show_warning


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
@click.argument("name", shell_complete=complete_names)
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


@cli.command()
@click.argument("name", shell_complete=complete_names)
@profile_option(None)
@run_options
@out_option("the run goes to OUT/NAME/<time>-<id>")
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
@checkpoint_options
@DEVICE
@STRICT
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
        config = exp.config(profile, parse_overrides(sets, seed))
    dev = parse_device(device)
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
        print_claims([record])
        err(f"run directory: {record.run_dir}")
    exit_if_failed([record])
    exit_if_strict([record], strict)


_RESUME_OUT = "\0out"  # --resume without a folder: --out's (no path holds a NUL byte)


@cli.command()
@profile_option()
@run_options
@out_option("runs in OUT/NAME/..., the report in OUT/report/index.html")
@click.option(
    "--only",
    default=None,
    shell_complete=complete_names,
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
@jobs_option(
    "experiments at once, each in its own process on the cores divided among them "
    "[default: one per core]"
)
@DEVICE
@STRICT
def reproduce(
    profile, sets, seed, as_json, progress, out, only, resume, jobs, device, strict
) -> None:
    """Run every experiment (or --only some) and write the HTML report.

    --set KEY=VALUE applies to every selected experiment that has KEY; a key none of them has
    is an error. --resume, like run's, names what it continues: a reproduce's folder.
    Experiments run side by side (--jobs, default one per core), longest first.
    """
    from roughgrad.config import ConfigError

    if resume is not None and resume != _RESUME_OUT:  # a folder, "." included
        source = click.get_current_context().get_parameter_source("out")
        if source is click.core.ParameterSource.COMMANDLINE and Path(out) != Path(resume):
            raise ConfigError(f"--resume {resume} and --out {out} name different folders")
        out = Path(resume)
    import torch

    from roughgrad.experiments import Context
    from roughgrad.runs import build_report
    from roughgrad.runs.console import progress as console
    from roughgrad.runs.reproduce import plan
    from roughgrad.runs.reproduce import reproduce as run_all

    names = [n.strip() for n in only.split(",") if n.strip()] if only else None
    planned = plan(names, profile, parse_overrides(sets, seed))
    dev = parse_device(device)
    jobs = jobs or (1 if dev.type == "cuda" else torch.get_num_threads())
    with console(progress) as bar:
        ctx = Context(device=dev, progress=bar)
        records = run_all(
            planned, profile=profile, ctx=ctx, root=Path(out), argv=sys.argv,
            resume=resume is not None, jobs=jobs,
        )  # fmt: skip
    path = build_report(records, Path(out) / "report", docs())
    if as_json:
        runs = [r.to_json() for r in records]
        click.echo(json.dumps({"report": str(path), "runs": runs}))
    else:
        print_claims(records)
        err(f"report: {path}")
    exit_if_failed(records)
    exit_if_strict(records, strict)


for _command in (sweep, landscape, report, claims):
    cli.add_command(_command)


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
        prefix, code = known_error(exc)
        if code is None:
            raise
        print(f"roughgrad: {prefix}{exc}", file=sys.stderr)
        sys.exit(code)


if __name__ == "__main__":
    main()
