"""The gradient of the mollified loss (f * phi_eps)(theta), by sampling or by quadrature.

    grad (f * phi_eps)(theta) = integral f(theta + u) (-grad phi_eps(u)) du
                              = E_{u ~ phi_eps}[f(theta + u) (-grad log phi_eps(u))].
With the compact bump (write-up 003) -grad log phi_eps(u) = (2/eps)(u/eps)/(1 - |u/eps|^2)^2; with a
Gaussian kernel of std eps it is u / eps^2 (then this is Gaussian smoothing). Sampling uses
antithetic pairs (f(theta + u) - f(theta - u)) / 2, whose mean is the same since the score is
odd. Quadrature (the write-up's "integration approach") works when the perturbed subspace has one
or two dimensions: Gauss-Legendre nodes on the bump's support, Gauss-Hermite for the Gaussian;
in 2-D the kernel is the product of two 1-D bumps (also a mollifier, supported on a square).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from roughgrad._types import Params
from roughgrad.estimators._kernels import bump_normaliser, bump_profile, bump_score, sample_bump
from roughgrad.estimators._perturb import numel, unflatten
from roughgrad.estimators.base import Estimate, Estimator
from roughgrad.objectives.base import Objective


@dataclass(frozen=True)
class Mollified(Estimator):
    """Gradient of f convolved with a bump (or Gaussian) of width eps in parameter space.

    Args:
        sigma: eps, the bump's radius (or the Gaussian's std).
        kernel: "bump" or "gaussian".
        mode: "sample" (Monte Carlo, num_samples evaluations) or "quadrature" (only when the
            parameters have 1 or 2 entries in total; quad_points per dimension).
    """

    sigma: float = 0.05
    kernel: Literal["bump", "gaussian"] = "bump"
    mode: Literal["sample", "quadrature"] = "sample"
    num_samples: int = 100
    quad_points: int = 64
    chunk_size: int | None = 1024

    def __post_init__(self) -> None:
        if self.sigma <= 0 or self.num_samples < 2 or self.quad_points < 2:
            raise ValueError("Mollified needs sigma > 0, num_samples >= 2, quad_points >= 2")

    def _estimate(
        self, objective: Objective, params: Params, generator: torch.Generator
    ) -> Estimate:
        if self.mode == "quadrature":
            return self._quadrature(objective, params)
        ref = next(iter(params.values()))
        d, half = numel(params), self.num_samples // 2
        if self.kernel == "bump":
            u = sample_bump(half, d, self.sigma, generator, ref.dtype, ref.device)
            score = bump_score(u, self.sigma)
        else:
            u = self.sigma * torch.randn(
                half, d, generator=generator, dtype=ref.dtype, device=ref.device
            )
            score = u / self.sigma**2
        both = unflatten(torch.cat([u, -u]), params)
        f = objective.population(params, both, chunk_size=self.chunk_size)
        grad = ((f[:half] - f[half:]) / 2) @ score / half
        return Estimate(unflatten(grad, params), num_evals=2 * half)

    def _quadrature(self, objective: Objective, params: Params) -> Estimate:
        d = numel(params)
        if d > 2:
            raise ValueError(
                f"quadrature needs 1 or 2 parameters in total, got {d}; use mode='sample'"
            )
        nodes, weights = self._rule()  # (Q,), (Q,) on the unit scale
        ref = next(iter(params.values()))
        if d == 1:
            t = torch.as_tensor(nodes, dtype=ref.dtype)[:, None]  # (Q, 1)
            w = torch.as_tensor(weights, dtype=ref.dtype)
        else:
            tx, ty = np.meshgrid(nodes, nodes, indexing="ij")
            t = torch.as_tensor(np.stack([tx.ravel(), ty.ravel()], 1), dtype=ref.dtype)
            w = torch.as_tensor(np.outer(weights, weights).ravel(), dtype=ref.dtype)
        t = t.to(ref.device)
        # d/dtheta of integral f(theta + eps t) phi(t) dt = integral f(theta + eps t) score(t) / eps
        score = self._unit_score(t) / self.sigma  # (Q, d)
        f = objective.population(
            params, unflatten(self.sigma * t, params), chunk_size=self.chunk_size
        )
        grad = (w.to(ref.device) * f) @ score
        return Estimate(unflatten(grad, params), num_evals=len(f))

    def _rule(self) -> tuple[np.ndarray, np.ndarray]:
        """Nodes and weights that integrate g(t) phi(t) dt per dimension (phi folded in)."""
        q = self.quad_points
        if self.kernel == "gaussian":
            # scipy's rule stays finite at any q (numpy's hermegauss overflows from q ~ 400)
            from scipy.special import roots_hermitenorm

            x, w = roots_hermitenorm(q)  # weight exp(-t^2 / 2)
            w = w / np.sqrt(2 * np.pi)
        else:
            x, w = np.polynomial.legendre.leggauss(q)
            w = w * bump_profile(x) * bump_normaliser(1)
        if not (np.isfinite(x).all() and np.isfinite(w).all()):
            raise ValueError(
                f"quad_points={q}: the quadrature rule is not finite; use fewer points"
            )
        return x, w

    def _unit_score(self, t: torch.Tensor) -> torch.Tensor:
        """-grad log phi(t) per row for the unit kernel (product form in 2-D)."""
        if self.kernel == "gaussian":
            return t
        return 2.0 * t / (1.0 - t * t).clamp_min(1e-12) ** 2
