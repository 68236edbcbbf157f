"""``fit``'s helpers: its schedule, evaluation points, progress, checkpointed state and the
finiteness check (``roughgrad.train``)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch

from roughgrad._types import Params
from roughgrad.runtime import BarProgress, NumericalError, Progress


def make_schedule(kind: str, opt: torch.optim.Optimizer, updates: int):
    if kind == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, updates)
    if kind != "constant":
        raise ValueError(f"schedule={kind!r} is not allowed; choose constant or cosine")
    return None


def evaluation_points(updates: int, evaluations: int) -> set[int]:
    if evaluations < 2:
        raise ValueError(f"evaluations={evaluations}: need at least 2 (before and after)")
    return set(np.linspace(0, updates, evaluations).round().astype(int).tolist())


def tracker(progress: bool | Progress) -> Progress:
    if isinstance(progress, Progress):
        return progress
    return BarProgress() if progress else Progress()


def fit_state(
    next_k: int, clock: float, history: Any, params: Params, best: Params, opt, sched, gen
) -> dict[str, Any]:
    """Everything the next update depends on, and the parameters selected so far."""
    return {
        "next": next_k,
        "clock": clock,
        "history": dataclasses.asdict(history),
        "params": {k: v.detach().clone() for k, v in params.items()},
        "best": {k: v.clone() for k, v in best.items()},
        "optimizer": opt.state_dict(),
        "schedule": None if sched is None else sched.state_dict(),
        "generator": gen.get_state(),
    }


def restore_fit_state(state: dict, params: Params, opt, sched, gen: torch.Generator) -> None:
    with torch.no_grad():
        for k, v in params.items():
            v.copy_(state["params"][k])
    opt.load_state_dict(state["optimizer"])
    if sched is not None:
        sched.load_state_dict(state["schedule"])
    gen.set_state(state["generator"])


def check_finite(params: Params, key: str, k: int) -> None:
    # one reduction per update (a sum is non-finite iff some element is, barring overflow, which
    # is a blow-up too); the per-parameter search runs only once something is wrong
    if torch.isfinite(torch.stack([p.detach().sum() for p in params.values()])).all():
        return
    for name, p in params.items():
        if not torch.isfinite(p).all():
            raise NumericalError(
                f"{key}: parameter {name} became NaN or infinite at update {k + 1}; lower the "
                "learning rate or clip the gradient (clip=...); the last good checkpoint is kept"
            )
