"""Backpropagation: the reference every other estimator is measured against."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from roughgrad._types import Params
from roughgrad.estimators.base import Estimate, Estimator
from roughgrad.objectives.base import Objective


@dataclass(frozen=True)
class Autodiff(Estimator):
    """The exact gradient by reverse-mode autodiff (torch.func.grad); 1 forward, 1 backward."""

    def _estimate(
        self, objective: Objective, params: Params, generator: torch.Generator
    ) -> Estimate:
        with torch.enable_grad():
            grad, loss = torch.func.grad_and_value(objective)(params)
        return Estimate(
            {k: g.detach() for k, g in grad.items()}, num_evals=1, num_grads=1, loss=float(loss)
        )
