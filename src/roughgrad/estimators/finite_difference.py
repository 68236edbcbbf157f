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
    random: g = mean_k [(f(theta + h u_k) - f(theta - h u_k)) / 2h] u_k, u_k ~ N(0, I), over
    K = num_samples // 2 directions; unbiased up to O(h^2) since E[u u^T] = I; cost 2K.

    Args:
        sigma: the step h (units of the parameters); the name every estimator uses for its
            perturbation size.
        mode: "coordinate" or "random".
        num_samples: mode="random": the evaluation budget, num_samples // 2 directions (at
            least one), each evaluated at +-h.
        chunk_size: population members evaluated per vmap call.
    """

    sigma: float = 1e-4
    mode: Literal["coordinate", "random"] = "coordinate"
    num_samples: int = 200
    chunk_size: int | None = 1024

    def __post_init__(self) -> None:
        if self.sigma <= 0 or self.num_samples < 1:
            raise ValueError("FiniteDifference needs sigma > 0 and num_samples >= 1")

    def _estimate(
        self, objective: Objective, params: Params, generator: torch.Generator
    ) -> Estimate:
        d = numel(params)
        if self.mode == "random":
            pairs = max(1, self.num_samples // 2)
            u = flatten(normal_like(params, pairs, generator))  # (K, D)
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
            both = torch.cat([dirs, -dirs]) * self.sigma  # (2b, D)
            f = objective.population(params, unflatten(both, params), chunk_size=self.chunk_size)
            slope = (f[: len(dirs)] - f[len(dirs) :]) / (2 * self.sigma)  # (b,)
            if u is None:
                grad[idx] = slope
            else:
                grad += slope @ dirs / n
        return Estimate(unflatten(grad, params), num_evals=2 * n)
