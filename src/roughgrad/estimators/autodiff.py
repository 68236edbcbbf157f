"""Backpropagation: the reference every other estimator is measured against."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from roughgrad._types import Params
from roughgrad.estimators.base import Estimate, Estimator
from roughgrad.objectives.base import Objective


@dataclass(frozen=True)
class Autodiff(Estimator):
    """The exact gradient by reverse-mode autodiff; 1 forward, 1 backward.

    Plain ``torch.autograd`` (not ``torch.func``), so objectives that run ``torch.compile``'d
    code differentiate too; a parameter the loss does not depend on (through a differentiable
    path) gets a zero gradient.
    """

    def _estimate(
        self, objective: Objective, params: Params, generator: torch.Generator
    ) -> Estimate:
        with torch.enable_grad():
            leaves = {k: v.detach().requires_grad_() for k, v in params.items()}
            loss = objective(leaves)
            grads = (  # a loss with no path to the parameters (spike counts) has slope 0
                torch.autograd.grad(loss, list(leaves.values()), allow_unused=True)
                if loss.requires_grad
                else [None] * len(leaves)
            )
        grad = {
            k: torch.zeros_like(v) if g is None else g.detach()
            for (k, v), g in zip(params.items(), grads, strict=True)
        }
        return Estimate(grad, num_evals=1, num_grads=1, loss=float(loss))
