"""Layered Hodgkin-Huxley networks (the write-up's BNN): see ``roughgrad.neurons.layered``."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor

from roughgrad._types import Params
from roughgrad.neurons.backends import check_layered as _backend
from roughgrad.neurons.fused import layered_fused
from roughgrad.neurons.hh import (
    SPIKE_TH,
    HHParams,
    SimulationError,
    exponential_step,
    gate_step,
    resting_state,
    voltage_step,
)
from roughgrad.neurons.hh import upward_crossings as _crossings
from roughgrad.neurons.layered.generic import generic_run, layer_inputs, step_inputs
from roughgrad.neurons.models import NeuronModel

R0 = 0.2  # mean sigmoid((V + 30) / 2 mV) of an HH neuron driven hard (0.11 at onset, 0.2 at 60)
RATE_REF_HZ = 100.0  # the "spikes" readout is the rate in units of 100 Hz
V_REST, V_SCALE = -65.0, 20.0  # the "membrane" readout: (mean V - V_REST) / V_SCALE


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

    def __post_init__(self) -> None:
        if self.neuron is not None:
            self._check_neuron(self.neuron)
        _backend(self.backend, "hh")
        if self.surrogate is not None and not self.surrogate > 0:
            raise SimulationError(f"surrogate={self.surrogate} must be > 0 mV (or None)")
        if _backend(self.autograd_backend, "hh").differentiable is False:
            raise SimulationError(
                f"autograd_backend={self.autograd_backend!r} is not differentiable; "
                "use 'torch' or 'compile'"
            )

    def _check_neuron(self, neuron: NeuronModel) -> None:
        """Another neuron model runs on the torch backend, without HH's surrogate."""
        used = {"backend": self.backend, "autograd_backend": self.autograd_backend}
        for key, value in used.items():
            if value != "torch":
                raise SimulationError(
                    f"neuron={type(neuron).__name__} runs on the torch backend only; "
                    f"set {key}='torch' (got {value!r})"
                )
        if self.surrogate is not None:
            raise SimulationError("surrogate gradients are for HH neurons (neuron=None) only")
        neuron.check_dt(self.dt)

    def loop_backend(self, *tensors: Tensor) -> str:
        """The backend that runs a simulation of ``tensors``: ``backend``, unless it is
        "fused" and autograd must see the call (then ``autograd_backend``)."""
        if self.backend == "fused" and torch.is_grad_enabled():
            if any(t.requires_grad for t in tensors):
                return self.autograd_backend
        return self.backend

    def duration_ms(self) -> float:
        return self.steps * self.dt

    def rise(self) -> float:
        """The synaptic trace's step towards the activity: 1 - exp(-dt / tau_syn)."""
        return -math.expm1(-self.dt / self.tau_syn)


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
    ``net.backend == "compile"`` and static noise, the time loop runs in torch.compile'd chunks
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
    if net.neuron is not None:  # another neuron model: the generic torch loop
        return generic_run(params, x, net, noise, record=record, record_output=record_output)[:4]
    w2 = params["w2"]
    z_h, w2t, b2, per_step = layer_inputs(params, x, noise)
    n_hid = z_h.shape[-1]
    eager = per_step or record or record_output  # one step at a time
    loop = net.loop_backend(z_h, w2, b2)
    if not eager and loop == "fused":
        out_sum, s_sum = layered_fused(z_h.detach(), b2.detach(), w2.detach(), net)
        return _readout(out_sum, net), s_sum / net.steps, None, None
    carry, out_sum, consts = _start(z_h, w2.shape[-2], net)
    s_seq = a_seq = None
    if eager:
        seq, outs = [], []
        for t in range(net.steps):
            zh_t, b2_t = step_inputs(z_h, b2, noise, t, per_step)
            if record:
                seq.append(carry[4].reshape(-1, *z_h.shape[-2:])[0])
            carry, out_sum = _advance(carry, out_sum, zh_t, w2t, b2_t, consts, 1)
            if record_output:
                outs.append(activity(carry[0][..., n_hid:], net))
        s_seq = torch.stack(seq) if record else None
        a_seq = torch.stack(outs) if record_output else None
    else:
        advance = _compiled(_advance) if loop == "compile" else _advance
        for k in _chunks(net):
            carry, out_sum = advance(carry, out_sum, z_h, w2t, b2, consts, k)
    return _readout(out_sum, net), carry[5] / net.steps, s_seq, a_seq


def _start(z_h: Tensor, n_out: int, net: HHNet) -> tuple[tuple, Tensor, _Consts]:
    """The carry at rest for hidden pre-activations z_h (..., B, H) and ``n_out`` outputs --
    (V, m, h, n) of all H + O neurons, the synaptic trace and its running sum -- a zero
    readout sum (..., B, O) and the kernel's constants."""
    n_hid = z_h.shape[-1]
    rest = resting_state(
        (*z_h.shape[:-1], n_hid + n_out), net.hh, dtype=z_h.dtype, device=z_h.device
    )
    carry = (*rest.unbind(-1), torch.zeros_like(z_h), torch.zeros_like(z_h))
    return carry, torch.zeros_like(carry[0][..., n_hid:]), _Consts.of(net, n_hid, z_h)


def _chunks(net: HHNet):
    """The step counts of the compiled chunks covering ``net.steps`` (the last may be short)."""
    for done in range(0, net.steps, net.chunk):
        yield min(net.chunk, net.steps - done)


def activity(v: Tensor, net: HHNet) -> Tensor:
    """The neurons' activity sigmoid((V - midpoint) / 2 mV) / r0."""
    return torch.sigmoid((v - net.midpoint) / 2.0) / net.r0


def _clean_trial(params: Params, x: Tensor, net: HHNet):
    """w2, b2, z_h (B, H), the resting carry, a zero readout sum and the constants of one
    clean (unperturbed, population-free) trial, stepped eagerly by its callers."""
    z_h = x @ params["w1"].T + params["b1"]  # (B, H)
    return params["w2"], params["b2"], z_h, *_start(z_h, params["w2"].shape[0], net)


def hh_reset_activity(
    params: Params, x: Tensor, net: HHNet, out_noise: Tensor
) -> tuple[Tensor, Tensor]:
    """One clean trial, and at every step the output neurons' next activity (S, T, B, O) had
    their current at that step been offset by ``out_noise[:, t]`` (S, T, B, O) -- each step
    perturbed from the clean state (node perturbation through time's "reset" mode) -- with the
    clean trace s(t) (T, B, H). A hidden offset would reach the outputs only through the
    synapse one step later, past the scored step, so there is none."""
    if net.neuron is not None:
        raise SimulationError(
            "the reset mode is for HH neurons (neuron=None) only; use mode='free'"
        )
    w2, b2, z_h, carry, out_sum, consts = _clean_trial(params, x, net)
    n_hid, rows, seen = z_h.shape[-1], [], []
    for t in range(net.steps):
        seen.append(carry[4])
        z_o = carry[4] @ w2.T + b2 + out_noise[:, t]  # (S, B, O)
        v, m, h, n = (c[..., n_hid:].expand_as(z_o) for c in carry[:4])
        v = exponential_step(v, m, h, n, net.scale * z_o, consts.dt, net.hh)[0]
        rows.append(activity(v, net))
        carry, out_sum = _advance(carry, out_sum, z_h, w2.T, b2, consts, 1)
    return torch.stack(rows, 1), torch.stack(seen)


def _readout(out_sum: Tensor, net: HHNet) -> Tensor:
    """The readout o from the output neurons' per-step sums (see ``_accumulate``)."""
    if net.readout == "voltage":
        return out_sum / (net.steps * net.r0)
    if net.readout == "membrane":
        return (out_sum / net.steps - V_REST) / V_SCALE
    return out_sum / (net.duration_ms() / 1000 * RATE_REF_HZ)


@dataclass(frozen=True)
class _Consts:
    """The kernel's constants: dt, scale and the synaptic rise as 0-d tensors, so that the
    compiled kernel is shared by every dt and scale (floats would be specialised on)."""

    dt: Tensor
    scale: Tensor
    rise: Tensor
    n_hid: int
    readout: str
    hh: HHParams
    midpoint: float
    r0: float
    surrogate: float | None = None

    @classmethod
    def of(cls, net: HHNet, n_hid: int, like: Tensor) -> _Consts:
        def t(value: float) -> Tensor:
            return torch.tensor(value, dtype=like.dtype, device=like.device)

        return cls(
            t(net.dt), t(net.scale), t(net.rise()), n_hid, net.readout, net.hh, net.midpoint,
            net.r0, net.surrogate,
        )  # fmt: skip


def _advance(carry, out_sum, z_h, w2t, b2, c: _Consts, k: int):
    """k time steps of the whole network. carry = (V, m, h, n) of all H + O neurons
    (*lead, B, H + O) each, the synaptic trace s and its running sum (*lead, B, H)."""
    v, m, h, n, syn, s_sum = carry
    for _ in range(k):
        z_o = syn @ w2t + b2  # (*lead, B, O)
        current = c.scale * torch.cat([z_h, z_o], -1)
        v_prev = v
        if c.surrogate is None:
            v, m, h, n = exponential_step(v, m, h, n, current, c.dt, c.hh)
            act = torch.sigmoid((v - c.midpoint) / 2.0)
        else:  # gates as constants of the backward pass, a wide pseudo-derivative
            v, m, h, n = _surrogate_step(v, m, h, n, current, c.dt, c.hh)
            act = SurrogateSigmoid.apply(v - c.midpoint, c.surrogate)
        s_sum = s_sum + syn
        syn = syn + c.rise * (act[..., : c.n_hid] / c.r0 - syn)
        out_sum = _accumulate(out_sum, v_prev[..., c.n_hid :], v[..., c.n_hid :], c)
    return (v, m, h, n, syn, s_sum), out_sum


def _accumulate(out_sum: Tensor, v_prev: Tensor, v: Tensor, c: _Consts) -> Tensor:
    """The output neurons' readout, summed over steps: activity, potential or spikes."""
    if c.readout == "voltage":
        return out_sum + torch.sigmoid((v - c.midpoint) / 2.0)
    if c.readout == "membrane":
        return out_sum + v
    return out_sum + upward_crossings(v_prev, v).to(v.dtype)


def upward_crossings(v_prev: Tensor, v: Tensor) -> Tensor:
    """Where V crossed the spike threshold SPIKE_TH upwards between two steps: the spikes."""
    return _crossings(v_prev, v, SPIKE_TH)


def _surrogate_step(v, m, h, n, current, dt, hh: HHParams):
    """exponential_step whose gates (and their rates) are constants of the backward pass;
    V's update -- leak, input current and the frozen conductances -- stays differentiable."""
    m, h, n = gate_step(v.detach(), m.detach(), h.detach(), n.detach(), dt)
    return voltage_step(v, m, h, n, current, dt, hh), m, h, n


class SurrogateSigmoid(torch.autograd.Function):
    """sigmoid(u / 2) forward; backward the fast-sigmoid pseudo-derivative
    1 / (2 (1 + |u| / width)^2) (snnTorch's ``fast_sigmoid`` with slope 1 / width), whose
    peak matches the true derivative's order while its tails reach ``width`` mV."""

    @staticmethod
    def forward(ctx, u: Tensor, width: float) -> Tensor:
        ctx.save_for_backward(u)
        ctx.width = width
        return torch.sigmoid(u / 2.0)

    @staticmethod
    def backward(ctx, grad: Tensor):
        (u,) = ctx.saved_tensors
        return grad / (2.0 * (1.0 + u.abs() / ctx.width) ** 2), None


@functools.cache
def _compiled(fn):
    """``fn`` (a chunk of time steps) under torch.compile, built once per process."""
    compiled = torch.compile(fn, dynamic=False)

    def call(*args):
        # one compilation per input shape (dynamic shapes compile far more slowly here); a
        # training run meets a handful (population, evaluation), so allow more recompiles
        # for these calls only, not for the user's other compiled code
        with torch._dynamo.config.patch(recompile_limit=64):
            return compiled(*args)

    return call


def hh_traces(params: Params, x: Tensor, net: HHNet) -> dict[str, Tensor]:
    """One clean trial for figures: voltages (T, B, H + O), input currents (B, H), (T, B, O);
    for another neuron model (``net.neuron``) also its spikes (T, B, H + O)."""
    if net.neuron is not None:
        _, _, s_seq, _, traces = generic_run(
            params, x, net, {}, record=True, record_output=False, record_v=True
        )
        assert s_seq is not None and traces is not None  # recorded
        z_h = x @ params["w1"].T + params["b1"]
        i_out = net.scale * (s_seq @ params["w2"].T + params["b2"])
        return {**traces, "i_hidden": net.scale * z_h, "i_out": i_out}
    w2, b2, z_h, carry, out_sum, consts = _clean_trial(params, x, net)
    vs, currents = [], []
    for _ in range(net.steps):
        currents.append(net.scale * (carry[4] @ w2.T + b2))
        carry, out_sum = _advance(carry, out_sum, z_h, w2.T, b2, consts, 1)
        vs.append(carry[0])
    return {"v": torch.stack(vs), "i_hidden": net.scale * z_h, "i_out": torch.stack(currents)}
