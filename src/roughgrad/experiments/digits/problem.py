"""The models of the digits experiments (write-up 003's layout input-H-10) and their losses."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor, nn

from roughgrad._types import Params
from roughgrad.data import one_hot
from roughgrad.objectives import MLPObjective, ModuleObjective
from roughgrad.objectives.base import Objective
from roughgrad.objectives.hh_classifier import HHClassifier, HHNet, hh_forward

MODULE_NAMES = {"w1": "l1.weight", "b1": "l1.bias", "w2": "l2.weight", "b2": "l2.bias"}


class TwoLayer(nn.Module):
    """input-H-10 with nn.Linear layers (node perturbation hooks them): linear or sigmoid."""

    def __init__(self, inputs: int, hidden: int, squash: bool) -> None:
        super().__init__()
        self.l1, self.l2 = nn.Linear(inputs, hidden), nn.Linear(hidden, 10)
        self.squash = squash

    def forward(self, x: Tensor) -> Tensor:
        z = self.l1(x)
        z = self.l2(torch.sigmoid(z) if self.squash else z)
        return torch.sigmoid(z) if self.squash else z


@dataclass(frozen=True)
class Problem:
    """A model family on inputs of size ``inputs``: objectives on batches, outputs, layers.

    Parameters are a dict named as the objective expects (``l1.weight``... for the linear
    classifier and the ANN, ``w1``... for the BNN); ``layers`` gives the (weight, bias)
    pairs, input layer first.
    """

    kind: Literal["linear", "ann", "bnn"]
    inputs: int
    hidden: int
    criterion: Callable[[Tensor, Tensor], Tensor]
    net: HHNet | None = None
    per_example: Callable[[Tensor, Tensor], Tensor] | None = None
    module: nn.Module = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "module", TwoLayer(self.inputs, self.hidden, self.kind == "ann"))

    def with_surrogate(self, width: float) -> Problem:
        """The same problem whose BNN backpropagates surrogate gradients (``HHNet.surrogate``)."""
        if self.kind != "bnn" or self.net is None:
            raise ValueError("autodiff_surrogate trains spiking (bnn) problems only")
        return dataclasses.replace(self, net=dataclasses.replace(self.net, surrogate=width))

    def names(self) -> dict[str, str]:
        return {k: k for k in MODULE_NAMES} if self.kind == "bnn" else MODULE_NAMES

    def init(self, generator: torch.Generator, device: torch.device) -> Params:
        """PyTorch's default Linear init (uniform +-1/sqrt(fan_in)) for both layers."""
        h, i = self.hidden, self.inputs
        shapes = {"w1": ((h, i), i), "b1": ((h,), i), "w2": ((10, h), h), "b2": ((10,), h)}
        out = {}
        for key, (shape, fan_in) in shapes.items():
            u = torch.rand(shape, generator=generator, device=device)
            out[self.names()[key]] = (2 * u - 1) / math.sqrt(fan_in)
        return out

    def objective(self, x: Tensor, y: Tensor) -> Objective:
        if self.kind == "bnn":
            assert self.net is not None
            return HHClassifier(x, y, self.net, self.criterion, hidden=self.hidden)
        if self.per_example is None:  # a criterion without a per-example form: generic path
            return ModuleObjective(self.module, self.criterion, x, y)
        n, width = self.names(), {"w1": self.hidden, "w2": 10}
        layers = [(n[w], n[b], width[w]) for w, b in (("w1", "b1"), ("w2", "b2"))]
        # the module's math as matrix products: populations without vmap, noise without hooks
        act = "sigmoid" if self.kind == "ann" else None
        return MLPObjective(x, y, layers, self.per_example, act)

    def outputs(self, params: Params, x: Tensor) -> Tensor:
        """(B, 10) outputs; chunks of 512 examples bound the BNN's memory."""
        if self.kind == "bnn":
            assert self.net is not None
            return torch.cat([hh_forward(params, c, self.net)[0] for c in x.split(512)])
        return torch.func.functional_call(self.module, params, (x,))

    def layers(self) -> list[tuple[str, str]]:
        n = self.names()
        return [(n["w1"], n["b1"]), (n["w2"], n["b2"])]


def make_problem(
    kind: Literal["linear", "ann", "bnn"],
    inputs: int,
    hidden: int,
    loss: str,
    gain: float,
    net: HHNet | None = None,
) -> Problem:
    """A Problem with the named loss (and its per-example form for node perturbation)."""
    return Problem(
        kind, inputs, hidden, criterion(loss, gain), net, per_example_criterion(loss, gain)
    )


def criterion(loss: str, gain: float) -> Callable[[Tensor, Tensor], Tensor]:
    """(outputs (B, 10), labels (B,)) -> mean loss: MSE to one-hot, or CE on gain * outputs."""
    per_example = per_example_criterion(loss, gain)
    return lambda o, y: per_example(o, y).mean()


def per_example_criterion(loss: str, gain: float) -> Callable[[Tensor, Tensor], Tensor]:
    """(outputs (N, 10), labels (N,)) -> (N,) per-example losses (their mean: ``criterion``)."""
    if loss == "mse":
        return lambda o, y: (o - one_hot(y, 10, o.dtype)).pow(2).mean(-1)
    return lambda o, y: nn.functional.cross_entropy(gain * o, y, reduction="none")
