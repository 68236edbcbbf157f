"""The backend interface, and what every backend returns."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from roughgrad.neurons.backends.layered import LayeredRequest, LayeredResult
from roughgrad.neurons.hh import SimulationError
from roughgrad.neurons.models import HodgkinHuxley, NeuronModel
from roughgrad.neurons.network import Network

RECORDABLE = ("v", "spikes")


@dataclass
class SimState:
    """Where a simulation stopped: the neurons' (..., N, K) state and the synapses' state (a
    tuple of (..., N) tensors, as the network's synapse model keeps it). Pass it as ``state``
    to continue."""

    neurons: Tensor
    synapses: tuple[Tensor, ...] | None = None


@dataclass
class SimResult:
    """spike_counts (..., N); output_mean (..., N) = mean_t a(t) after the transient;
    v (T, ..., N) and spikes (T, ..., N) bool when recorded; state: where it stopped."""

    spike_counts: Tensor
    output_mean: Tensor
    v: Tensor | None = None
    spikes: Tensor | None = None
    state: SimState | None = None

    def rates_hz(self, duration_ms: float) -> Tensor:
        return self.spike_counts / (duration_ms / 1000.0)


@dataclass(frozen=True)
class Request:
    """One simulation, validated by ``simulate``: what a backend's ``run`` receives."""

    model: NeuronModel
    network: Network
    inputs: Tensor  # (..., N) static input current, uA/cm^2
    steps: int
    dt: float
    record: tuple[str, ...] = ()
    transient: int = 0
    generator: torch.Generator | None = None
    state: SimState | None = None


class Backend(ABC):
    """A way of running simulations: ``supports`` says whether it runs one (and why not),
    ``run`` runs it. A new backend is one class in this package and one registry line."""

    name: ClassVar[str]
    summary: ClassVar[str]
    differentiable: ClassVar[bool]
    # the layered classifiers (roughgrad.neurons.layered) this backend runs, by model key
    layered: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def supports(self, request: Request) -> str | None:
        """None if this backend runs ``request``, else the reason it does not (one clause)."""

    @abstractmethod
    def run(self, request: Request) -> SimResult:
        """Simulate ``request`` (already checked with ``supports``)."""

    def run_layered(self, request: LayeredRequest) -> LayeredResult:
        """One forward pass of a layered classifier (``roughgrad.neurons.layered``); a backend
        that runs none says so."""
        raise SimulationError(
            f"backend {self.name!r} does not run layered {request.layout!r} networks"
        )


def blowup(t: int, request: Request) -> SimulationError:
    """The error for a state that stopped being finite by step t, naming what to change."""
    model, dt = request.model, request.dt
    what = type(model).__name__
    hint = "use a smaller dt (e.g. 0.01 ms)"
    if isinstance(model, HodgkinHuxley):
        what, hint = model.method, hint + " or method='exponential'"
    return SimulationError(
        f"the membrane potential became non-finite by step {t + 1} (t = {(t + 1) * dt:g} ms) "
        f"with dt={dt:g} ms ({what}); {hint}"
    )
