"""The estimator interface: one final entry point, one abstract method, cost reported.

An estimator is a frozen dataclass of hyperparameters (no state between calls) called as
``est(objective, params, *, generator) -> Estimate``. ``params`` is a dict of tensors (e.g.
``dict(model.named_parameters())``); the estimate's ``grad`` has exactly the same keys, shapes
and dtypes (the entry point checks it). An estimator that cannot estimate some of the
parameters it is given raises a ``ValueError`` naming them; it never returns zeros for them.

Every comparison in roughgrad is accuracy against cost, so an Estimate carries its cost in one
unit, the same for every estimator and objective:

* ``num_evals``: network evaluations, in whole-network equivalents: one forward run of the
  (possibly perturbed) network over the objective's batch counts 1. Work is converted into it:
  S x T single steps of a T-step recurrent network from given states are S evaluations, and a
  member that an objective computes more cheaply (one perturbed unit propagated through the
  layers after it) still counts 1 -- the count of loss values the estimate used is what the
  estimators' variance depends on, and it is the unit every fidelity figure is plotted in.
* ``num_grads``: backward passes over the batch (reverse-mode autodiff).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, final

import torch
from torch import nn

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
            estimate = self._estimate(objective, detached, generator)
        _check_grad(type(self).__name__, estimate.grad, detached)
        return estimate

    @abstractmethod
    def _estimate(
        self, objective: Objective, params: Params, generator: torch.Generator
    ) -> Estimate:
        """Compute the estimate (called under torch.no_grad with detached params)."""


def _check_grad(who: str, grad: Params, params: Params) -> None:
    """The entry point's contract: one gradient per parameter, same shape and dtype."""
    missing, extra = sorted(set(params) - set(grad)), sorted(set(grad) - set(params))
    if missing or extra:
        raise RuntimeError(
            f"{who} returned gradients for the wrong parameters: "
            f"missing {missing or 'none'}, unexpected {extra or 'none'}"
        )
    for k, v in params.items():
        if grad[k].shape != v.shape or grad[k].dtype != v.dtype:
            raise RuntimeError(
                f"{who} returned {k} as {tuple(grad[k].shape)} {grad[k].dtype}; "
                f"the parameter is {tuple(v.shape)} {v.dtype}"
            )


def set_grads(model: nn.Module, estimate: Estimate) -> None:
    """Write ``estimate.grad`` into the ``.grad`` fields of ``model``'s parameters.

    Any ``torch.optim`` optimizer then steps with the estimate unchanged. A trainable
    parameter (``requires_grad``) that the estimate does not cover is an error: it would never
    train. Frozen parameters are left alone.
    """
    named = dict(model.named_parameters())
    uncovered = [n for n, p in named.items() if p.requires_grad and n not in estimate.grad]
    if uncovered:
        raise ValueError(
            f"the estimate has no gradient for trainable parameters {', '.join(uncovered)}; "
            "estimate them too, or freeze them with requires_grad_(False)"
        )
    for name, p in named.items():
        if name in estimate.grad:
            p.grad = estimate.grad[name].detach().to(p.dtype).clone()


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
