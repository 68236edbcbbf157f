"""Central finite differences, coordinate-wise or along random directions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from roughgrad._types import Params
from roughgrad.estimators._perturb import flatten, normal_like, numel, unflatten
from roughgrad.estimators.base import Estimate, Estimator
from roughgrad.objectives.base import Objective


@dataclass(frozen=True)
class FiniteDifference(Estimator):
    """(f(theta + h u) - f(theta - h u)) / 2h along coordinates or random directions.

    coordinate: g_i = (f(theta + h e_i) - f(theta - h e_i)) / 2h, error O(h^2), cost 2D.
    random: g = mean_s [(f(theta + h u_s) - f(theta - h u_s)) / 2h] u_s, u_s ~ N(0, I);
    unbiased up to O(h^2) since E[u u^T] = I; cost 2S.

    Args:
        h: step (units of the parameters).
        mode: "coordinate" or "random".
        num_directions: S for mode="random".
        chunk_size: population members evaluated per vmap call.
    """

    h: float = 1e-4
    mode: Literal["coordinate", "random"] = "coordinate"
    num_directions: int = 100
    chunk_size: int | None = 1024

    def __post_init__(self) -> None:
        if self.h <= 0 or self.num_directions < 1:
            raise ValueError("FiniteDifference needs h > 0 and num_directions >= 1")

    def _estimate(
        self, objective: Objective, params: Params, generator: torch.Generator
    ) -> Estimate:
        d = numel(params)
        if self.mode == "random":
            u = flatten(normal_like(params, self.num_directions, generator))  # (S, D)
        else:
            u = None
        n = d if u is None else u.shape[0]
        grad = next(iter(params.values())).new_zeros(d)
        block = self.chunk_size or n
        for start in range(0, n, block):  # blocks bound the (2 block, D) direction matrix
            if u is None:
                idx = torch.arange(start, min(start + block, n), device=grad.device)
                dirs = torch.zeros(len(idx), d, dtype=grad.dtype, device=grad.device)
                dirs[torch.arange(len(idx)), idx] = 1.0
            else:
                dirs = u[start : start + block]
            both = torch.cat([dirs, -dirs]) * self.h  # (2b, D)
            f = objective.population(params, unflatten(both, params), chunk_size=self.chunk_size)
            slope = (f[: len(dirs)] - f[len(dirs) :]) / (2 * self.h)  # (b,)
            if u is None:
                grad[idx] = slope
            else:
                grad += slope @ dirs / n
        return Estimate(unflatten(grad, params), num_evals=2 * n)
