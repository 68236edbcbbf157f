"""The layered classifiers' requests and their torch time loops.

A layered classifier (``roughgrad.neurons.layered``) hands a backend a ``LayeredRequest``:
its layout ("hh": H hidden HH neurons (or ``net.neuron``'s) driving O outputs through a
synaptic trace; "hh-units": populations that each perturb one unit, simulated as that unit
plus the outputs; "lif": snnTorch's discrete LIF layers), the network's settings and its
input tensors. ``Backend.run_layered`` returns a ``LayeredResult``. The torch loops are
here: ``hh_loop`` (the torch backend, one step at a time, with recording and per-step
noise), ``units_loop``, ``lif_loop`` and ``any_model_loop`` (any ``NeuronModel``); the compile
backend runs ``advance`` and ``advance_units`` in torch.compile'd chunks, the fused backend
its C kernels. Nothing else loops over time.
"""

from __future__ import annotations

from roughgrad.neurons.backends.layered.base import (
    LAYOUTS,
    RATE_REF_HZ,
    V_REST,
    V_SCALE,
    Consts,
    LayeredRequest,
    LayeredResult,
    activity,
    chunks,
    compiled,
    lif_loop,
    readout,
    start,
    step_inputs,
)
from roughgrad.neurons.backends.layered.hh import (
    SurrogateSigmoid,
    accumulate,
    advance,
    any_model_loop,
    hh_loop,
    surrogate_step,
)
from roughgrad.neurons.backends.layered.units import advance_units, units_loop, units_setup

__all__ = [
    "LAYOUTS",
    "RATE_REF_HZ",
    "V_REST",
    "V_SCALE",
    "Consts",
    "LayeredRequest",
    "LayeredResult",
    "SurrogateSigmoid",
    "accumulate",
    "activity",
    "advance",
    "advance_units",
    "any_model_loop",
    "chunks",
    "compiled",
    "hh_loop",
    "lif_loop",
    "readout",
    "start",
    "step_inputs",
    "surrogate_step",
    "units_loop",
    "units_setup",
]
