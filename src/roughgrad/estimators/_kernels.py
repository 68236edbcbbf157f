"""Mollifier kernels: the normalised bump and the Gaussian, for densities and sampling.

The bump (write-up 003, "Mollification"): phi(x) = k_n exp(1 / (|x|^2 - 1)) for |x| < 1, else 0,
with k_n making its integral 1 over R^n; phi_eps(x) = phi(x / eps) / eps^n.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import integrate


def bump_profile(r: np.ndarray) -> np.ndarray:
    """exp(1 / (r^2 - 1)) for |r| < 1, 0 elsewhere (unnormalised), finite everywhere."""
    r = np.asarray(r, dtype=np.float64)
    inside = np.abs(r) < 1
    out = np.zeros_like(r)
    out[inside] = np.exp(1.0 / (r[inside] ** 2 - 1.0))
    return out


def bump_normaliser(dim: int) -> float:
    """k_n = 1 / integral of exp(1/(|x|^2 - 1)) over the unit ball in R^dim (dim >= 1)."""
    radial, _ = integrate.quad(
        lambda r: r ** (dim - 1) * math.exp(1.0 / (r * r - 1.0)), 0, 1, limit=200
    )
    sphere = 2 * math.pi ** (dim / 2) / math.gamma(dim / 2)  # surface area of S^(dim-1)
    return 1.0 / (sphere * radial)


def bump_density(x: np.ndarray, eps: float = 1.0) -> np.ndarray:
    """The normalised 1-D bump phi_eps(x) (integral 1)."""
    return bump_normaliser(1) * bump_profile(np.asarray(x) / eps) / eps


def sample_bump(
    size: int,
    dim: int,
    eps: float,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float64,
    device=None,
) -> torch.Tensor:
    """(size, dim) samples from phi_eps in R^dim: uniform direction, radius by inverse CDF.

    The radial density is proportional to r^(dim-1) exp(1/(r^2 - 1)) on [0, 1); it is
    tabulated in log space on a fine grid and inverted by interpolation.
    """
    grid = np.linspace(0, 1, 20_001)[1:-1]
    logp = (dim - 1) * np.log(grid) + 1.0 / (grid**2 - 1.0)
    p = np.exp(logp - logp.max())
    cdf = np.concatenate([[0.0], np.cumsum((p[1:] + p[:-1]) / 2)])
    cdf /= cdf[-1]
    u = torch.rand(size, generator=generator, dtype=torch.float64, device=device).cpu().numpy()
    radius = torch.as_tensor(np.interp(u, cdf, grid), dtype=dtype, device=device)
    direction = torch.randn(size, dim, generator=generator, dtype=dtype, device=device)
    direction = direction / direction.norm(dim=1, keepdim=True)
    return eps * radius[:, None] * direction


def bump_score(u: torch.Tensor, eps: float) -> torch.Tensor:
    """-grad_u log phi_eps(u) = (2 / eps) (u/eps) / (1 - |u/eps|^2)^2, rows of u (S, D)."""
    t = u / eps
    r2 = (t * t).sum(1, keepdim=True)
    return 2.0 * t / (eps * (1.0 - r2).clamp_min(1e-12) ** 2)
