"""The one-unit layout's torch time loop (node perturbation's cheap path)."""

from __future__ import annotations

from typing import Any

import torch

from roughgrad.neurons.backends.layered.base import (
    Consts,
    LayeredRequest,
    LayeredResult,
    chunks,
    readout,
)
from roughgrad.neurons.backends.layered.hh import accumulate
from roughgrad.neurons.fused_layered import per_member_output_layer
from roughgrad.neurons.hh import (
    exponential_step,
    resting_state,
)


def units_setup(req: LayeredRequest):
    """The flat resting carry, the readout sum and the constant arguments of ``advance_units``
    (see ``roughgrad.neurons.layered.hh_units``)."""
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
