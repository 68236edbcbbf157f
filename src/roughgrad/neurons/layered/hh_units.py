"""Populations of one-unit perturbations of a layered HH network, each simulated as its
perturbed neuron plus the outputs (node perturbation's cheap path)."""

from __future__ import annotations

import torch
from torch import Tensor

from roughgrad._types import Params
from roughgrad.neurons.fused import per_member_output_layer, units_fused
from roughgrad.neurons.hh import exponential_step, resting_state
from roughgrad.neurons.layered.hh import (
    HHNet,
    _accumulate,
    _chunks,
    _compiled,
    _Consts,
    _readout,
)


def hh_forward_units(
    params: Params,
    x: Tensor,
    net: HHNet,
    units: dict[str, tuple[int, Tensor, Tensor]],
    members: int,
) -> tuple[Tensor, Tensor]:
    """Readouts (members, B, O) of ``members`` networks that each perturb one unit (see
    ``NodePerturbable.node_population_units``), and the clean trial-mean trace s-bar (B, H).

    Hidden neurons are not coupled to each other, so a network whose hidden unit j is
    perturbed differs from the clean one only in that neuron and in the outputs: it is
    simulated as one extra hidden neuron plus its O outputs, whose input is the clean output
    current plus (s_j'(t) - s_j(t)) W2[:, j]. Output-unit perturbations are a static offset of
    one output's current. A network costs 1 + O neurons instead of H + O: with H = 100 and
    O = 10, every unit of both layers once (S = 110) costs as much as 11 dense networks.

    ``w2`` (members, O, H) and ``b2`` (members, O) give every network its own output layer
    (perturbations of the output weights: the hidden layer is shared, each network costs O
    neurons); no hidden unit may be perturbed then.
    """
    w1, b1, w2, b2 = params["w1"], params["b1"], params["w2"], params["b2"]
    batch, n_hid, n_out = x.shape[0], w1.shape[0], w2.shape[-2]
    z_h = x @ w1.T + b1  # (B, H)
    offset = z_h.new_zeros(members, batch, n_out)  # static output offsets per network
    if "out" in units:
        first, index, value = units["out"]
        offset[first : first + len(index)].scatter_(2, index[..., None], value[..., None])
    empty = (1, z_h.new_zeros(0, batch).long(), z_h.new_zeros(0, batch))  # no hidden unit
    first, index, value = units.get("hidden", empty)
    n_pert = len(index)
    z_p = z_h.gather(1, index.T).T + value if n_pert else z_h.new_zeros(0, batch)  # (n, B)
    loop = net.loop_backend(z_h, z_p, offset, w2, b2)
    if loop == "fused":
        detached = (t.detach() for t in (z_h, z_p, index, offset, w2, b2))
        out_sum, s_sum = units_fused(*detached, first=first, net=net)
        return _readout(out_sum, net), s_sum / net.steps
    if per_member_output_layer(w2, b2, members, n_pert):  # (units_fused checks its own)
        b2 = b2[:, None, :]  # (members, 1, O) against the outputs' (members, B, O)
    w2t = w2.transpose(-1, -2)
    columns = w2t.contiguous().index_select(0, index.reshape(-1)).view(n_pert, batch, n_out)
    static = net.scale * torch.cat([z_h.reshape(-1), z_p.reshape(-1)])
    size = static.numel() + members * batch * n_out
    v, m, h, n = resting_state((size,), net.hh, dtype=x.dtype, device=x.device).unbind(-1)
    syn, syn_p, s_sum = torch.zeros_like(z_h), torch.zeros_like(z_p), torch.zeros_like(z_h)
    out_sum = offset.new_zeros(members, batch, n_out)
    consts = _Consts.of(net, n_hid, z_h)
    advance = _compiled(_advance_units) if loop == "compile" else _advance_units
    carry = (v, m, h, n, syn, syn_p, s_sum)
    for k in _chunks(net):
        carry, out_sum = advance(
            carry, out_sum, static, offset, w2t, b2, index, columns, first, consts, k
        )
    return _readout(out_sum, net), carry[6] / net.steps


def _advance_units(carry, out_sum, static, offset, w2t, b2, index, columns, first, c, k):
    """k steps of ``hh_forward_units``' neurons, flat: the clean hidden layer (B H), the
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
        out_sum = _accumulate(
            out_sum, v_prev[n_static:].view_as(out_sum), v[n_static:].view_as(out_sum), c
        )
    return (v, m, h, n, syn, syn_p, s_sum), out_sum
