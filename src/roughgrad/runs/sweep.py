"""Sweeps: a grid of config values times a list of seeds, run on a process pool or on Ray.

Every run executes ``run_task`` (one experiment run in a private temporary run directory,
with a fixed number of torch threads) and returns its record and files; the driver writes them
into the sweep directory, so the same code serves a local pool, a local Ray instance and a
remote Ray cluster (whose workers share no file system with the driver). The same seed and
thread count give the same per-run metrics on every backend.

Layout of a sweep directory ``OUT/sweeps/NAME/<time>-<id>``::

    sweep.json       experiment, profile, grid, seeds, backend, command line, run index
    aggregate.json   per grid point: each metric's mean/std/min/max/n over seeds, claims held
    runs/rNNN/       one complete run directory per (grid point, seed)
    figures/*.png    per-seed spread of each chosen metric across grid points
    index.html       the sweep report
"""

from __future__ import annotations

import itertools
import tempfile
import typing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from roughgrad._names import unknown_name
from roughgrad._workers import worker_pool
from roughgrad.experiments import EXPERIMENTS, ConfigError, Context, Progress
from roughgrad.experiments.base import parse_set_options
from roughgrad.objectives.distributed import init_ray
from roughgrad.runs.rundir import atomic_write_bytes, atomic_write_json, create_run_dir
from roughgrad.runs.runner import run_experiment
from roughgrad.runs.sweep_aggregate import aggregate

BACKENDS = ("local", "ray")


@dataclass(frozen=True)
class SweepSpec:
    """What to run: an experiment and profile, fixed overrides, a grid and seeds."""

    experiment: str
    profile: str = "default"
    grid: dict[str, tuple[str, ...]] = field(default_factory=dict)
    seeds: tuple[int, ...] = (0,)
    sets: dict[str, str] = field(default_factory=dict)
    threads: int = 1

    def points(self) -> list[dict[str, str]]:
        """Every combination of grid values (one empty point for an empty grid)."""
        keys = list(self.grid)
        return [
            dict(zip(keys, combo, strict=True)) for combo in itertools.product(*self.grid.values())
        ]

    def tasks(self) -> list[tuple[int, dict[str, str], int]]:
        """(point index, point, seed) for every run, validated up front (ConfigError)."""
        if self.experiment not in EXPERIMENTS:
            raise ConfigError(unknown_name("experiment", self.experiment, EXPERIMENTS))
        exp, out = EXPERIMENTS[self.experiment], []
        for i, point in enumerate(self.points()):
            for seed in self.seeds:
                exp.config(self.profile, {**self.sets, **point, "seed": str(seed)})
                out.append((i, point, seed))
        return out


def parse_grid(items: Sequence[str], experiment: str) -> dict[str, tuple[str, ...]]:
    """``["lr=0.1,0.01"]`` -> ``{"lr": ("0.1", "0.01")}``. For a list-valued key (e.g. methods)
    the values are separated by ``;`` instead, since each value is itself a comma list."""
    grid: dict[str, tuple[str, ...]] = {}
    exp = EXPERIMENTS.get(experiment)
    hints = typing.get_type_hints(exp.config_cls) if exp else {}
    listy = {name for name, tp in hints.items() if typing.get_origin(tp) is tuple}
    for key, raw in parse_set_options(items).items():
        if key == "seed":
            raise ConfigError("--grid seed=... is not allowed; give seeds with --seeds")
        if key in grid:
            raise ConfigError(f"--grid {key} is given twice")
        values = tuple(v.strip() for v in raw.split(";" if key in listy else ",") if v.strip())
        if not values:
            raise ConfigError(f"--grid {key}= has no values; give {key}=v1,v2,...")
        grid[key] = values
    return grid


def parse_seeds(text: str) -> tuple[int, ...]:
    """``"0-99"``, ``"0,3,7"``, ``"5"`` or a mix (``"0-4,10"``) -> sorted distinct seeds."""
    seeds: set[int] = set()
    try:
        for part in (p.strip() for p in text.split(",")):
            lo, dash, hi = part.partition("-")
            first, last = int(lo), int(hi) if dash else int(lo)
            if first < 0 or last < first:
                raise ValueError(part)
            seeds.update(range(first, last + 1))
    except ValueError:
        raise ConfigError(
            f"--seeds {text!r} is not a seed list; use e.g. 0-99, 0,3,7 or 0-4,10 (seeds >= 0)"
        ) from None
    return tuple(sorted(seeds))


class _Quiet(Progress):
    def log(self, message: str) -> None:
        return None


def run_task(name: str, profile: str, overrides: dict[str, str], threads: int) -> dict[str, Any]:
    """One run in a temporary run directory; returns its record (JSON) and its files (bytes)."""
    torch.set_num_threads(threads)
    exp = EXPERIMENTS[name]
    config = exp.config(profile, overrides)
    with tempfile.TemporaryDirectory(prefix="roughgrad-sweep-") as tmp:
        run_dir, error, out = Path(tmp) / "run", None, None
        try:
            record = run_experiment(
                exp,
                config,
                profile=profile,
                ctx=Context(progress=_Quiet()),
                run_dir=run_dir,
                argv=[
                    "roughgrad",
                    "sweep",
                    name,
                    *(f"--set {k}={v}" for k, v in overrides.items()),
                ],
            )
            out = record.to_json()
            del out["run_dir"]
        except Exception as exc:  # one failed run (e.g. a blow-up) must not lose the others
            error = f"{type(exc).__name__}: {exc}"
        files = {
            str(p.relative_to(run_dir)): p.read_bytes() for p in run_dir.rglob("*") if p.is_file()
        }
    return {"record": out, "error": error, "files": files}


Executor = Callable[[list[tuple[Any, ...]]], Iterator[tuple[int, dict[str, Any]]]]


def local_executor(jobs: int) -> Executor:
    """Runs tasks in a pool of ``jobs`` fresh (spawned) processes; yields (index, result)."""

    def execute(tasks: list[tuple[Any, ...]]) -> Iterator[tuple[int, dict[str, Any]]]:
        with worker_pool(jobs) as pool:
            futures = {pool.submit(run_task, *t): i for i, t in enumerate(tasks)}
            for fut in as_completed(futures):
                yield futures[fut], fut.result()

    return execute


def ray_executor(jobs: int, address: str | None, threads: int) -> Executor:
    """Runs each task as a Ray task (``num_cpus=threads``) on a local Ray instance of ``jobs``
    CPUs, or on the cluster at ``address``; yields (index, result) as tasks finish."""
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "--backend ray needs Ray, which is not installed: pip install 'roughgrad[ray]'"
        ) from None

    try:  # connect now, so that a bad address fails before the sweep directory exists
        started = init_ray(address, jobs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ConfigError(f"--address: {exc}" if address else f"cannot start Ray: {exc}") from None

    def execute(tasks: list[tuple[Any, ...]]) -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            remote = ray.remote(num_cpus=threads)(run_task)
            pending = {remote.remote(*t): i for i, t in enumerate(tasks)}
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                yield pending.pop(done[0]), ray.get(done[0])
        finally:
            if started:
                ray.shutdown()

    return execute


def run_sweep(
    spec: SweepSpec,
    executor: Executor,
    sweep_dir: Path,
    *,
    meta: dict[str, Any],
    on_done: Callable[[int, int], None] | None = None,
) -> tuple[list[dict], list[tuple[int, int, dict]], dict[str, Any]]:
    """Run every task of ``spec`` with ``executor``, writing each run into ``sweep_dir/runs``.

    ``sweep_dir`` must not exist (validation happens first, so bad input writes nothing).
    Returns the aggregate, the (point index, seed, record) of every finished run and the sweep
    description written to ``sweep.json``.
    """
    tasks = spec.tasks()
    create_run_dir(sweep_dir)
    index = [{"run": f"r{j:03d}", "point": p, "seed": s} for j, (_, p, s) in enumerate(tasks)]
    info = {**meta, **_spec_json(spec), "runs": index}
    atomic_write_json(sweep_dir / "sweep.json", info)
    args = [
        (spec.experiment, spec.profile, {**spec.sets, **p, "seed": str(s)}, spec.threads)
        for _, p, s in tasks
    ]
    results: list[tuple[int, int, dict]] = []
    failed: list[dict[str, Any]] = []
    for j, result in executor(args):
        run_dir = sweep_dir / "runs" / f"r{j:03d}"
        for rel, data in result["files"].items():
            (run_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(run_dir / rel, data)
        if result["error"] is not None:
            failed.append(
                {
                    "run": f"r{j:03d}",
                    "point": tasks[j][1],
                    "seed": tasks[j][2],
                    "error": result["error"],
                }
            )
        else:
            record = {**result["record"], "run_dir": str(run_dir)}
            results.append((tasks[j][0], tasks[j][2], record))
        if on_done is not None:
            on_done(len(results) + len(failed), len(tasks))
    results.sort(key=lambda r: (r[0], r[1]))
    agg = aggregate(spec.points(), results, failed)
    atomic_write_json(sweep_dir / "aggregate.json", agg)
    return agg, results, info


def _spec_json(spec: SweepSpec) -> dict[str, Any]:
    return {
        "experiment": spec.experiment,
        "profile": spec.profile,
        "grid": {k: list(v) for k, v in spec.grid.items()},
        "seeds": list(spec.seeds),
        "sets": spec.sets,
        "threads": spec.threads,
    }
