"""Run one experiment into a run directory and write everything it produced."""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch

from roughgrad.experiments._contract import Context, Experiment, Outcome
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

    def to_json(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment,
            "config": self.config,
            "metrics": self.metrics,
            "claims": self.claims,
            "run_dir": str(self.run_dir),
        }


def run_experiment(
    experiment: Experiment,
    config: Any,
    *,
    profile: str,
    ctx: Context,
    root: Path | None = None,
    run_dir: Path | None = None,
    argv: list[str] | None = None,
) -> RunRecord:
    """Create a fresh run directory (under ``root`` or exactly ``run_dir``), run, write results."""
    if (root is None) == (run_dir is None):
        raise ValueError("give exactly one of root and run_dir")
    path = create_run_dir(run_dir) if run_dir is not None else new_run_dir(root, experiment.name)
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

    torch.manual_seed(config.seed)
    t0 = time.perf_counter()
    outcome: Outcome = experiment.run(config, ctx)
    elapsed = time.perf_counter() - t0
    metrics = {**outcome.metrics, "run_seconds": round(elapsed, 3)}
    claims = [c.to_dict() for c in outcome.claims]

    if outcome.arrays:
        save_arrays(path / "data.npz", outcome.arrays)
    write_figures(path / "figures", experiment.figures(outcome, config))
    atomic_write_json(path / "metrics.json", metrics)
    atomic_write_json(path / "claims.json", claims)
    info.update(status="complete", finished=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
    atomic_write_json(path / "run.json", info)
    return RunRecord(experiment.name, profile, config.to_dict(), metrics, claims, path)


def write_figures(folder: Path, figures: dict[str, Any]) -> None:
    """Save Figures as ``name.png`` and raw bytes (GIFs) under their given file name."""
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
    )


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(Path(path) / "data.npz") as data:
        return {k: data[k] for k in data.files}
