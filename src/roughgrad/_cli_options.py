"""The options the `roughgrad` commands share, declared once each, and shell completion.

Imports no experiment, torch or matplotlib (``--help`` and completion stay fast).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from roughgrad import _catalog

PROFILE_NAMES = ("quick", "default", "full")  # roughgrad.experiments.base checks they agree
SWEEP_BACKENDS = ("local", "ray")  # roughgrad.runs.sweep.BACKENDS (tested equal)


def parse_device(name: str):
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


def complete_names(ctx, param, incomplete: str) -> list[str]:
    return [n for n in _catalog.MODULES if n.startswith(incomplete)]


def complete_sets(ctx, param, incomplete: str) -> list[str]:
    """--set completes ``key=`` with the config keys of the experiment named before it."""
    # a trailing "--set" stops click's parse before NAME: then read the words being completed
    words = [ctx.params.get("name"), *os.environ.get("COMP_WORDS", "").split()]
    name = next((w for w in words if w in _catalog.MODULES), None)
    if name is not None:
        keys = [k["key"] for k in _catalog.catalog()[name]["keys"]]
    else:  # reproduce: --set applies to every experiment that has the key, so any key will do
        keys = sorted({k["key"] for e in _catalog.catalog().values() for k in e["keys"]})
    return [f"{k}=" for k in keys if f"{k}=".startswith(incomplete)]


def profile_option(default: str | None = "default"):
    """--profile, on every command that runs an experiment's config."""
    if default is None:  # run: absent means "default", or the saved profile with --resume
        return click.option(
            "--profile", type=click.Choice(PROFILE_NAMES), default=None, help="[default: default]"
        )
    return click.option(
        "--profile", type=click.Choice(PROFILE_NAMES), default=default, show_default=True
    )


def out_option(where: str):
    """--out: the output root; ``where`` says what goes under it."""
    return click.option(
        "--out", type=click.Path(path_type=Path), default=Path("runs"), show_default=True,
        help=f"output root: {where}",
    )  # fmt: skip


DEVICE = click.option("--device", default="cpu", show_default=True, help="cpu, cuda or cuda:N")
STRICT = click.option(
    "--strict",
    is_flag=True,
    help="exit with code 1 when any claim does not hold or is inconclusive (a claim not "
    "checked does not count)",
)


def run_options(f):
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
    return set_option()(f)


def parse_overrides(sets, seed) -> dict[str, str]:
    from roughgrad.config import parse_set_options

    found = parse_set_options(sets)
    if seed is not None:
        found["seed"] = str(seed)
    return found


def checkpoint_options(f):
    """--checkpoint-every, --checkpoint-seconds: when long loops write checkpoints."""
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


def set_option(
    help: str = "override a config key (repeatable; `roughgrad describe NAME` lists them)",
):
    """--set KEY=VALUE (repeatable), completing the config keys of the experiment named."""
    return click.option(
        "--set",
        "sets",
        multiple=True,
        metavar="KEY=VALUE",
        shell_complete=complete_sets,
        help=help,
    )


def jobs_option(help: str):
    """--jobs N: how many runs at once (``help`` says of what, and the default)."""
    return click.option("--jobs", type=click.IntRange(min=1), default=None, help=help)
