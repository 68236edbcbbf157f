"""Run a set of experiments on the whole machine and return their records.

``reproduce(plan, jobs=1)`` runs the experiments one after another in this process, each on
every core torch uses. ``jobs=N`` runs N at once, each in its own worker process on
``threads`` torch threads (default: the cores divided among the jobs), longest first by their
measured times (``roughgrad.runs.eta``), so that the long ones do not finish last alone. The
experiments here are small networks whose time is mostly Python and small kernels: two of them
side by side on one core each finish sooner than one after another on two.

A worker is stopped with its run (``roughgrad._workers``): Ctrl-C, SIGTERM or SIGHUP marks every
unfinished run interrupted, keeps its last checkpoint and stops every worker within seconds;
``resume=True`` then keeps the finished runs and resumes the rest.
"""

from __future__ import annotations

import signal
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from roughgrad import _catalog
from roughgrad._workers import raise_interrupt, show_warning, worker_pool
from roughgrad.config import ConfigError
from roughgrad.experiments.base import Context, Experiment
from roughgrad.runs.eta import Eta, expected_seconds, minutes
from roughgrad.runs.rundir import read_json
from roughgrad.runs.runner import (
    CheckpointPolicy,
    RunRecord,
    load_run,
    resume_experiment,
    run_experiment,
)
from roughgrad.runtime import Progress

_POLICY = CheckpointPolicy()  # the runner's default
HEARTBEAT_SECONDS = 30.0  # side by side, a status line at least this often


@dataclass(frozen=True)
class Planned:
    """One experiment of a reproduce and its config."""

    experiment: Experiment
    config: Any

    @property
    def name(self) -> str:
        return self.experiment.name


def plan(names: Sequence[str] | None, profile: str, overrides: dict[str, str]) -> list[Planned]:
    """The experiments ``names`` (default: all) at ``profile``, each with the ``overrides`` it
    has a key for; an unknown name, or an override no selected experiment has, is a one-line
    ConfigError before anything runs."""
    names = list(_catalog.MODULES) if not names else list(names)
    for n in names:
        _catalog.entry(n)  # an unknown name fails here
    keys = {n: {k["key"] for k in _catalog.entry(n)["keys"]} for n in names}
    unused = [k for k in overrides if not any(k in ks for ks in keys.values())]
    if unused:
        raise ConfigError(
            f"--set {', '.join(unused)}: no selected experiment has this key "
            "(`roughgrad describe NAME` lists an experiment's keys)"
        )
    planned = []
    for n in names:
        exp = _catalog.load(n)
        mine = {k: v for k, v in overrides.items() if k in keys[n]}
        planned.append(Planned(exp, exp.config(profile, mine)))
    return planned


def reproduce(
    planned: Sequence[Planned],
    *,
    profile: str,
    ctx: Context,
    root: Path,
    argv: list[str] | None = None,
    resume: bool = False,
    jobs: int = 1,
    threads: int | None = None,
) -> list[RunRecord]:
    """Run ``planned`` into ``root`` (with ``resume``: keep finished runs of the same config,
    resume unfinished ones, run the rest); records in ``planned``'s order.

    jobs: experiments at once. 1: all in this process, one after another. More: first the
    experiments that must run alone (``Experiment.alone``: they time themselves or use every
    core) in this process, then the rest ``jobs`` at a time in worker processes, longest
    first. threads: torch threads of each side-by-side experiment (default: this process's
    threads // jobs, at least 1).
    """
    if jobs < 1:
        raise ConfigError(f"jobs={jobs} must be >= 1")
    names = [p.name for p in planned]
    opts: dict[str, Any] = dict(profile=profile, ctx=ctx, root=root, argv=argv, resume=resume)
    side = [] if jobs == 1 else [i for i, p in enumerate(planned) if not p.experiment.alone]
    if len(side) < 2:
        side = []
    first = [i for i in range(len(planned)) if i not in side]
    eta = Eta([names[i] for i in first + side], profile)
    records: dict[int, RunRecord] = {}
    steps = ctx.progress.track(first, total=len(first), description="experiments")
    for k, i in enumerate(steps):
        left = [names[j] for j in first[k:]]
        ctx.progress.log(
            f"experiment {k + 1}/{len(planned)}: {names[i]} ({profile}), "
            f"{eta.describe_left(left) if not side else _left(eta, left, side, names, jobs)}"
        )
        records[i] = _one(planned[i], eta, **opts)
    if side:
        threads = threads or max(1, torch.get_num_threads() // jobs)
        records.update(_side_by_side(planned, side, eta, jobs, threads, **opts))
    return [records[i] for i in range(len(planned))]


def _left(eta: Eta, alone: list[str], side: list[int], names: list[str], jobs: int) -> str:
    """Time left: the alone experiments one after another, then the rest side by side."""
    a = eta.left_side_by_side(alone, 1) if alone else 0.0
    b = eta.left_side_by_side([names[i] for i in side], jobs)
    if a is None or b is None:
        return "time left unknown"
    return f"about {minutes(a + b)} left"


def _side_by_side(
    planned: Sequence[Planned],
    side: list[int],
    eta: Eta,
    jobs: int,
    threads: int,
    *,
    profile: str,
    ctx: Context,
    root: Path,
    argv: list[str] | None,
    resume: bool,
) -> dict[int, RunRecord]:
    """Experiments ``side`` of ``planned``, ``jobs`` at a time in worker processes of
    ``threads`` torch threads, longest first; {index: record}."""
    names = [p.name for p in planned]
    # longest first; an experiment without a measured time counts as the longest
    queue = sorted(side, key=lambda i: -expected_or_first(names[i], profile))
    records: dict[int, RunRecord] = {}
    started: dict[Future, tuple[int, float]] = {}
    log = ctx.progress.log
    log(
        f"{len(side)} experiments side by side ({profile}), {jobs} at a time on {threads} "
        f"thread(s) each, {eta.describe_left([names[i] for i in side], jobs)}"
    )
    with worker_pool(jobs, initializer=_worker_start, initargs=(threads,)) as pool:
        while queue or started:
            while queue and len(started) < jobs:
                i = queue.pop(0)
                job = (names[i], planned[i].config, profile, root, argv, resume, str(ctx.device))
                started[pool.submit(_run_in_worker, *job)] = (i, time.monotonic())
            done, _ = wait(started, timeout=HEARTBEAT_SECONDS, return_when=FIRST_COMPLETED)
            for fut in done:
                i, t0 = started.pop(fut)
                run_dir, what = fut.result()  # an error in one experiment stops them all
                records[i] = load_run(run_dir)
                eta.finished(names[i], time.monotonic() - t0)
                left = [names[j] for j in queue] + [names[j] for j, _ in started.values()]
                log(
                    f"{names[i]} ({profile}): {what} in {_clock(time.monotonic() - t0)}, "
                    f"{len(records)}/{len(side)} side by side done; "
                    f"{eta.describe_left(left, jobs)}"
                )
            if not done:
                running = ", ".join(
                    f"{names[i]} ({_clock(time.monotonic() - t0)})" for i, t0 in started.values()
                )
                log(f"running: {running}; {len(records)}/{len(side)} side by side done")
    return records


def latest_run(root: Path, experiment: str, config: dict[str, Any], profile: str) -> Path | None:
    """The newest run directory under ``root/experiment`` made with this config and profile."""
    folder = Path(root) / experiment
    found = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        try:
            info, saved = read_json(path / "run.json"), read_json(path / "config.json")
        except (OSError, ValueError):
            continue  # not a run directory (or a torn one from before atomic writes): skip it
        if saved == config and info.get("profile") == profile:
            found.append((info.get("started", ""), path))
    return max(found)[1] if found else None


def run_or_resume(
    experiment: Experiment,
    config: Any,
    *,
    profile: str,
    ctx: Context,
    root: Path,
    argv: list[str] | None = None,
    policy: CheckpointPolicy = _POLICY,
) -> tuple[RunRecord, str]:
    """Keep a finished run of this config under ``root``, resume an unfinished one, or start a
    new one; returns the record and what was done ("kept", "resumed" or "ran")."""
    path = latest_run(root, experiment.name, config.to_dict(), profile)
    if path is None:
        return run_experiment(
            experiment, config, profile=profile, ctx=ctx, root=root, argv=argv, policy=policy
        ), "ran"
    if read_json(path / "run.json").get("status") == "complete":
        return load_run(path), "kept"
    record = resume_experiment(
        path, ctx=ctx, argv=argv, policy=policy, experiment_name=experiment.name
    )
    return record, "resumed"


def _one(
    p: Planned,
    eta: Eta,
    *,
    profile: str,
    ctx: Context,
    root: Path,
    argv: list[str] | None,
    resume: bool,
) -> RunRecord:
    """One experiment in this process."""
    t0 = time.monotonic()
    record, done = _start(p.experiment, p.config, profile, ctx, root, argv, resume)
    if resume:
        ctx.progress.log(f"{p.name} ({profile}): {done} {record.run_dir}")
    eta.finished(p.name, time.monotonic() - t0)
    return record


def _start(exp, config, profile, ctx, root, argv, resume: bool) -> tuple[RunRecord, str]:
    """With ``resume``, keep, resume or run (``run_or_resume``); else run afresh."""
    if resume:
        return run_or_resume(exp, config, profile=profile, ctx=ctx, root=root, argv=argv)
    return run_experiment(exp, config, profile=profile, ctx=ctx, root=root, argv=argv), "ran"


class _Prefixed(Progress):
    """A side-by-side experiment's progress: no bars; its log lines name it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def log(self, message: str) -> None:
        named = message.startswith(f"{self.name}:")  # some experiments name themselves
        super().log(message if named else f"{self.name}: {message}")


def _worker_start(threads: int) -> None:
    """A reproduce worker: ``threads`` torch threads; warnings as one line, as the CLI prints
    them; SIGTERM (its run stopped) interrupts the experiment as Ctrl-C does, so its run
    directory is marked interrupted."""
    torch.set_num_threads(threads)
    warnings.showwarning = show_warning
    signal.signal(signal.SIGTERM, raise_interrupt)


def _run_in_worker(name, config, profile, root, argv, resume, device) -> tuple[Path, str]:
    """Run (or keep, or resume) one experiment; its run directory and what was done."""
    ctx = Context(device=torch.device(device), progress=_Prefixed(name))
    record, what = _start(_catalog.load(name), config, profile, ctx, root, argv, resume)
    return record.run_dir, what


def expected_or_first(name: str, profile: str) -> float:
    """The measured seconds of ``name`` at ``profile``, the key of the longest-first order
    (infinite where none was measured: it goes first)."""
    seconds = expected_seconds(name, profile)
    return float("inf") if seconds is None else seconds


def _clock(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"
