"""Layered classifiers of any NeuronModel: the torch time loop of ``HHNet(neuron=...)``.

The network is the HH classifier's (``roughgrad.neurons.layered``) with each neuron stepped by
``neuron.step``: hidden currents scale * z_h (static), output currents scale * (s(t) W2^T +
b2), s the hidden layer's synaptic trace driven by the hidden activity. A graded model's
activity is sigmoid((V - midpoint) / 2 mV) / r0, as for HH; a model with a reset (LIF,
Izhikevich) has no spike waveform, so its activity is its spikes as a rate in units of
100 Hz (1 when it fires at 100 Hz). The readout: "voltage" the output activity's mean,
"membrane" (mean V - V_REST) / V_SCALE, "spikes" the output spike counts as a rate in units
of 100 Hz. Differentiable wherever the model is (graded models); runs on the torch backend.
"""

from __future__ import annotations

import torch
from torch import Tensor

from roughgrad.neurons.models import NeuronModel

RATE_REF_HZ = 100.0  # as roughgrad.neurons.layered.hh


def layer_inputs(params, x: Tensor, noise: dict[str, Tensor]):
    """z_h (*lead, B, H), W2^T, b2 (*lead, 1 or B, O) with static noise added, and whether the
    noise is per step ((*lead, T, B, d): added by ``step_inputs`` instead)."""
    w1, b1, w2, b2 = params["w1"], params["b1"], params["w2"], params["b2"]
    z_h = x @ w1.transpose(-1, -2) + b1[..., None, :]  # (*lead, B, H)
    w2t, b2 = w2.transpose(-1, -2), b2[..., None, :]
    per_step = any(v.dim() == z_h.dim() + 1 for v in noise.values())
    if "hidden" in noise and not per_step:
        z_h = z_h + noise["hidden"]
    if "out" in noise and not per_step:
        b2 = b2 + noise["out"]  # a static offset of z_o
    return z_h, w2t, b2, per_step


def step_inputs(z_h: Tensor, b2: Tensor, noise: dict[str, Tensor], t: int, per_step: bool):
    """z_h and b2 at step t: with the step's noise when the noise is per step."""
    if per_step and "hidden" in noise:
        z_h = z_h + noise["hidden"][..., t, :, :]
    if per_step and "out" in noise:
        b2 = b2 + noise["out"][..., t, :, :]
    return z_h, b2


def generic_run(params, x: Tensor, net, noise: dict[str, Tensor], *, record: bool,
                record_output: bool, record_v: bool = False):  # fmt: skip
    """(readout (*lead, B, O), s-bar (*lead, B, H), s(t) (T, B, H) of the first member or
    None, output activity (T, *lead, B, O) or None, {"v", "spikes"} (T, *lead, B, H + O) or
    None) for ``net.neuron``; arguments as ``roughgrad.neurons.layered.hh.hh_forward``."""
    model: NeuronModel = net.neuron
    z_h, w2t, b2, per_step = layer_inputs(params, x, noise)
    n_hid = z_h.shape[-1]
    shape = (*z_h.shape[:-1], n_hid + w2t.shape[-1])
    state = model.init_state(shape, dtype=z_h.dtype, device=z_h.device)
    syn, s_sum = torch.zeros_like(z_h), torch.zeros_like(z_h)
    out_sum: Tensor | float = 0.0
    rise, per_rate = net.rise(), 1000.0 / (net.dt * RATE_REF_HZ)
    seq, outs, vs, spikes = [], [], [], []
    for t in range(net.steps):  # time is the only Python loop
        zh_t, b2_t = step_inputs(z_h, b2, noise, t, per_step)
        if record:
            seq.append(syn.reshape(-1, *z_h.shape[-2:])[0])
        z_o = syn @ w2t + b2_t  # (*lead, B, O)
        lead = torch.broadcast_shapes(zh_t.shape[:-1], z_o.shape[:-1])  # members x examples
        z = torch.cat([zh_t.expand(*lead, n_hid), z_o.expand(*lead, z_o.shape[-1])], -1)
        state, spiked = model.step(state, net.scale * z, net.dt)
        v = state[..., 0]
        if model.graded:
            act = torch.sigmoid((v - net.midpoint) / 2.0) / net.r0
        else:
            act = spiked.to(v.dtype) * per_rate
        s_sum = s_sum + syn
        syn = syn + rise * (act[..., :n_hid] - syn)
        out = (v[..., n_hid:], spiked[..., n_hid:], act[..., n_hid:])
        out_sum = out_sum + _readout_term(*out, net)
        if record_output:
            outs.append(act[..., n_hid:])
        if record_v:
            vs.append(v)
            spikes.append(spiked)
    readout = _readout(out_sum, net)
    traces = {"v": torch.stack(vs), "spikes": torch.stack(spikes)} if record_v else None
    return (
        readout,
        s_sum / net.steps,
        torch.stack(seq) if record else None,
        torch.stack(outs) if record_output else None,
        traces,
    )


def _readout_term(v: Tensor, spiked: Tensor, act: Tensor, net) -> Tensor:
    """This step's contribution to the readout sum (see ``_readout``)."""
    if net.readout == "voltage":
        return act * net.r0
    if net.readout == "membrane":
        return v
    return spiked.to(v.dtype)


def _readout(out_sum: Tensor | float, net) -> Tensor:
    from roughgrad.neurons.layered.hh import _readout as hh_readout

    assert isinstance(out_sum, Tensor)  # steps >= 1
    return hh_readout(out_sum, net)
