"""Run one experiment into a run directory and write everything it produced."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import torch

from roughgrad.experiments import EXPERIMENTS
from roughgrad.experiments.base import (
    ConfigError,
    Context,
    Experiment,
    NumericalError,
    Outcome,
    apply_overrides,
)
from roughgrad.runs.checkpoint import (
    FileCheckpoints,
    RunInterrupted,
    check_checkpoints,
    graceful_interrupt,
)
from roughgrad.runs.rundir import (
    RunDirError,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    create_run_dir,
    environment,
    new_run_dir,
    read_json,
    save_arrays,
    save_figure,
)


@dataclass
class RunRecord:
    """A finished run: where it is and what it found."""

    experiment: str
    profile: str
    config: dict[str, Any]
    metrics: dict[str, Any]
    claims: list[dict[str, Any]]
    run_dir: Path
    status: str = "complete"  # or "failed": a part of the run raised (``error`` says which)
    error: str = ""
    # the experiment's floors: [{"met": bool, "floor": "what = value (floor f)"}, ...]
    health: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """Every floor met: the experiment worked as usual, so its claims say something."""
        return all(h["met"] for h in self.health)

    def unmet(self) -> list[str]:
        return [h["floor"] for h in self.health if not h["met"]]

    def to_json(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment,
            "status": self.status,
            **({"error": self.error} if self.error else {}),
            "healthy": self.healthy,
            "health": self.health,
            "config": self.config,
            "metrics": self.metrics,
            "claims": self.claims,
            "run_dir": str(self.run_dir),
        }


@dataclass(frozen=True)
class CheckpointPolicy:
    """When long loops write checkpoints: every N steps and every M seconds (and at their end)."""

    every_steps: int = 1000
    every_seconds: float = 60.0


def run_experiment(
    experiment: Experiment,
    config: Any,
    *,
    profile: str,
    ctx: Context,
    root: Path | None = None,
    run_dir: Path | None = None,
    argv: list[str] | None = None,
    policy: CheckpointPolicy = CheckpointPolicy(),
) -> RunRecord:
    """Create a fresh run directory (under ``root`` or exactly ``run_dir``), run, write results."""
    if (root is None) == (run_dir is None):
        raise ValueError("give exactly one of root and run_dir")
    if run_dir is not None:
        path = create_run_dir(run_dir)
    else:
        assert root is not None
        path = new_run_dir(root, experiment.name)
    started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    info = {
        "experiment": experiment.name,
        "profile": profile,
        "started": started,
        "status": "running",
    }
    atomic_write_json(path / "run.json", info)
    atomic_write_json(path / "config.json", config.to_dict())
    atomic_write_text(path / "argv.txt", " ".join(argv or []) + "\n")
    atomic_write_json(path / "env.json", environment(ctx.device))
    return _execute(experiment, config, path, info, ctx, policy, resume=False)


def resume_experiment(
    run_dir: Path,
    *,
    ctx: Context,
    argv: list[str] | None = None,
    policy: CheckpointPolicy = CheckpointPolicy(),
    experiment_name: str | None = None,
) -> RunRecord:
    """Continue an unfinished run in ``run_dir`` from its checkpoints, with its saved config.

    Everything is checked before anything is written: the run directory, its experiment (it must
    equal ``experiment_name`` when given), its config and every checkpoint.
    """
    path = Path(run_dir)
    for name in ("run.json", "config.json"):
        if not (path / name).is_file():
            raise RunDirError(f"{path} is not a run directory: {name} is missing")
    info = read_json(path / "run.json")
    name = info.get("experiment")
    if name not in EXPERIMENTS:
        raise RunDirError(f"{path} holds a run of unknown experiment {name!r}")
    if experiment_name is not None and name != experiment_name:
        raise RunDirError(f"{path} holds a run of {name}, not {experiment_name}")
    if info.get("status") == "complete":
        raise RunDirError(f"{path} is already complete; nothing to resume")
    experiment = EXPERIMENTS[name]
    saved = read_json(path / "config.json")
    try:
        config = apply_overrides(experiment.config_cls(), saved)
    except ConfigError as exc:
        raise RunDirError(f"{path}/config.json does not fit {name}: {exc}") from None
    if config.to_dict() != saved:
        raise RunDirError(f"{path}/config.json does not fit {name}'s current config fields")
    check_checkpoints(path, experiment=name, config=saved)
    info.setdefault("resumed", []).append(_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
    info["status"] = "running"
    atomic_write_json(path / "run.json", info)
    with open(path / "argv.txt", "a", encoding="utf-8") as fh:
        fh.write(" ".join(argv or []) + "\n")
    return _execute(experiment, config, path, info, ctx, policy, resume=True)


def _execute(
    experiment: Experiment,
    config: Any,
    path: Path,
    info: dict[str, Any],
    ctx: Context,
    policy: CheckpointPolicy,
    *,
    resume: bool,
) -> RunRecord:
    checkpoints = FileCheckpoints(
        path,
        experiment=experiment.name,
        config=config.to_dict(),
        every_steps=policy.every_steps,
        every_seconds=policy.every_seconds,
        resume=resume,
    )
    ctx = dataclasses.replace(ctx, checkpoints=checkpoints)
    torch.manual_seed(config.seed)
    t0 = time.perf_counter()
    try:
        with graceful_interrupt(checkpoints, ctx.progress.log):
            outcome: Outcome = experiment.run(config, ctx)
    except (RunInterrupted, KeyboardInterrupt):
        info.update(status="interrupted", checkpoint=checkpoints.last_written)
        atomic_write_json(path / "run.json", info)
        key, step = checkpoints.last_written or (None, None)
        raise RunInterrupted(key, step, path, experiment.name) from None
    except NumericalError as exc:
        info.update(status="failed", error=str(exc))
        atomic_write_json(path / "run.json", info)
        raise
    elapsed = time.perf_counter() - t0
    metrics = {**outcome.metrics, "run_seconds": round(elapsed, 3)}
    claims = [c.to_dict() for c in experiment.complete_claims(outcome.claims)]
    health = [{"met": met, "floor": text} for met, text in experiment.check_health(metrics)]
    info["health"] = health
    for h in health:
        if not h["met"]:
            ctx.progress.log(
                f"{experiment.name}: not a healthy run ({h['floor']}): its claims say little"
            )

    if outcome.arrays:
        save_arrays(path / "data.npz", outcome.arrays)
    atomic_write_json(path / "metrics.json", metrics)
    atomic_write_json(path / "claims.json", claims)
    errors = list(outcome.errors)
    try:
        write_figures(path / "figures", experiment.figures(outcome, config))
    except Exception as exc:  # a figure that fails to draw must not lose the measurements
        errors.append(f"figures: {type(exc).__name__}: {exc}")
        ctx.progress.log(f"{experiment.name}: its figures failed: {type(exc).__name__}: {exc}")
        plt.close("all")
    finished = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    if errors:  # everything the other parts produced is written above
        info.update(status="failed", error="; ".join(errors), finished=finished)
    else:
        info.update(status="complete", finished=finished)
    atomic_write_json(path / "run.json", info)
    return RunRecord(
        experiment.name,
        info["profile"],
        config.to_dict(),
        metrics,
        claims,
        path,
        info["status"],
        info.get("error", ""),
        health,
    )


def write_figures(folder: Path, figures: dict[str, Any]) -> None:
    """Save Figures as ``name.png`` and raw bytes (GIFs) under their given file name.

    Figures are Matplotlib figures drawn by any backend; ``savefig`` renders them off screen, so
    importing roughgrad never switches the user's backend (the CLI selects Agg itself).
    """
    for name, fig in figures.items():
        if isinstance(fig, bytes):
            atomic_write_bytes(folder / name, fig)
        else:
            save_figure(fig, folder / f"{name}.png")
            plt.close(fig)


def load_run(path: Path) -> RunRecord:
    """Read a finished run directory back."""
    path = Path(path)
    for name in ("run.json", "config.json", "metrics.json", "claims.json"):
        if not (path / name).is_file():
            raise RunDirError(f"{path} is not a finished run directory: {name} is missing")
    info = read_json(path / "run.json")
    return RunRecord(
        info["experiment"],
        info.get("profile", "?"),
        read_json(path / "config.json"),
        read_json(path / "metrics.json"),
        read_json(path / "claims.json"),
        path,
        "failed" if info.get("status") == "failed" else "complete",
        info.get("error", ""),
        info.get("health", []),
    )
