"""Random directions in parameter space, filter-normalised as in Li et al. 2018.

"Visualizing the Loss Landscape of Neural Nets" (Li, Xu, Taylor, Studer & Goldstein 2018):
a Gaussian direction d is rescaled filter by filter, d_i <- d_i ||theta_i|| / ||d_i||, where a
filter is one row of a weight matrix (one output unit; for a conv weight, one output channel).
That removes the scale invariance that makes unnormalised slices misleading.
"""

from __future__ import annotations

from typing import Literal

import torch

from roughgrad._types import Params


def random_direction(
    params: Params,
    *,
    normalize: Literal["filter", "layer", "none"] = "filter",
    biases: Literal["zero", "keep"] = "zero",
    generator: torch.Generator,
) -> Params:
    """A Gaussian direction shaped like ``params``, normalised per filter, per layer or not.

    Args:
        params: the point theta (name -> tensor).
        normalize: "filter": each row (first-axis slice) gets the norm of theta's matching
            row; "layer": each tensor gets the norm of theta's tensor; "none": raw N(0, 1).
        biases: 1-D tensors (biases, norms' gains) are set to zero ("zero", as Li et al.) or
            normalised like the rest ("keep": per tensor).
        generator: the randomness.

    Returns:
        name -> tensor, same shapes as ``params``.
    """
    if normalize not in ("filter", "layer", "none"):
        raise ValueError(f"normalize must be 'filter', 'layer' or 'none', got {normalize!r}")
    if biases not in ("zero", "keep"):
        raise ValueError(f"biases must be 'zero' or 'keep', got {biases!r}")
    out = {}
    for name, p in params.items():
        p = p.detach()
        d = torch.randn(p.shape, generator=generator, dtype=p.dtype, device=p.device)
        if p.dim() <= 1 and biases == "zero":
            out[name] = torch.zeros_like(p)
        elif normalize == "none":
            out[name] = d
        elif normalize == "layer" or p.dim() <= 1:
            out[name] = d * p.norm() / d.norm().clamp_min(1e-12)
        else:
            rows_d = d.reshape(p.shape[0], -1)
            rows_p = p.reshape(p.shape[0], -1)
            scale = rows_p.norm(dim=1, keepdim=True) / rows_d.norm(dim=1, keepdim=True).clamp_min(
                1e-12
            )
            out[name] = (rows_d * scale).reshape(p.shape)
    return out


def uniform_direction(params: Params, value: float = 1.0) -> Params:
    """Every parameter shifted by the same amount (the write-up's "vary all weights uniformly")."""
    return {k: torch.full_like(v.detach(), value) for k, v in params.items()}
