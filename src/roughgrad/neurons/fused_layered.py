"""The layered HH classifiers' fused entry points (``roughgrad.neurons.layered``): dense
populations of networks and node perturbation's one-unit networks, in the HH kernel of
``roughgrad.neurons.fused``."""

from __future__ import annotations

import ctypes

import torch
from torch import Tensor

from roughgrad.neurons.fused import REALS, CParams, check_inputs, layered_library
from roughgrad.neurons.hh import resting_state

READOUTS = {"voltage": 0, "membrane": 1, "spikes": 2}


def _layered_tail(net, dtype: torch.dtype, out_sum: Tensor, s_sum: Tensor) -> list:
    """The arguments the layered kernels share: the time grid, the synapse, the readout,
    the outputs, the HH parameters, the resting state and the thread count."""
    from roughgrad.neurons.hh import SPIKE_TH

    rest = resting_state((1,), net.hh, dtype=torch.float64)[0].tolist()
    p = CParams(*(getattr(net.hh, f[0]) for f in CParams._fields_))
    return [
        net.steps, net.dt, net.scale, net.rise(), net.midpoint, net.r0, SPIKE_TH,
        READOUTS[net.readout], out_sum.data_ptr(), s_sum.data_ptr(), ctypes.byref(p), *rest,
        torch.get_num_threads(),
    ]  # fmt: skip


def layered_fused(z_h: Tensor, z_o: Tensor, w2: Tensor, net) -> tuple[Tensor, Tensor]:
    """Readout sums (*lead, B, O) and trace sums (*lead, B, H) over ``net.steps`` of the
    layered HH classifier (``roughgrad.neurons.layered.hh``): z_h (*lead, B, H) static hidden
    pre-activations, z_o (*lead, B, O) static output offsets (b2 plus noise), w2 (O, H) or
    (*lead, O, H). Every (member, example) network runs in one C loop."""
    check_inputs([z_h, z_o, w2], "backend='fused'")
    dtype, (batch, hidden), outputs = z_h.dtype, z_h.shape[-2:], w2.shape[-2]
    lead = torch.broadcast_shapes(z_h.shape[:-2], z_o.shape[:-2], w2.shape[:-2])
    z_h = z_h.to(dtype).expand(*lead, batch, hidden).contiguous()
    z_o = z_o.to(dtype).expand(*lead, batch, outputs).contiguous()
    batched = w2.dim() > 2
    w2 = (w2.to(dtype).expand(*lead, outputs, hidden) if batched else w2.to(dtype)).contiguous()
    out_sum = torch.zeros(*lead, batch, outputs, dtype=dtype)
    s_sum = torch.zeros(*lead, batch, hidden, dtype=dtype)
    fn = getattr(layered_library(), f"hhl_run_{REALS[dtype][0]}")
    fn(
        int(torch.Size(lead).numel()) * batch, batch, hidden, outputs, z_h.data_ptr(),
        z_o.data_ptr(), w2.data_ptr(), int(batched), *_layered_tail(net, dtype, out_sum, s_sum),
    )  # fmt: skip
    return out_sum, s_sum


def per_member_output_layer(w2: Tensor, b2: Tensor, members: int, perturbed: int) -> bool:
    """Whether w2 (members, O, H) and b2 (members, O) give each of ``members`` one-unit
    networks its own output layer (else w2 (O, H), b2 (O,) are shared); per-member layers
    admit no perturbed hidden unit (``perturbed`` must be 0). A ValueError names a mismatch."""
    if w2.dim() == 2:
        return False
    if perturbed or w2.shape[0] != members or b2.shape != (members, w2.shape[1]):
        raise ValueError(
            f"per-member w2 {tuple(w2.shape)} and b2 {tuple(b2.shape)} need {members} members "
            f"and no perturbed hidden unit (got {perturbed})"
        )
    return True


def units_fused(
    z_h: Tensor,
    z_p: Tensor,
    index: Tensor,
    offset: Tensor,
    w2: Tensor,
    b2: Tensor,
    *,
    first: int,
    net,
) -> tuple[Tensor, Tensor]:
    """Readout sums (members, B, O) and the clean trace sum (B, H) of ``members`` networks
    that each perturb one unit (``roughgrad.neurons.layered.hh_units``): z_h (B, H) clean
    hidden pre-activations, z_p (n, B) the perturbed hidden units' pre-activations, standing
    for unit ``index`` (n, B) of members first..first+n-1, offset (members, B, O) static
    output offsets on top of b2 (O,), w2 (O, H). w2 (members, O, H) with b2 (members, O) gives
    each member its own output layer (then no hidden unit may be perturbed: n = 0)."""
    check_inputs([z_h, z_p, offset, w2, b2], "backend='fused'")
    dtype, (batch, hidden), (members, _, outputs) = z_h.dtype, z_h.shape, offset.shape
    batched = per_member_output_layer(w2, b2, members, z_p.shape[0])
    tensors = [t.to(dtype).contiguous() for t in (z_h, z_p, offset, b2)]
    index = index.to(torch.int64).contiguous()
    w2 = w2.to(dtype).contiguous()
    out_sum = torch.zeros(members, batch, outputs, dtype=dtype)
    s_sum = torch.zeros(batch, hidden, dtype=dtype)
    z_h, z_p, offset, b2 = tensors
    fn = getattr(layered_library(), f"hhu_run_{REALS[dtype][0]}")
    fn(
        batch, hidden, outputs, members, z_p.shape[0], first, z_h.data_ptr(), z_p.data_ptr(),
        index.data_ptr(), offset.data_ptr(), w2.data_ptr(), b2.data_ptr(), int(batched),
        *_layered_tail(net, dtype, out_sum, s_sum),
    )  # fmt: skip
    return out_sum, s_sum
