"""One simulator: ``simulate(model, network, inputs, ...)`` for every experiment and objective.

Every tensor has leading batch dimensions (members x trials x ...) and a last dimension of N
neurons; nothing loops over neurons or trials. Each neuron receives

$$I(t) = I_{in} + I_{syn}(t) + \\sigma \\sqrt{\\Delta t_{ref} / \\Delta t}\\, \\xi(t),$$

with $I_{in}$ the static ``inputs``, $I_{syn}$ what the network's synapses deliver (a current,
or conductances with reversal potentials: ``roughgrad.neurons.network``) and
$\\xi \\sim N(0, 1)$ drawn every step: white current noise of fixed intensity
(``Network.noise_std`` is its per-step std at $\\Delta t_{ref}$ = 0.01 ms, the write-up's dt).
A backend (``roughgrad.neurons.backends``) runs the time loop: "torch" runs any
``NeuronModel`` (a user's own included, registered or not) and is differentiable; "fused" is
a compiled C loop for HH populations; "auto" picks the fastest that runs the request.

    >>> import torch
    >>> from roughgrad.neurons import Network, simulate
    >>> res = simulate("hh", Network(), torch.tensor([0.0, 10.0]), steps=5000, dt=0.01)
    >>> res.spike_counts.tolist()  # 50 ms: silent at rest, 4 spikes at 10 uA/cm^2
    [0.0, 4.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from roughgrad.neurons.backends import check
from roughgrad.neurons.backends.base import RECORDABLE, Request, SimResult, SimState
from roughgrad.neurons.hh import SimulationError
from roughgrad.neurons.models import NEURONS, NeuronModel
from roughgrad.neurons.network import NOISE_REF_DT, Network

__all__ = ["NOISE_REF_DT", "SimResult", "SimState", "neuron_model", "simulate"]


def simulate(
    model: str | NeuronModel,
    network: Network | None,
    inputs: Tensor,
    *,
    steps: int,
    dt: float,
    record: Sequence[str] = (),
    transient: int = 0,
    backend: str = "torch",
    generator: torch.Generator | None = None,
    state: SimState | None = None,
) -> SimResult:
    """Simulate ``steps`` steps of ``dt`` ms of ``model`` neurons coupled by ``network``.

    Args:
        model: a ``NeuronModel`` (any subclass, registered or not) or a key of ``NEURONS``.
        network: coupling, synapses, readout and noise (``Network``); None: uncoupled,
            noise-free neurons with the default readout.
        inputs: (..., N) static input current (uA/cm^2); its leading dimensions are the
            population layout (members x trials x ...).
        steps, dt: the time grid (ms); dt is checked against the model's stable range.
        record: any of "v", "spikes": keep those (T, ..., N) traces (memory: T x batch x N).
        transient: steps excluded from spike counts and the mean output.
        backend: "torch", "fused", "compile" or "auto" (``roughgrad.neurons.backends``).
        generator: the noise's torch.Generator (needed when the network has noise).
        state: where to start (``SimResult.state`` of an earlier run); default: rest.

    Returns:
        SimResult. Raises SimulationError for a bad dt or a non-finite state, and names
        what to change.
    """
    neuron = neuron_model(model)
    network = Network() if network is None else network
    if not isinstance(inputs, Tensor):
        raise TypeError(f"inputs must be a (..., N) tensor of input currents, got {type(inputs)}")
    neuron.check_dt(dt)
    if steps < 1 or not 0 <= transient < steps:
        raise SimulationError(
            f"need steps >= 1 and 0 <= transient < steps, got {steps}, {transient}"
        )
    unknown = sorted(set(record) - set(RECORDABLE))
    if unknown:
        raise SimulationError(f"cannot record {unknown}; recordable: {', '.join(RECORDABLE)}")
    if network.noise_std and generator is None:
        raise SimulationError("noise_std > 0 needs an explicit generator=torch.Generator()")
    n = inputs.shape[-1] if inputs.dim() else 0
    if network.weights is not None and network.weights.shape[-1] != n:
        raise SimulationError(
            f"weights are for {network.weights.shape[-1]} neurons, inputs for {n}"
        )
    request = Request(
        neuron, network, inputs, steps, dt, tuple(record), transient, generator, state
    )
    return check(backend, request).run(request)


def neuron_model(model: str | NeuronModel) -> NeuronModel:
    """The model behind ``simulate``'s ``model`` argument (an instance, or a registry key)."""
    if isinstance(model, NeuronModel):
        return model
    if model not in NEURONS:
        raise SimulationError(f"unknown model {model!r}; registered: {', '.join(NEURONS)}")
    return NEURONS[model]()
