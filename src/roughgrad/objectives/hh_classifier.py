"""A classifier made of Hodgkin-Huxley neurons (write-up 003, "Real Application: MNIST", the BNN).

The network is [`roughgrad.neurons.layered.hh_forward`][roughgrad.neurons.layered.hh_forward] (input
-> hidden -> output HH neurons with the ANN's weights; see ``roughgrad.neurons.layered``); the loss
is ``criterion(o, labels)`` on its readout o, averaged over the batch. Everything is
differentiable (autodiff is backpropagation through time). Estimators see it as

* an Objective whose ``population`` runs S perturbed networks as one batched simulation (the
  parameters' leading dim is the population; no vmap, no Python loop over members). Members
  that perturb only w2 and b2 share the clean hidden layer and cost O neurons each;
* NodePerturbable: static noise on z_h and on z_o (one value per example and unit for the whole
  trial). For W1 this is exact (z_h is static); for W2 it uses the trial-mean trace s-bar as the
  layer input, i.e. dL/dW2 ~ (sum_t dL/dz_o(t)) s-bar^T: a rate approximation;
* RecurrentPerturbable: noise on z_h and z_o at every time step (node perturbation through time,
  unbiased for both layers but with T times more noise dimensions).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from roughgrad._types import Params
from roughgrad.neurons.layered import HHNet, hh_forward, hh_forward_units
from roughgrad.objectives.base import (
    Batched,
    Objective,
    TwoLayerNodes,
    needs_grad,
    unit_tensors,
)
from roughgrad.objectives.recurrent import RecurrentPerturbable

__all__ = ["HHClassifier", "HHNet", "hh_forward"]


class HHClassifier(Objective, TwoLayerNodes, RecurrentPerturbable, Batched):
    """loss(params) = criterion(o, y) for the readout o of
    [`hh_forward`][roughgrad.neurons.layered.hh.hh_forward] on one batch.

    Args:
        x: (B, I) inputs in [0, 1]; y: (B,) int64 labels; net: the simulation settings;
        criterion: (o (B, O), y (B,)) -> scalar mean over the batch (vmappable);
        hidden: H (for node perturbation's layer table).
        classes: O (for node perturbation's layer table).
    Parameters: w1 (H, I), b1 (H,), w2 (O, H), b2 (O,).
    """

    def __init__(
        self,
        x: Tensor,
        y: Tensor,
        net: HHNet,
        criterion: Callable[[Tensor, Tensor], Tensor],
        *,
        hidden: int = 100,
        classes: int = 10,
    ) -> None:
        self.x, self.y, self.net, self.criterion = x, y, net, criterion
        self.hidden, self.classes = hidden, classes

    def __call__(self, params: Params) -> Tensor:
        return self.criterion(hh_forward(params, self.x, self.net)[0], self.y)

    def population(
        self, params: Params, deltas: Params, *, chunk_size: int | None = None
    ) -> Tensor:
        size = next(iter(deltas.values())).shape[0]
        hh = not self.net.generic  # the one-unit path simulates HH current networks only
        if (
            hh
            and set(deltas) <= {"w2", "b2"}
            and not needs_grad(*params.values(), *deltas.values())
        ):
            return self._output_population(params, deltas, size)
        chunk = chunk_size or size
        losses = []
        for start in range(0, size, chunk):  # chunks bound memory; members are a tensor dim
            n = min(chunk, size - start)
            sub = {
                k: (v + deltas[k][start : start + n]) if k in deltas else v.expand(n, *v.shape)
                for k, v in params.items()
            }
            o = hh_forward(sub, self.x, self.net)[0]  # (n, B, O)
            losses.append(self.per_example(o).sum(-1))
        return torch.cat(losses)

    def _output_population(self, params: Params, deltas: Params, size: int) -> Tensor:
        """Members that perturb only the output layer share the hidden layer: each is
        simulated as its O outputs on the clean hidden trace (``hh_forward_units``), O
        neurons per network instead of H + O."""
        sub = dict(params)
        for key in ("w2", "b2"):
            base = params[key].expand(size, *params[key].shape)
            sub[key] = base + deltas[key] if key in deltas else base
        o, _ = hh_forward_units(sub, self.x, self.net, {}, size)
        return self.per_example(o).sum(-1)

    def per_example(self, o: Tensor) -> Tensor:
        """(S, B, O) readouts -> (S, B) per-example losses that sum to each member's loss."""
        batch = self.y.shape[0]

        def one(oe: Tensor, ye: Tensor) -> Tensor:
            return self.criterion(oe[None], ye[None]) / batch

        return torch.func.vmap(torch.func.vmap(one), in_dims=(0, None))(o, self.y)

    # TwoLayerNodes: static noise on z_h and z_o (W2 via the trial-mean trace)
    def readout(self, params: Params, noise: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        o, s_bar, _ = hh_forward(params, self.x, self.net, noise)
        return o, s_bar

    def node_population_units(
        self, params: Params, units: dict[str, tuple[int, Tensor, Tensor]], members: int
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """One-unit noise, each network simulated as its perturbed neuron and the outputs
        (``hh_forward_units``); autograd and other neuron models fall back to the dense path."""
        if self.net.generic or needs_grad(*params.values(), *unit_tensors(units)):
            return super().node_population_units(params, units, members)
        o, s_bar = hh_forward_units(params, self.x, self.net, units, members)
        return self.per_example(o), {"hidden": self.x, "out": s_bar}

    # RecurrentPerturbable: noise at every step (free-running members)
    def batch_steps(self) -> tuple[int, int]:
        return int(self.x.shape[0]), self.net.steps

    def node_weights(self) -> dict[str, tuple[tuple[str, str], ...]]:
        return {"hidden": (("w1", "x"),), "out": (("w2", "s"),)}

    def node_bias(self) -> dict[str, str]:
        return {"hidden": "b1", "out": "b2"}

    def perturbed_losses(
        self, params: Params, noise: dict[str, Tensor], *, reset: bool
    ) -> tuple[Tensor, dict[str, Tensor]]:
        if reset:
            raise ValueError("HHClassifier supports node_perturbation_time with mode='free' only")
        size = next(iter(noise.values())).shape[0]
        lead = {k: v.expand(size, *v.shape) for k, v in params.items()}
        o, _, s_seq = hh_forward(lead, self.x, self.net, noise, record=True)
        assert s_seq is not None  # record=True
        inputs = {"x": self.x.expand(self.net.steps, *self.x.shape), "s": s_seq}
        return self.per_example(o), inputs
