"""Layered Hodgkin-Huxley networks (the write-up's BNN): see ``roughgrad.neurons.layered``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor

from roughgrad._types import Params
from roughgrad.neurons.backends import check_layered as _backend
from roughgrad.neurons.backends import get
from roughgrad.neurons.backends.layered import (
    RATE_REF_HZ,
    V_REST,
    V_SCALE,
    LayeredRequest,
    LayeredResult,
    activity,
    advance,
    start,
)
from roughgrad.neurons.hh import SPIKE_TH, HHParams, SimulationError, exponential_step
from roughgrad.neurons.layered.inputs import layer_inputs
from roughgrad.neurons.models import HodgkinHuxley, NeuronModel
from roughgrad.neurons.synapses import ConductanceSynapse

R0 = 0.2  # mean sigmoid((V + 30) / 2 mV) of an HH neuron driven hard (0.11 at onset, 0.2 at 60)
__all__ = ["R0", "RATE_REF_HZ", "SPIKE_TH", "V_REST", "V_SCALE", "HHNet", "activity"]


@dataclass(frozen=True)
class HHNet:
    """The simulation settings of an HH classifier.

    Args:
        steps: time steps per trial; dt: ms per step (1000 steps: 0.01 -> 10 ms, 0.1 -> 100 ms);
        scale: uA/cm^2 per unit of pre-activation; tau_syn: synaptic time constant (ms);
        readout: "voltage" (mollified, differentiable), "membrane" (mean membrane potential:
            graded below threshold too) or "spikes" (counts; piecewise constant);
        backend: "torch" (one step at a time), "compile" (the time loop in torch.compile'd
            chunks of ``chunk`` steps: 5-10x faster on a CPU once compiled; the first call of
            each shape compiles for ~10-30 s) or "fused" (forward-only simulations -- the
            estimators' populations, evaluation -- in one compiled C loop per network, on the
            CPU; a call that needs autograd runs on ``autograd_backend``). Per-step noise and
            recording run eagerly.
        midpoint: mV; the activity of hidden and output neurons is
            sigmoid((V - midpoint) / 2 mV) / r0.
        r0: the activity's scale (see midpoint).
        autograd_backend: with ``backend="fused"``, the backend of calls that need gradients.
        synapse: "current": a unit's pre-activation z drives the current scale * z;
            "conductance": it opens a conductance g = g_scale * |z| (mS/cm^2), excitatory
            (reversal e_e = 0 mV) where z > 0 and inhibitory (e_i = -80 mV) where z < 0, so the
            input current g (E - V) shrinks as V nears the reversal potential instead of
            growing without bound. Conductances run the any-model loop on the torch backend.
        g_scale: mS/cm^2 per unit of pre-activation with ``synapse="conductance"`` (0.6: at
            rest, V = -65 mV, close to ``scale``'s 40 uA/cm^2 per unit).
        surrogate: mV, or None. Surrogate-gradient BPTT, as snnTorch trains spiking networks,
            applied to HH neurons: the forward pass is unchanged, the backward pass (a) replaces
            the derivative of the activity sigmoid((V - midpoint) / 2) by a fast-sigmoid
            pseudo-derivative 1 / (2 r0 (1 + |V - midpoint| / surrogate)^2), which is wide
            where the true one is a 2 mV spike, and (b) treats the gates m, h, n as constants
            (the spike-generating conductances are what snnTorch's detached reset stands for),
            so gradients flow through the membrane's leak and input currents only.
    """

    steps: int = 1000
    dt: float = 0.01
    scale: float = 40.0
    tau_syn: float = 5.0
    readout: Literal["voltage", "membrane", "spikes"] = "voltage"
    hh: HHParams = field(default_factory=HHParams)
    backend: Literal["torch", "compile", "fused"] = "torch"
    chunk: int = 5
    midpoint: float = SPIKE_TH
    r0: float = R0
    autograd_backend: Literal["torch", "compile"] = "compile"
    surrogate: float | None = None
    neuron: NeuronModel | None = None
    synapse: Literal["current", "conductance"] = "current"
    g_scale: float = 0.6
    e_e: float = ConductanceSynapse.e_e
    e_i: float = ConductanceSynapse.e_i

    def __post_init__(self) -> None:
        if self.synapse not in ("current", "conductance"):
            raise SimulationError(
                f"synapse={self.synapse!r} is not allowed: use 'current' or 'conductance'"
            )
        if not self.g_scale > 0:
            raise SimulationError(f"g_scale={self.g_scale} must be > 0 mS/cm^2")
        if self.generic:
            self._check_neuron(self.model)
        _backend(self.backend, "hh")
        if self.surrogate is not None and not self.surrogate > 0:
            raise SimulationError(f"surrogate={self.surrogate} must be > 0 mV (or None)")
        if _backend(self.autograd_backend, "hh").differentiable is False:
            raise SimulationError(
                f"autograd_backend={self.autograd_backend!r} is not differentiable; "
                "use 'torch' or 'compile'"
            )

    @property
    def generic(self) -> bool:
        """Whether the network runs the any-model torch loop (another neuron model, or
        conductance synapses) rather than the HH current kernels (compile, fused, one-unit)."""
        return self.neuron is not None or self.synapse == "conductance"

    @property
    def model(self) -> NeuronModel:
        """The neuron model stepped: ``neuron``, or HH neurons with ``hh``'s parameters."""
        return HodgkinHuxley(self.hh) if self.neuron is None else self.neuron

    def _check_neuron(self, neuron: NeuronModel) -> None:
        """Another neuron model, or conductances, run on the torch backend without HH's
        surrogate."""
        what = (
            f"neuron={type(neuron).__name__}"
            if self.neuron is not None
            else "synapse='conductance'"
        )
        used = {"backend": self.backend, "autograd_backend": self.autograd_backend}
        for key, value in used.items():
            if value != "torch":
                raise SimulationError(
                    f"{what} runs on the torch backend only; set {key}='torch' (got {value!r})"
                )
        if self.surrogate is not None:
            raise SimulationError(
                "surrogate gradients are for HH neurons with current synapses only"
            )
        neuron.check_dt(self.dt)

    def loop_backend(self, *tensors: Tensor) -> str:
        """The backend that runs a simulation of ``tensors``: ``backend``, unless it is
        not differentiable ("fused") and autograd must see the call (then ``autograd_backend``)."""
        if not get(self.backend).differentiable and torch.is_grad_enabled():
            if any(t.requires_grad for t in tensors):
                return self.autograd_backend
        return self.backend

    def duration_ms(self) -> float:
        return self.steps * self.dt

    def rise(self) -> float:
        """The synaptic trace's step towards the activity: 1 - exp(-dt / tau_syn)."""
        return -math.expm1(-self.dt / self.tau_syn)

    def run(self, request: LayeredRequest) -> LayeredResult:
        """``request`` on the backend that runs it: one step at a time on "torch" when it
        records or has per-step noise, else ``loop_backend``'s."""
        given = (request.z_h, request.w2, request.b2, request.z_p, request.offset)
        tensors = [t for t in given if t is not None]
        name = "torch" if request.eager else self.loop_backend(*tensors)
        return get(name).run_layered(request)


def hh_forward(
    params: Params,
    x: Tensor,
    net: HHNet,
    noise: dict[str, Tensor] | None = None,
    *,
    record: bool = False,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """Readout o (*lead, B, O), trial-mean synaptic trace s-bar (*lead, B, H) and, if
    ``record``, the trace s(t) seen by the output layer at every step (T, B, H) of the first
    population member.

    params: w1 (*lead, H, I), b1 (*lead, H), w2 (*lead, O, H), b2 (*lead, O), where ``lead`` is
    an optional population shape shared by all four; x (B, I). noise["hidden"] / noise["out"]:
    (*lead, B, d) static or (*lead, T, B, d) per step, added to z_h / z_o. With
    the "compile" backend and static noise, the time loop runs in torch.compile'd chunks
    of ``net.chunk`` steps (one fused kernel per chunk instead of ~50 small ones per step).
    """
    o, s_bar, s_seq, _ = _run(params, x, net, noise or {}, record, False)
    return o, s_bar, s_seq


def hh_activity(
    params: Params, x: Tensor, net: HHNet, noise: dict[str, Tensor] | None = None
) -> tuple[Tensor, Tensor]:
    """The output neurons' activity a(t) = sigmoid((V_o(t) - midpoint) / 2) / r0 at every step
    (T, *lead, B, O), and the trace s(t) the output layer saw (T, B, H) of the first member;
    arguments as [`hh_forward`][roughgrad.neurons.layered.hh.hh_forward]. Runs eagerly (a loss on
    every step of the trial)."""
    _, _, s_seq, a_seq = _run(params, x, net, noise or {}, True, True)
    assert s_seq is not None and a_seq is not None
    return a_seq, s_seq


def _run(params, x, net: HHNet, noise, record: bool, record_output: bool):
    z_h, w2t, b2, per_step = layer_inputs(params, x, noise)
    request = LayeredRequest(
        "hh", net, z_h, w2t.transpose(-1, -2), b2, noise, per_step, record, record_output
    )
    res = net.run(request)
    return res.readout, res.s_mean, res.s_seq, res.a_seq


def _clean_trial(params: Params, x: Tensor, net: HHNet):
    """w2, b2, z_h (B, H), the resting carry, a zero readout sum and the constants of one
    clean (unperturbed, population-free) trial, stepped eagerly by its callers."""
    z_h = x @ params["w1"].T + params["b1"]  # (B, H)
    return params["w2"], params["b2"], z_h, *start(z_h, params["w2"].shape[0], net)


def hh_reset_activity(
    params: Params, x: Tensor, net: HHNet, out_noise: Tensor
) -> tuple[Tensor, Tensor]:
    """One clean trial, and at every step the output neurons' next activity (S, T, B, O) had
    their current at that step been offset by ``out_noise[:, t]`` (S, T, B, O) -- each step
    perturbed from the clean state (node perturbation through time's "reset" mode) -- with the
    clean trace s(t) (T, B, H). A hidden offset would reach the outputs only through the
    synapse one step later, past the scored step, so there is none."""
    if net.generic:
        raise SimulationError(
            "the reset mode is for HH neurons with current synapses only; use mode='free'"
        )
    w2, b2, z_h, carry, out_sum, consts = _clean_trial(params, x, net)
    n_hid, rows, seen = z_h.shape[-1], [], []
    for t in range(net.steps):
        seen.append(carry[4])
        z_o = carry[4] @ w2.T + b2 + out_noise[:, t]  # (S, B, O)
        v, m, h, n = (c[..., n_hid:].expand_as(z_o) for c in carry[:4])
        v = exponential_step(v, m, h, n, net.scale * z_o, consts.dt, net.hh)[0]
        rows.append(activity(v, net))
        carry, out_sum = advance(carry, out_sum, z_h, w2.T, b2, consts, 1)
    return torch.stack(rows, 1), torch.stack(seen)


def hh_traces(params: Params, x: Tensor, net: HHNet) -> dict[str, Tensor]:
    """One clean trial for figures: voltages (T, B, H + O), input currents (B, H), (T, B, O);
    for another neuron model (``net.neuron``) also its spikes (T, B, H + O)."""
    z_h, w2t, b2, _ = layer_inputs(params, x, {})
    request = LayeredRequest("hh", net, z_h, w2t.transpose(-1, -2), b2, record_v=True)
    traces = net.run(request).traces
    assert traces is not None  # recorded
    return {"v": traces.pop("v"), "i_hidden": net.scale * z_h, **traces}
