"""A classifier of discrete-time leaky integrate-and-fire neurons, as snnTorch builds one.

The layout input -> hidden -> output with snnTorch's ``Leaky`` neuron (reset by subtraction,
the reset taken from the previous step's spike), driven by the static input current every step:

    z_h            = x W1^T + b1                         (B, H), every step ("direct" coding)
    U_h(t)         = beta U_h(t-1) + z_h - theta S_h(t-1),   S_h(t) = [U_h(t) > theta]
    z_o(t)         = S_h(t) W2^T + b2
    U_o(t)         = beta U_o(t-1) + z_o(t) - theta S_o(t-1), S_o(t) = [U_o(t) > theta]
    o              = sum_t S_o(t)                        output spike counts (B, O)

and the loss is snnTorch's ``mse_count_loss`` or ``ce_count_loss`` on the counts (``count_loss``).
The counts are piecewise constant in the weights: autodiff gives zero almost everywhere (snnTorch
replaces dS/dU by a surrogate), while the estimators here need no derivative at all.

As an estimator target it is an Objective whose ``population`` runs S perturbed networks as
one batched simulation, and NodePerturbable with static noise on z_h and z_o; for W2 the layer
input is the trial-mean hidden spike train (the rate approximation of the HH classifier).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from roughgrad._types import Params
from roughgrad.neurons.fused import lif_fused
from roughgrad.objectives.base import Batched, Objective, TwoLayerNodes


@dataclass(frozen=True)
class LIFNet:
    """steps per trial, membrane decay beta per step, threshold theta (snnTorch's defaults).

    backend: "torch" (tensor ops, any device) or "fused" (one compiled C loop per trial on the
    CPU, event-driven hidden -> output coupling; forward only, as the spikes give autodiff
    nothing anyway; ~10x faster for populations: ``roughgrad.neurons.fused``).
    """

    steps: int = 25
    beta: float = 0.95
    threshold: float = 1.0
    backend: Literal["torch", "fused"] = "torch"


def lif_forward(
    params: Params, x: Tensor, net: LIFNet, noise: dict[str, Tensor] | None = None
) -> tuple[Tensor, Tensor]:
    """Output spike counts (*lead, B, O) and the trial-mean hidden spikes (*lead, B, H).

    params: w1 (*lead, H, I), b1 (*lead, H), w2 (*lead, O, H), b2 (*lead, O); x (B, I);
    noise["hidden"] / noise["out"] (*lead, B, d): static offsets of z_h / z_o.
    """
    noise = noise or {}
    w1, b1, w2, b2 = params["w1"], params["b1"], params["w2"], params["b2"]
    z_h = x @ w1.transpose(-1, -2) + b1[..., None, :]
    if "hidden" in noise:
        z_h = z_h + noise["hidden"]
    b_o = b2[..., None, :] + noise["out"] if "out" in noise else b2[..., None, :]
    if net.backend == "fused":
        lead = z_h.shape[:-2]
        batch, outputs = z_h.shape[-2], w2.shape[-2]
        members = int(torch.Size(lead).numel())
        counts, s_sum = lif_fused(
            z_h.reshape(members, batch, -1),
            b_o.expand(*lead, batch, outputs).reshape(members, batch, outputs),
            w2.expand(*lead, *w2.shape[-2:]).reshape(members, outputs, -1),
            net.steps, net.beta, net.threshold,
        )  # fmt: skip
        return counts.reshape(*lead, batch, outputs), s_sum.reshape(*lead, batch, -1) / net.steps
    w2t, theta, beta = w2.transpose(-1, -2), net.threshold, net.beta
    u_h, s_h = torch.zeros_like(z_h), torch.zeros_like(z_h)
    u_o = torch.zeros(*z_h.shape[:-1], w2.shape[-2], dtype=x.dtype, device=x.device)
    s_o, counts, s_sum = torch.zeros_like(u_o), torch.zeros_like(u_o), torch.zeros_like(z_h)
    for _ in range(net.steps):
        u_h = beta * u_h + z_h - theta * s_h
        s_h = (u_h > theta).to(x.dtype)
        u_o = beta * u_o + (s_h @ w2t + b_o) - theta * s_o
        s_o = (u_o > theta).to(x.dtype)
        counts = counts + s_o
        s_sum = s_sum + s_h
    return counts, s_sum / net.steps


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
        net: LIFNet = LIFNet(),
        criterion: Callable[[Tensor, Tensor], Tensor] | None = None,
        *,
        hidden: int = 100,
        classes: int = 10,
    ) -> None:
        self.x, self.y, self.net = x, y, net
        self.criterion = criterion or count_loss("mse_count", net)
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
