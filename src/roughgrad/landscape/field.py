"""Gradient fields along a line: where does an estimator's gradient point at the minimum?"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import ArrayLike

from roughgrad._types import Params
from roughgrad.estimators.base import Estimator
from roughgrad.objectives.base import Objective


def gradient_field(
    objective: Objective,
    params: Params,
    direction: Params,
    alphas: ArrayLike,
    estimator: Estimator,
    *,
    generator: torch.Generator,
    repeats: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Directional derivative <g(theta + alpha d), d> of an estimator's gradient, per alpha.

    Write-up 000's dL/df scan generalised: for each alpha the estimator is called at
    theta + alpha d (its own population is one batched call), and its gradient is projected on
    d. ``repeats`` independent estimates give a mean and a std per point.

    Returns:
        (mean, std), each (K,).
    """
    steps = np.asarray(alphas, dtype=float).reshape(-1)
    out = np.zeros((repeats, len(steps)))
    d_flat = torch.cat([direction[k].reshape(-1) for k in params])
    for i, alpha in enumerate(steps):  # one estimate per point; each is itself vectorised
        point = {k: v.detach() + float(alpha) * direction[k] for k, v in params.items()}
        for r in range(repeats):
            g = estimator(objective, point, generator=generator).grad
            out[r, i] = float(torch.cat([g[k].reshape(-1) for k in params]) @ d_flat)
    return out.mean(0), out.std(0)
