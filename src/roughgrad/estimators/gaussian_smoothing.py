"""Gaussian smoothing by the score-function (log-likelihood) trick, write-up 003's main method.

The smoothed loss L_sigma(theta) = E[f(theta + sigma eps)], eps ~ N(0, I), has the gradient
    grad L_sigma(theta) = E[f(theta + sigma eps) eps] / sigma           (Leibniz + log trick),
which needs no backpropagation. Variance reductions, each optional:
  * a baseline: E[(f(theta + sigma eps) - f(theta)) eps] / sigma (same mean, since E eps = 0);
  * antithetic pairs: E[(f(theta + sigma eps) - f(theta - sigma eps)) eps] / (2 sigma);
  * rank-based fitness shaping (Wierstra et al. 2014): f replaced by centred ranks in
    [-1/2, 1/2]. This returns a descent *direction*, scaled to the raw estimate's norm.
References: Williams 1992 (REINFORCE); Salimans et al. 2017 (evolution strategies); Nesterov &
Spokoiny 2017 (Gaussian smoothing).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from roughgrad._types import Params
from roughgrad.estimators._perturb import antithetic, flatten, normal_like, unflatten
from roughgrad.estimators.base import Estimate, Estimator
from roughgrad.objectives.base import Objective


@dataclass(frozen=True)
class GaussianSmoothing(Estimator):
    """Score-function estimate of grad E[f(theta + sigma eps)].

    Args:
        sigma: smoothing width (parameter units).
        num_samples: S forward evaluations (S/2 antithetic pairs; + 1 for a baseline when not
            antithetic).
        antithetic: a variance reduction (see the module docstring).
        baseline: a variance reduction (see the module docstring).
        rank_shaping: a variance reduction (see the module docstring).
        chunk_size: members per vmap call.
    """

    sigma: float = 0.01
    num_samples: int = 100
    antithetic: bool = True
    baseline: bool = True
    rank_shaping: bool = False
    chunk_size: int | None = 1024

    def __post_init__(self) -> None:
        if self.sigma <= 0 or self.num_samples < 2:
            raise ValueError("GaussianSmoothing needs sigma > 0 and num_samples >= 2")

    def _estimate(
        self, objective: Objective, params: Params, generator: torch.Generator
    ) -> Estimate:
        half = self.num_samples // 2 if self.antithetic else self.num_samples
        eps = normal_like(params, half, generator)
        deltas = antithetic(eps) if self.antithetic else eps
        f = objective.population(
            params, {k: self.sigma * v for k, v in deltas.items()}, chunk_size=self.chunk_size
        )  # (S,)
        evals = len(f)
        if self.rank_shaping:
            f = _centred_ranks(f)
        if self.antithetic:
            weights = (f[:half] - f[half:]) / 2  # (S/2,)
        elif self.baseline:
            base = objective(params)
            evals += 1
            weights = f - (0.0 if self.rank_shaping else base)
        else:
            weights = f
        grad = weights @ flatten(eps) / (half * self.sigma)  # (D,)
        return Estimate(unflatten(grad, params), num_evals=evals)


def _centred_ranks(f: torch.Tensor) -> torch.Tensor:
    ranks = torch.empty_like(f)
    ranks[f.argsort()] = torch.arange(len(f), dtype=f.dtype, device=f.device)
    return ranks / (len(f) - 1) - 0.5
