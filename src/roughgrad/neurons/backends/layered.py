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

import functools
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import Tensor

from roughgrad.neurons.hh import (
    SPIKE_TH,
    HHParams,
    exponential_step,
    gate_step,
    resting_state,
    upward_crossings,
    voltage_step,
)

RATE_REF_HZ = 100.0  # the "spikes" readout is the rate in units of 100 Hz
V_REST, V_SCALE = -65.0, 20.0  # the "membrane" readout: (mean V - V_REST) / V_SCALE
LAYOUTS = ("hh", "hh-units", "lif")


@dataclass(frozen=True)
class LayeredRequest:
    """One forward pass of a layered classifier.

    layout "hh": z_h (*lead, B, H) static hidden pre-activations, w2 (*lead, O, H), b2
    (*lead, 1 or B, O) static output offsets; ``noise`` per step ((*lead, T, B, d), when
    ``per_step``), ``record`` (the trace s(t) of the first member), ``record_output`` (the
    output activity), ``record_v`` (every neuron's V and the output currents, one clean
    trial). layout "hh-units": z_h (B, H), z_p (n, B) the perturbed hidden units' pre-
    activations standing for unit ``index`` (n, B) of members first..first+n-1, ``offset``
    (members, B, O), w2 (O, H) or (members, O, H), b2 (O,) or (members, O). layout "lif":
    z_h (*lead, B, H), w2 (*lead, O, H), b2 (*lead, 1 or B, O)."""

    layout: Literal["hh", "hh-units", "lif"]
    net: Any  # HHNet or LIFNet (roughgrad.neurons.layered)
    z_h: Tensor
    w2: Tensor
    b2: Tensor
    noise: dict[str, Tensor] = field(default_factory=dict)
    per_step: bool = False
    record: bool = False
    record_output: bool = False
    record_v: bool = False
    z_p: Tensor | None = None
    index: Tensor | None = None
    offset: Tensor | None = None
    first: int = 0

    @property
    def eager(self) -> bool:
        """Whether only a step-at-a-time loop runs it (recording or per-step noise)."""
        return self.per_step or self.record or self.record_output or self.record_v


@dataclass
class LayeredResult:
    """readout (*lead, B, O) (LIF: output spike counts), s_mean (*lead, B, H) the trial-mean
    synaptic trace (LIF: hidden spikes), and what was recorded: s_seq (T, B, H), a_seq
    (T, *lead, B, O), traces {"v", "i_out"[, "spikes"]}."""

    readout: Tensor
    s_mean: Tensor
    s_seq: Tensor | None = None
    a_seq: Tensor | None = None
    traces: dict[str, Tensor] | None = None


def readout(out_sum: Tensor, net) -> Tensor:
    """The readout o from the output neurons' per-step sums (see ``accumulate``)."""
    if net.readout == "voltage":
        return out_sum / (net.steps * net.r0)
    if net.readout == "membrane":
        return (out_sum / net.steps - V_REST) / V_SCALE
    return out_sum / (net.duration_ms() / 1000 * RATE_REF_HZ)


@dataclass(frozen=True)
class Consts:
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
    def of(cls, net, n_hid: int, like: Tensor) -> Consts:
        def t(value: float) -> Tensor:
            return torch.tensor(value, dtype=like.dtype, device=like.device)

        return cls(
            t(net.dt), t(net.scale), t(net.rise()), n_hid, net.readout, net.hh, net.midpoint,
            net.r0, net.surrogate,
        )  # fmt: skip


def start(z_h: Tensor, n_out: int, net) -> tuple[tuple, Tensor, Consts]:
    """The carry at rest for hidden pre-activations z_h (..., B, H) and ``n_out`` outputs --
    (V, m, h, n) of all H + O neurons, the synaptic trace and its running sum -- a zero
    readout sum (..., B, O) and the kernel's constants."""
    n_hid = z_h.shape[-1]
    rest = resting_state(
        (*z_h.shape[:-1], n_hid + n_out), net.hh, dtype=z_h.dtype, device=z_h.device
    )
    carry = (*rest.unbind(-1), torch.zeros_like(z_h), torch.zeros_like(z_h))
    return carry, torch.zeros_like(carry[0][..., n_hid:]), Consts.of(net, n_hid, z_h)


def chunks(net):
    """The step counts of the compiled chunks covering ``net.steps`` (the last may be short)."""
    for done in range(0, net.steps, net.chunk):
        yield min(net.chunk, net.steps - done)


def advance(carry, out_sum, z_h, w2t, b2, c: Consts, k: int):
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
            v, m, h, n = surrogate_step(v, m, h, n, current, c.dt, c.hh)
            act = SurrogateSigmoid.apply(v - c.midpoint, c.surrogate)
        s_sum = s_sum + syn
        syn = syn + c.rise * (act[..., : c.n_hid] / c.r0 - syn)
        out_sum = accumulate(out_sum, v_prev[..., c.n_hid :], v[..., c.n_hid :], c)
    return (v, m, h, n, syn, s_sum), out_sum


def accumulate(out_sum: Tensor, v_prev: Tensor, v: Tensor, c: Consts) -> Tensor:
    """The output neurons' readout, summed over steps: activity, potential or spikes."""
    if c.readout == "voltage":
        return out_sum + torch.sigmoid((v - c.midpoint) / 2.0)
    if c.readout == "membrane":
        return out_sum + v
    return out_sum + upward_crossings(v_prev, v, SPIKE_TH).to(v.dtype)


def surrogate_step(v, m, h, n, current, dt, hh: HHParams):
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
def compiled(fn):
    """``fn`` (a chunk of time steps) under torch.compile, built once per process."""
    compiled_fn = torch.compile(fn, dynamic=False)

    def call(*args):
        # one compilation per input shape (dynamic shapes compile far more slowly here); a
        # training run meets a handful (population, evaluation), so allow more recompiles
        # for these calls only, not for the user's other compiled code
        with torch._dynamo.config.patch(recompile_limit=64):
            return compiled_fn(*args)

    return call


def step_inputs(z_h: Tensor, b2: Tensor, noise: dict[str, Tensor], t: int, per_step: bool):
    """z_h and b2 at step t: with the step's noise when the noise is per step."""
    if per_step and "hidden" in noise:
        z_h = z_h + noise["hidden"][..., t, :, :]
    if per_step and "out" in noise:
        b2 = b2 + noise["out"][..., t, :, :]
    return z_h, b2


def hh_loop(req: LayeredRequest, chunk=None) -> LayeredResult:
    """The HH layout's time loop: one step at a time (the torch backend), or ``chunk`` (a
    compiled ``advance``) over ``net.chunk`` steps at a time (the compile backend)."""
    net, z_h, b2 = req.net, req.z_h, req.b2
    w2t = req.w2.transpose(-1, -2)
    carry, out_sum, consts = start(z_h, req.w2.shape[-2], net)
    if chunk is not None:
        for k in chunks(net):
            carry, out_sum = chunk(carry, out_sum, z_h, w2t, b2, consts, k)
        return LayeredResult(readout(out_sum, net), carry[5] / net.steps)
    n_hid = z_h.shape[-1]
    seq, outs, vs, currents = [], [], [], []
    for t in range(net.steps):
        zh_t, b2_t = step_inputs(z_h, b2, req.noise, t, req.per_step)
        if req.record:
            seq.append(carry[4].reshape(-1, *z_h.shape[-2:])[0])
        if req.record_v:
            currents.append(net.scale * (carry[4] @ w2t + b2_t))
        carry, out_sum = advance(carry, out_sum, zh_t, w2t, b2_t, consts, 1)
        if req.record_output:
            outs.append(activity(carry[0][..., n_hid:], net))
        if req.record_v:
            vs.append(carry[0])
    traces = {"v": torch.stack(vs), "i_out": torch.stack(currents)} if req.record_v else None
    return LayeredResult(
        readout(out_sum, net),
        carry[5] / net.steps,
        torch.stack(seq) if req.record else None,
        torch.stack(outs) if req.record_output else None,
        traces,
    )


def activity(v: Tensor, net) -> Tensor:
    """The neurons' activity sigmoid((V - midpoint) / 2 mV) / r0."""
    return torch.sigmoid((v - net.midpoint) / 2.0) / net.r0


def any_model_loop(req: LayeredRequest) -> LayeredResult:
    """The HH layout with ``net.neuron`` (any ``NeuronModel``) stepping every neuron: the
    torch backend's loop.

    Hidden currents scale * z_h (static), output currents scale * (s(t) W2^T + b2) (or with
    ``net.synapse == "conductance"`` conductances g_scale |z| towards e_e or e_i), s the
    hidden layer's synaptic trace driven by the hidden activity. A graded model's activity is
    sigmoid((V - midpoint) / 2 mV) / r0, as for HH; a model with a reset (LIF, Izhikevich)
    has no spike waveform, so its activity is its spikes as a rate in units of 100 Hz (1 when
    it fires at 100 Hz). The readout: "voltage" the output activity's mean, "membrane"
    (mean V - V_REST) / V_SCALE, "spikes" the output spike counts as a rate in units of
    100 Hz. Differentiable wherever the model is (graded models)."""
    net, z_h, b2, noise = req.net, req.z_h, req.b2, req.noise
    model, w2t = net.model, req.w2.transpose(-1, -2)
    conductance = net.synapse == "conductance"
    n_hid = z_h.shape[-1]
    shape = (*z_h.shape[:-1], n_hid + w2t.shape[-1])
    state = model.init_state(shape, dtype=z_h.dtype, device=z_h.device)
    syn, s_sum = torch.zeros_like(z_h), torch.zeros_like(z_h)
    out_sum: Tensor | float = 0.0
    rise, per_rate = net.rise(), 1000.0 / (net.dt * RATE_REF_HZ)
    seq, outs, vs, spikes, currents = [], [], [], [], []
    for t in range(net.steps):  # time is the only Python loop
        zh_t, b2_t = step_inputs(z_h, b2, noise, t, req.per_step)
        if req.record:
            seq.append(syn.reshape(-1, *z_h.shape[-2:])[0])
        z_o = syn @ w2t + b2_t  # (*lead, B, O)
        lead = torch.broadcast_shapes(zh_t.shape[:-1], z_o.shape[:-1])  # members x examples
        z = torch.cat([zh_t.expand(*lead, n_hid), z_o.expand(*lead, z_o.shape[-1])], -1)
        if conductance:  # g = g_scale |z| towards e_e (z > 0) or e_i (z < 0)
            g_e, g_i = net.g_scale * torch.relu(z), net.g_scale * torch.relu(-z)
            if req.record_v:
                currents.append(
                    (g_e * (net.e_e - state[..., 0]) + g_i * (net.e_i - state[..., 0]))[..., n_hid:]
                )
            drive = g_e * net.e_e + g_i * net.e_i
            state, spiked = model.step_conductance(state, drive, g_e + g_i, net.dt)
        else:
            if req.record_v:
                currents.append(net.scale * z_o)
            state, spiked = model.step(state, net.scale * z, net.dt)
        v = state[..., 0]
        if model.graded:
            act = torch.sigmoid((v - net.midpoint) / 2.0) / net.r0
        else:
            act = spiked.to(v.dtype) * per_rate
        s_sum = s_sum + syn
        syn = syn + rise * (act[..., :n_hid] - syn)
        outs_t = (v[..., n_hid:], spiked[..., n_hid:], act[..., n_hid:])
        out_sum = out_sum + _readout_term(*outs_t, net)
        if req.record_output:
            outs.append(act[..., n_hid:])
        if req.record_v:
            vs.append(v)
            spikes.append(spiked)
    assert isinstance(out_sum, Tensor)  # steps >= 1
    traces = None
    if req.record_v:
        traces = {"v": torch.stack(vs), "i_out": torch.stack(currents)}
        traces["spikes"] = torch.stack(spikes)
    return LayeredResult(
        readout(out_sum, net),
        s_sum / net.steps,
        torch.stack(seq) if req.record else None,
        torch.stack(outs) if req.record_output else None,
        traces,
    )


def _readout_term(v: Tensor, spiked: Tensor, act: Tensor, net) -> Tensor:
    """This step's contribution to the readout sum (see ``readout``)."""
    if net.readout == "voltage":
        return act * net.r0
    if net.readout == "membrane":
        return v
    return spiked.to(v.dtype)


def units_setup(req: LayeredRequest):
    """The flat resting carry, the readout sum and the constant arguments of ``advance_units``
    (see ``roughgrad.neurons.layered.hh_units``)."""
    from roughgrad.neurons.fused import per_member_output_layer

    net, z_h, w2, b2 = req.net, req.z_h, req.w2, req.b2
    assert req.z_p is not None and req.index is not None and req.offset is not None
    z_p, index, offset = req.z_p, req.index, req.offset
    members, batch, n_out = offset.shape
    n_pert = len(index)
    if per_member_output_layer(w2, b2, members, n_pert):
        b2 = b2[:, None, :]  # (members, 1, O) against the outputs' (members, B, O)
    w2t = w2.transpose(-1, -2)
    columns = w2t.contiguous().index_select(0, index.reshape(-1)).view(n_pert, batch, n_out)
    static = net.scale * torch.cat([z_h.reshape(-1), z_p.reshape(-1)])
    size = static.numel() + members * batch * n_out
    v, m, h, n = resting_state((size,), net.hh, dtype=z_h.dtype, device=z_h.device).unbind(-1)
    syn, syn_p, s_sum = torch.zeros_like(z_h), torch.zeros_like(z_p), torch.zeros_like(z_h)
    out_sum = offset.new_zeros(members, batch, n_out)
    consts = Consts.of(net, z_h.shape[-1], z_h)
    args = (static, offset, w2t, b2, index, columns, req.first, consts)
    return (v, m, h, n, syn, syn_p, s_sum), out_sum, args


def units_loop(req: LayeredRequest, chunk=None) -> LayeredResult:
    """The one-unit layout's time loop, ``advance_units`` over ``net.chunk`` steps at a time
    (``chunk``: its compiled form, for the compile backend)."""
    carry, out_sum, args = units_setup(req)
    step: Any = advance_units if chunk is None else chunk
    for k in chunks(req.net):
        carry, out_sum = step(carry, out_sum, *args, k)
    return LayeredResult(readout(out_sum, req.net), carry[6] / req.net.steps)


def advance_units(carry, out_sum, static, offset, w2t, b2, index, columns, first, c, k):
    """k steps of the one-unit layout's neurons, flat: the clean hidden layer (B H), the
    perturbed hidden neurons (n B), the outputs of every network (members B O)."""
    v, m, h, n, syn, syn_p, s_sum = carry
    n_static, n_pert = static.shape[0], syn_p.shape[0]
    for _ in range(k):
        z_o = offset + (syn @ w2t + b2)  # (members, B, O)
        if n_pert:
            change = syn_p - syn.gather(1, index.T).T  # (n, B)
            z_o = torch.cat(
                [
                    z_o[:first],
                    z_o[first : first + n_pert] + change[..., None] * columns,
                    z_o[first + n_pert :],
                ]
            )
        current = torch.cat([static, c.scale * z_o.reshape(-1)])
        v_prev = v
        v, m, h, n = exponential_step(v, m, h, n, current, c.dt, c.hh)
        act = torch.sigmoid((v[:n_static] - c.midpoint) / 2.0) / c.r0
        s_sum = s_sum + syn
        syn = syn + c.rise * (act[: syn.numel()].view_as(syn) - syn)
        syn_p = syn_p + c.rise * (act[syn.numel() :].view_as(syn_p) - syn_p)
        out_sum = accumulate(
            out_sum, v_prev[n_static:].view_as(out_sum), v[n_static:].view_as(out_sum), c
        )
    return (v, m, h, n, syn, syn_p, s_sum), out_sum


def lif_loop(req: LayeredRequest) -> LayeredResult:
    """snnTorch's ``Leaky`` layers (reset by subtraction of the previous step's spike), the
    static input current every step; readout: the output spike counts."""
    net, z_h, b_o = req.net, req.z_h, req.b2
    w2t, theta, beta = req.w2.transpose(-1, -2), net.threshold, net.beta
    u_h, s_h = torch.zeros_like(z_h), torch.zeros_like(z_h)
    u_o = torch.zeros(*z_h.shape[:-1], req.w2.shape[-2], dtype=z_h.dtype, device=z_h.device)
    s_o, counts, s_sum = torch.zeros_like(u_o), torch.zeros_like(u_o), torch.zeros_like(z_h)
    for _ in range(net.steps):
        u_h = beta * u_h + z_h - theta * s_h
        s_h = (u_h > theta).to(z_h.dtype)
        u_o = beta * u_o + (s_h @ w2t + b_o) - theta * s_o
        s_o = (u_o > theta).to(z_h.dtype)
        counts = counts + s_o
        s_sum = s_sum + s_h
    return LayeredResult(counts, s_sum / net.steps)
