"""The simulators' backends, and which simulations each of them runs.

roughgrad simulates neurons in two shapes of network, both batched (trials x population x
neurons are tensor dimensions):

* ``"recurrent"``: ``roughgrad.neurons.simulate``, one population of neurons with an
  optional recurrent weight matrix (the write-up's chains and complete graphs);
* ``"layered"``: ``roughgrad.neurons.layered``, input -> hidden -> output classifiers (the
  seed's BNN, an snnTorch-style LIF network).

A backend declares the neuron models it runs in each shape; asking it for anything else is
refused with one line naming the backends that can. Adding a backend is one entry here plus
its code path in the simulator it serves.

    >>> from roughgrad.neurons.backends import BACKENDS, backend
    >>> sorted(BACKENDS)
    ['compile', 'fused', 'torch']
    >>> backend("compile", "recurrent", "lif")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    roughgrad.neurons.hh.SimulationError: backend 'compile' does not run ... use backend='torch'
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

from roughgrad.neurons.hh import SimulationError

SHAPES = ("recurrent", "layered")


@dataclass(frozen=True)
class Backend:
    """A way of running a simulator.

    Args:
        name: the key users pass (``backend=...``).
        summary: one line for docs and error messages.
        runs: network shape -> the neuron models it runs in that shape.
        differentiable: whether autograd sees through it (the fused C loops do not).
    """

    name: str
    summary: str
    runs: Mapping[str, tuple[str, ...]]
    differentiable: bool

    def supports(self, shape: str, model: str) -> bool:
        return model in self.runs.get(shape, ())


BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (
        Backend(
            "torch",
            "tensor ops, one step at a time: differentiable, any device",
            {"recurrent": ("hh", "lif", "izhikevich"), "layered": ("hh", "lif")},
            differentiable=True,
        ),
        Backend(
            "compile",
            "torch.compile'd chunks of steps: differentiable, 5-10x faster on a CPU once "
            "compiled (the first call of each shape compiles for 10-30 s)",
            {"layered": ("hh",)},
            differentiable=True,
        ),
        Backend(
            "fused",
            "one compiled C loop per block of neurons: forward only, CPU (float32/float64)",
            {"recurrent": ("hh",), "layered": ("hh", "lif")},
            differentiable=False,
        ),
    )
}


def resolve(name: str, shape: str, model: str) -> str:
    """``"auto"`` -> the fastest backend that runs ``shape`` networks of ``model`` neurons here:
    "fused" when it runs them and its kernel builds, else "torch", with a one-line notice (a
    machine without a C compiler). Any other name is returned as it is (and checked where it is
    used: an explicit "fused" without a compiler is an error, not a fallback)."""
    if name != "auto":
        return name
    if BACKENDS["fused"].supports(shape, model):
        from roughgrad.neurons import fused

        reason = fused.unavailable_reason()
        if reason is None:
            return "fused"
        warnings.warn(
            f"backend='auto' runs on torch (slower): the fused C kernel is unavailable here "
            f"({reason.split(';')[0]})",
            FusedFallback,
            stacklevel=2,
        )
    return "torch"


class FusedFallback(UserWarning):
    """backend='auto' fell back from the fused kernel to torch."""


def backend(name: str, shape: str, model: str) -> Backend:
    """The backend ``name`` if it runs ``shape`` networks of ``model`` neurons, else a one-line
    [`SimulationError`][roughgrad.neurons.hh.SimulationError] naming the backends that do."""
    if shape not in SHAPES:
        raise ValueError(f"unknown network shape {shape!r}; known: {', '.join(SHAPES)}")
    if name not in BACKENDS:
        raise SimulationError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}")
    found = BACKENDS[name]
    if found.supports(shape, model):
        return found
    able = [b.name for b in BACKENDS.values() if b.supports(shape, model)]
    runs = ", ".join(found.runs.get(shape, ())) or "none"
    hint = f"use backend={' or '.join(repr(a) for a in able)}" if able else "no backend does"
    raise SimulationError(
        f"backend {name!r} does not run {shape} networks of {model!r} neurons (it runs: "
        f"{runs}); {hint}"
    )
