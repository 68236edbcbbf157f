"""A classifier of discrete-time leaky integrate-and-fire neurons, as snnTorch builds one.

The network is [`roughgrad.neurons.layered.lif_forward`][roughgrad.neurons.layered.lif_forward]
(snnTorch's ``Leaky`` neurons, input -> hidden -> output, the output spike counts o); the loss is
snnTorch's ``mse_count_loss`` or ``ce_count_loss`` on the counts (``count_loss``). The counts are
piecewise constant in the weights: autodiff gives zero almost everywhere (snnTorch replaces
dS/dU by a surrogate), while the estimators here need no derivative at all.

As an estimator target it is an Objective whose ``population`` runs S perturbed networks as
one batched simulation, and NodePerturbable with static noise on z_h and z_o; for W2 the layer
input is the trial-mean hidden spike train (the rate approximation of the HH classifier).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
from torch import Tensor

from roughgrad._types import Params
from roughgrad.neurons.layered import LIFNet, lif_forward
from roughgrad.objectives.base import Batched, Objective, TwoLayerNodes

__all__ = ["LIFClassifier", "LIFNet", "count_loss", "lif_forward", "snntorch_init"]


def snntorch_init(
    inputs: int, hidden: int, classes: int, generator: torch.Generator
) -> dict[str, Tensor]:
    """nn.Linear's default init (uniform +-1/sqrt(fan_in)), the init snnTorch's layers get."""
    shapes = {"w1": ((hidden, inputs), inputs), "b1": ((hidden,), inputs)}
    shapes |= {"w2": ((classes, hidden), hidden), "b2": ((classes,), hidden)}
    return {
        k: (2 * torch.rand(shape, generator=generator) - 1) / fan_in**0.5
        for k, (shape, fan_in) in shapes.items()
    }


def count_loss(
    kind: Literal["mse_count", "ce_count"],
    net: LIFNet,
    correct: float = 0.8,
    incorrect: float = 0.2,
) -> Callable[[Tensor, Tensor], Tensor]:
    """(counts (B, O), labels (B,)) -> (B,) per-example losses, as snnTorch's functions:

    "mse_count" (``mse_count_loss(correct_rate, incorrect_rate)``): the mean over outputs of
    (count - target)^2 / T, the target int(T correct) spikes for the label and int(T incorrect)
    for the others, so a silent output layer is penalised; "ce_count" (``ce_count_loss``):
    cross-entropy on the counts, which is flat once every output is silent.
    """
    if kind == "ce_count":
        return lambda o, y: torch.nn.functional.cross_entropy(o, y, reduction="none")
    on, off = int(net.steps * correct), int(net.steps * incorrect)

    def mse(o: Tensor, y: Tensor) -> Tensor:
        target = torch.full_like(o, float(off)).scatter(-1, y[:, None], float(on))
        return (o - target).pow(2).mean(-1) / net.steps

    return mse


class LIFClassifier(Objective, TwoLayerNodes, Batched):
    """loss(params) = mean over the batch of criterion(spike counts, y); x (B, I), y (B,).

    criterion: (counts (B, O), y (B,)) -> (B,) per-example losses (default:
    ``count_loss("mse_count", net)``, snnTorch's ``mse_count_loss(0.8, 0.2)``).
    """

    def __init__(
        self,
        x: Tensor,
        y: Tensor,
        net: LIFNet | None = None,
        criterion: Callable[[Tensor, Tensor], Tensor] | None = None,
        *,
        hidden: int = 100,
        classes: int = 10,
    ) -> None:
        self.x, self.y, self.net = x, y, net or LIFNet()
        self.criterion = criterion or count_loss("mse_count", self.net)
        self.hidden, self.classes = hidden, classes

    def __call__(self, params: Params) -> Tensor:
        return self.criterion(lif_forward(params, self.x, self.net)[0], self.y).mean()

    def population(
        self, params: Params, deltas: Params, *, chunk_size: int | None = None
    ) -> Tensor:
        size = next(iter(deltas.values())).shape[0]
        sub = {
            k: v + deltas[k] if k in deltas else v.expand(size, *v.shape) for k, v in params.items()
        }
        return self.per_example(lif_forward(sub, self.x, self.net)[0]).sum(-1)

    def per_example(self, counts: Tensor) -> Tensor:
        """(S, B, O) counts -> (S, B) per-example losses that sum to each member's loss."""
        size, batch = counts.shape[:2]
        flat = self.criterion(counts.reshape(size * batch, -1), self.y.repeat(size))
        return flat.reshape(size, batch) / batch

    def readout(self, params: Params, noise: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        return lif_forward(params, self.x, self.net, noise)
