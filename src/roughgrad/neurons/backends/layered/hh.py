"""The HH layout's torch time loops: HH neurons with current synapses (steppable in compiled
chunks) and any NeuronModel."""

from __future__ import annotations

import torch
from torch import Tensor

from roughgrad.neurons.backends.layered.base import (
    RATE_REF_HZ,
    Consts,
    LayeredRequest,
    LayeredResult,
    activity,
    chunks,
    readout,
    start,
    step_inputs,
)
from roughgrad.neurons.hh import (
    SPIKE_TH,
    HHParams,
    exponential_step,
    gate_step,
    upward_crossings,
    voltage_step,
)
from roughgrad.neurons.synapses import ConductanceSynapse


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
    synapse = None  # the reversal potentials' arithmetic is the network's conductance synapse's
    if net.synapse == "conductance":
        synapse = ConductanceSynapse(e_e=net.e_e, e_i=net.e_i)
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
        if synapse is not None:  # g = g_scale |z| towards e_e (z > 0) or e_i (z < 0)
            g = (net.g_scale * torch.relu(z), net.g_scale * torch.relu(-z))
            drive, g_total = synapse.drive(g, state[..., 0])
            if req.record_v:  # the synaptic current g_e (e_e - V) + g_i (e_i - V)
                currents.append((drive - g_total * state[..., 0])[..., n_hid:])
            state, spiked = model.step_conductance(state, drive, g_total, net.dt)
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
