"""Objectives: problems as pure functions of a parameter dict, with optional capabilities.

An estimator needs only ``objective(params) -> scalar`` and, for populations,
``objective.population(params, deltas) -> (S,)``. Node perturbation needs more: access to each
linear layer's inputs and a place to add noise to its outputs; objectives that offer it
subclass [`NodePerturbable`][roughgrad.objectives.base.NodePerturbable] (an estimator checks this
with isinstance, never hasattr). An objective over one batch of data that can be pointed at another
batch subclasses [`Batched`][roughgrad.objectives.base.Batched]; ``roughgrad.train.fit`` trains any
such objective on minibatches.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from typing import Self, final

import torch
from torch import Tensor

from roughgrad._types import Params


def detached_params(model: torch.nn.Module) -> Params:
    """``{name: tensor}`` of a module's parameters, detached: the point theta of an objective."""
    return {k: v.detach() for k, v in model.named_parameters()}


def needs_grad(*tensors: Tensor) -> bool:
    """Whether autograd must see a computation on ``tensors`` (grad enabled and one of them
    requires grad): the fast forward-only paths step aside then."""
    return torch.is_grad_enabled() and any(t.requires_grad for t in tensors)


def unit_tensors(units: dict[str, tuple[int, Tensor, Tensor]]) -> list[Tensor]:
    """The index and value tensors of ``NodePerturbable.node_population_units``' units."""
    return [t for _, index, value in units.values() for t in (index, value)]


class Batched:
    """Capability: the loss of one batch ``(x, y)`` of a data set, re-pointable at another.

    ``with_batch(x, y)`` returns a copy on the new batch that shares the model, criterion and
    settings (nothing is rebuilt); the original is unchanged. Subclasses name the attributes
    that hold the batch in ``batch_fields`` and reset any per-batch cache in ``_new_batch``.
    """

    batch_fields: tuple[str, str] = ("x", "y")

    @final
    def with_batch(self, x: Tensor, y: Tensor) -> Self:
        new = copy.copy(self)
        setattr(new, self.batch_fields[0], x)
        setattr(new, self.batch_fields[1], y)
        new._new_batch()
        return new

    def _new_batch(self) -> None:
        """Drop caches that belong to the previous batch (none by default)."""


class Objective(ABC):
    """A scalar loss as a pure function of parameters."""

    @abstractmethod
    def __call__(self, params: Params) -> Tensor:
        """The loss at ``params`` (a 0-d tensor)."""

    def population(
        self, params: Params, deltas: Params, *, chunk_size: int | None = None
    ) -> Tensor:
        """Losses (S,) at params + deltas[s], where every delta has a leading dim S.

        Parameters missing from ``deltas`` are left unperturbed. The default evaluates the
        population in one ``torch.func.vmap`` call (chunked by ``chunk_size`` to bound memory),
        falling back to a Python loop for objectives that cannot be vmapped.
        """
        size = next(iter(deltas.values())).shape[0]

        def one(delta: Params) -> Tensor:
            return self({k: v + delta[k] if k in delta else v for k, v in params.items()})

        try:
            # randomness="error": noise belongs outside the population (see Stochastic), so
            # that members differ only by their deltas
            return torch.func.vmap(one, chunk_size=chunk_size, randomness="error")(deltas)
        except torch.OutOfMemoryError:
            raise  # a loop would not help; a smaller chunk_size would
        except (RuntimeError, NotImplementedError, ValueError) as err:
            if not _not_vmappable(err):
                raise
            # not vmappable (e.g. data-dependent Python control flow): one call per member
            return torch.stack([one({k: v[s] for k, v in deltas.items()}) for s in range(size)])


def _not_vmappable(err: Exception) -> bool:
    """Whether ``err`` says the function cannot run under vmap (rather than being a real
    failure such as a shape error in the objective, which must surface)."""
    text = str(err)
    return isinstance(err, NotImplementedError) or any(
        marker in text
        for marker in ("vmap", "Batching rule", "data-dependent", ".item()", "batched tensor")
    )


class Restricted(Objective):
    """``objective`` as a function of some parameters only, the others held at ``fixed``.

    Estimators perturb every parameter they are given; to estimate one layer's gradient (the
    seed's alternating layers), give them that layer's parameters and wrap the objective so
    that the rest keep their current values:

        >>> est(Restricted(obj, params), {"w2": params["w2"]}, generator=g)  # doctest: +SKIP
    """

    def __init__(self, objective: Objective, fixed: Params) -> None:
        self.objective, self.fixed = objective, fixed

    def __call__(self, params: Params) -> Tensor:
        return self.objective({**self.fixed, **params})

    def population(
        self, params: Params, deltas: Params, *, chunk_size: int | None = None
    ) -> Tensor:
        return self.objective.population({**self.fixed, **params}, deltas, chunk_size=chunk_size)


class NodePerturbable(ABC):
    """Capability: evaluate a population with noise added to each linear layer's outputs."""

    @abstractmethod
    def node_population(
        self, params: Params, noise: dict[str, Tensor]
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """Per-example losses (S, B) with ``noise[layer]`` (S, B, d_out) added to its outputs.

        Entry [s, b] is example b's contribution to member s's loss (summing over b gives the
        loss), so that each example's loss can be correlated with its own noise only. Also
        returns each linear layer's input (B, d_in) as seen by member 0 (callers make member 0
        the noise-free network).
        """

    @abstractmethod
    def node_layers(self) -> dict[str, tuple[str, str | None, int]]:
        """layer name -> (weight param name, bias param name or None, d_out)."""

    @abstractmethod
    def node_batch_size(self) -> int:
        """B, the number of examples whose outputs each get their own noise."""

    def node_population_units(
        self, params: Params, units: dict[str, tuple[int, Tensor, Tensor]], members: int
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """``node_population`` of ``members`` networks with noise on one unit each:
        ``units[layer] = (first, index, value)``, index and value (n, B), perturb networks
        first ... first + n - 1 of that layer, adding value[i, b] to unit index[i, b] of
        example b; every other network leaves the layer clean (keep network 0 clean).

        This default writes the noise out densely; objectives that can propagate a one-unit
        change more cheaply than a dense one override it
        ([`MLPObjective`][roughgrad.objectives.MLPObjective]).
        """
        sizes = {n: spec[2] for n, spec in self.node_layers().items()}
        noise = {}
        for name, (first, index, value) in units.items():
            dense = value.new_zeros(members, index.shape[1], sizes[name])
            block = dense[first : first + len(index)]
            block.scatter_(2, index[..., None], value[..., None])
            noise[name] = dense
        return self.node_population(params, noise)


class TwoLayerNodes(NodePerturbable):
    """Node perturbation for input -> hidden -> output networks (parameters w1, b1, w2, b2)
    with static noise on the hidden and output pre-activations; the output layer's input is
    the trial-mean hidden activity (a rate approximation for spiking networks).

    Subclasses set ``x`` (B, I), ``hidden`` and ``classes`` and implement ``readout`` and
    ``per_example``.
    """

    x: Tensor
    hidden: int
    classes: int

    @abstractmethod
    def readout(self, params: Params, noise: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        """Outputs (S, B, O) and trial-mean hidden activity (S, B, H) of S members."""

    @abstractmethod
    def per_example(self, o: Tensor) -> Tensor:
        """(S, B, O) outputs -> (S, B) per-example losses that sum to each member's loss."""

    def node_layers(self) -> dict[str, tuple[str, str | None, int]]:
        return {"hidden": ("w1", "b1", self.hidden), "out": ("w2", "b2", self.classes)}

    def node_batch_size(self) -> int:
        return int(self.x.shape[0])

    def node_population(
        self, params: Params, noise: dict[str, Tensor]
    ) -> tuple[Tensor, dict[str, Tensor]]:
        size = next(iter(noise.values())).shape[0]
        o, s_bar = self.readout({k: v.expand(size, *v.shape) for k, v in params.items()}, noise)
        return self.per_example(o), {"hidden": self.x, "out": s_bar[0]}


class Stochastic(Objective):
    """An objective with explicit noise: f(params; noise). ``__call__`` uses noise = None."""

    @abstractmethod
    def draw_noise(self, generator: torch.Generator) -> Tensor:
        """One noise draw (any shape the objective understands)."""

    @abstractmethod
    def evaluate(self, params: Params, noise: Tensor | None) -> Tensor:
        """The loss for one noise draw (None: the objective's noise-free or default case)."""

    def __call__(self, params: Params) -> Tensor:
        return self.evaluate(params, None)

    def evaluate_population(
        self, params: Params, deltas: Params, noise: Tensor | None, *, chunk_size: int | None = None
    ) -> Tensor:
        """Losses (S,) at params + deltas[s] for one noise draw; vmapped by default.

        Objectives that batch natively (e.g. a simulator with a batch dimension) override it.
        """

        def one(delta: Params) -> Tensor:
            return self.evaluate({k: v + delta[k] for k, v in params.items()}, noise)

        return torch.func.vmap(one, chunk_size=chunk_size)(deltas)
