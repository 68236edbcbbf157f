"""`roughgrad landscape NAME`: the loss landscape of an experiment's objective, as a run."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from roughgrad.experiments.base import ConfigError, Context, Experiment
from roughgrad.landscape import (
    high_frequency_fraction,
    loss_line,
    loss_plane,
    mollify,
    random_direction,
    residual_rms,
    total_variation,
)
from roughgrad.runs.rundir import (
    atomic_write_json,
    atomic_write_text,
    environment,
    new_run_dir,
    save_arrays,
)
from roughgrad.runs.runner import RunRecord, write_figures


@dataclass(frozen=True)
class LandscapeSpec:
    """What to sample: 1-D line or 2-D plane, K points per axis over [-span, span]."""

    dims: Literal[1, 2] = 1
    points: int = 201
    span: float = 1.0
    trials: int = 1
    normalize: Literal["filter", "layer", "none"] = "filter"

    def __post_init__(self) -> None:
        if self.dims not in (1, 2):
            raise ConfigError(f"--dims must be 1 or 2, got {self.dims}")
        if self.points < 3:
            raise ConfigError(f"--points must be >= 3, got {self.points}")
        if not self.span > 0:
            raise ConfigError(f"--span must be > 0, got {self.span}")
        if self.trials < 1:
            raise ConfigError(f"--trials must be >= 1, got {self.trials}")


def run_landscape(
    exp: Experiment, config, spec: LandscapeSpec, *, ctx: Context, root: Path, argv: list[str]
) -> RunRecord:
    """Sample the landscape of ``exp``'s objective around its representative point."""
    if exp.objective is None:
        raise ConfigError(f"experiment {exp.name!r} does not expose an objective for landscapes")
    objective, params = exp.objective(config, ctx)
    gen = ctx.generator(config.seed)
    # Li et al. zero the biases; when every parameter is 1-D (e.g. a frequency) keep them
    biases: Literal["zero", "keep"] = (
        "keep" if all(p.dim() <= 1 for p in params.values()) else "zero"
    )
    dirs = [
        random_direction(params, normalize=spec.normalize, biases=biases, generator=gen)
        for _ in range(spec.dims)
    ]
    alphas = np.linspace(-spec.span, spec.span, spec.points)
    name = f"{exp.name}-landscape"
    path = new_run_dir(root, name)
    started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    cfg = {**config.to_dict(), "landscape": {**spec.__dict__, "biases": biases}}
    atomic_write_json(path / "config.json", cfg)
    atomic_write_text(path / "argv.txt", " ".join(argv) + "\n")
    atomic_write_json(path / "env.json", environment(ctx.device))
    kw: dict[str, Any] = {"trials": spec.trials, "generator": gen}
    if spec.dims == 1:
        sl = loss_line(objective, params, dirs[0], alphas, **kw)
        smooth = mollify(sl.mean, alphas, width=spec.span / 20)
        metrics = {
            "total_variation": total_variation(sl.mean),
            "high_frequency_fraction": high_frequency_fraction(sl.mean),
            "residual_rms": residual_rms(sl.mean),
            "total_variation_mollified": total_variation(smooth),
        }
        arrays = {"alphas": alphas, "mean": sl.mean, "std": sl.std, "mollified": smooth}
    else:
        sl = loss_plane(objective, params, dirs[0], dirs[1], alphas, alphas, **kw)
        metrics = {
            "total_variation_rows_mean": float(np.mean([total_variation(r) for r in sl.mean]))
        }
        arrays = {"alphas": alphas, "betas": alphas, "mean": sl.mean, "std": sl.std}
    metrics.update(
        loss_at_center=float(np.asarray(sl.mean).flat[sl.mean.size // 2]),
        loss_min=float(sl.mean.min()),
        loss_max=float(sl.mean.max()),
    )
    save_arrays(path / "data.npz", arrays)
    write_figures(path / "figures", _figures(arrays, spec, exp.name))
    atomic_write_json(path / "metrics.json", metrics)
    atomic_write_json(path / "claims.json", [])
    atomic_write_json(
        path / "run.json",
        {"experiment": name, "profile": "landscape", "started": started, "status": "complete"},
    )
    return RunRecord(name, "landscape", cfg, metrics, [], path)


def _figures(a: dict[str, np.ndarray], spec: LandscapeSpec, name: str) -> dict:
    import matplotlib.pyplot as plt

    from roughgrad.plot import line, plane

    fig, ax = plt.subplots(figsize=(7, 4) if spec.dims == 1 else (6, 5))
    if spec.dims == 1:
        line(
            ax,
            a["alphas"],
            a["mean"],
            a["std"],
            label=f"mean of {spec.trials} trial(s)" if spec.trials > 1 else "loss",
        )
        ax.plot(a["alphas"], a["mollified"], lw=1.5, label="mollified (bump, width span/20)")
        ax.legend(fontsize=8)
    else:
        plane(ax, a["alphas"], a["betas"], a["mean"])
    ax.set_title(f"{name}: {spec.normalize}-normalised random direction(s)")
    fig.tight_layout()
    return {"landscape": fig}
