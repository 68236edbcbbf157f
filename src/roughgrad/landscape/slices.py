"""Losses along a line and over a plane through theta, evaluated as one batched population.

A deterministic objective is evaluated once per point. A stochastic objective (one that
subclasses [`Stochastic`][roughgrad.objectives.base.Stochastic]) is averaged over ``trials``
independent noise draws per point (the write-up's N_trials), and the spread across trials is
reported too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike

from roughgrad._types import Params
from roughgrad.objectives.base import Objective, Stochastic


@dataclass(frozen=True)
class Slice:
    """Sampled losses: ``mean`` and ``std`` over trials, shaped like the grid (K,) or (K, L)."""

    coords: tuple[np.ndarray, ...]
    mean: np.ndarray
    std: np.ndarray
    trials: int


def _population(
    objective: Objective,
    params: Params,
    deltas: Params,
    trials: int,
    generator: torch.Generator | None,
    chunk_size: int | None,
) -> np.ndarray:
    """(trials, P) losses at params + deltas[p]."""
    if trials == 1 and not isinstance(objective, Stochastic):
        return objective.population(params, deltas, chunk_size=chunk_size)[None].cpu().numpy()
    if not isinstance(objective, Stochastic):
        raise TypeError(f"trials > 1 needs a Stochastic objective, got {type(objective).__name__}")
    if generator is None:
        raise TypeError("a stochastic objective needs generator=torch.Generator(...)")
    rows = [  # one noise draw per trial, shared by every point of the slice
        objective.evaluate_population(
            params, deltas, objective.draw_noise(generator), chunk_size=chunk_size
        )
        for _ in range(trials)
    ]
    return torch.stack(rows).cpu().numpy()


def loss_line(
    objective: Objective,
    params: Params,
    direction: Params,
    alphas: ArrayLike,
    *,
    trials: int = 1,
    generator: torch.Generator | None = None,
    chunk_size: int | None = 1024,
) -> Slice:
    """L(theta + alpha d) for each alpha, averaged over ``trials`` noise draws.

    Args:
        objective: the problem.
        params: the point theta.
        direction: d, shaped like params (e.g. from random_direction).
        alphas: (K,) step sizes along d.

    Returns:
        A Slice with mean and std of shape (K,).
    """
    alphas_t = torch.as_tensor(np.asarray(alphas), dtype=next(iter(params.values())).dtype)
    deltas = {
        k: alphas_t.reshape(-1, *([1] * v.dim())).to(v.device) * direction[k]
        for k, v in params.items()
    }
    losses = _population(objective, params, deltas, trials, generator, chunk_size)
    return Slice((np.asarray(alphas),), losses.mean(0), losses.std(0), trials)


def loss_plane(
    objective: Objective,
    params: Params,
    d1: Params,
    d2: Params,
    alphas: ArrayLike,
    betas: ArrayLike,
    *,
    trials: int = 1,
    generator: torch.Generator | None = None,
    chunk_size: int | None = 1024,
) -> Slice:
    """L(theta + alpha d1 + beta d2) on the grid alphas x betas: mean and std of shape (K, L)."""
    a = np.asarray(alphas)
    b = np.asarray(betas)
    ga, gb = np.meshgrid(a, b, indexing="ij")
    dtype = next(iter(params.values())).dtype
    ta = torch.as_tensor(ga.ravel(), dtype=dtype)
    tb = torch.as_tensor(gb.ravel(), dtype=dtype)
    deltas = {}
    for k, v in params.items():
        shape = (-1, *([1] * v.dim()))
        deltas[k] = ta.reshape(shape).to(v.device) * d1[k] + tb.reshape(shape).to(v.device) * d2[k]
    losses = _population(objective, params, deltas, trials, generator, chunk_size)
    return Slice((a, b), losses.mean(0).reshape(ga.shape), losses.std(0).reshape(ga.shape), trials)
