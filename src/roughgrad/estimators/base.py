"""The estimator interface: one final entry point, one abstract method, cost reported.

An estimator is a frozen dataclass of hyperparameters (no state between calls) called as
``est(objective, params, *, generator) -> Estimate``. ``params`` is a dict of tensors (e.g.
``dict(model.named_parameters())``); the estimate's ``grad`` has the same keys and shapes.
Every comparison in roughgrad is accuracy against cost, so an Estimate carries its cost:
``num_evals`` forward evaluations (one network on one batch) and ``num_grads`` backward passes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, final

import torch
from torch import Tensor, nn

from roughgrad._types import Params
from roughgrad.objectives.base import Objective


@dataclass(frozen=True)
class Estimate:
    """A gradient estimate and what it cost."""

    grad: Params
    num_evals: int
    num_grads: int = 0
    loss: float | None = None  # the unperturbed loss, when the estimator computed it


class Estimator(ABC):
    """Abstract base; subclasses are frozen dataclasses implementing ``_estimate``."""

    requires: ClassVar[type] = Objective  # a capability ABC the objective must subclass

    @final
    def __call__(
        self, objective: Objective, params: Params, *, generator: torch.Generator
    ) -> Estimate:
        if not isinstance(objective, self.requires):
            raise TypeError(
                f"{type(self).__name__} needs an objective implementing "
                f"{self.requires.__name__}; got {type(objective).__name__}"
            )
        if not isinstance(generator, torch.Generator):
            raise TypeError("pass randomness explicitly: generator=torch.Generator(...)")
        detached = {k: v.detach() for k, v in params.items()}
        with torch.no_grad():
            return self._estimate(objective, detached, generator)

    @abstractmethod
    def _estimate(
        self, objective: Objective, params: Params, generator: torch.Generator
    ) -> Estimate:
        """Compute the estimate (called under torch.no_grad with detached params)."""


def set_grads(model: nn.Module, estimate: Estimate) -> None:
    """Write ``estimate.grad`` into the ``.grad`` fields of ``model``'s parameters.

    Any ``torch.optim`` optimizer then steps with the estimate unchanged. Parameters the
    estimate does not cover get a zero gradient.
    """
    for name, p in model.named_parameters():
        g = estimate.grad.get(name)
        p.grad = torch.zeros_like(p) if g is None else g.detach().to(p.dtype).clone()


def cosine(a: Params, b: Params) -> float:
    """Cosine similarity of two gradient dicts over their shared keys, flattened together."""
    keys = sorted(set(a) & set(b))
    va = torch.cat([a[k].reshape(-1) for k in keys]).double()
    vb = torch.cat([b[k].reshape(-1) for k in keys]).double()
    return float(va @ vb / (va.norm() * vb.norm()).clamp_min(1e-300))


def relative_error(est: Params, true: Params) -> float:
    """||est - true|| / ||true|| over the shared keys."""
    keys = sorted(set(est) & set(true))
    ve = torch.cat([est[k].reshape(-1) for k in keys]).double()
    vt = torch.cat([true[k].reshape(-1) for k in keys]).double()
    return float((ve - vt).norm() / vt.norm().clamp_min(1e-300))


def zeros_like(params: Params) -> Params:
    return {k: torch.zeros_like(v) for k, v in params.items()}


def _flat(params: Params) -> Tensor:
    return torch.cat([v.reshape(-1) for v in params.values()])
