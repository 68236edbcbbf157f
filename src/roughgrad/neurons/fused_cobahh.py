"""The fused C kernel of sparse conductance-based networks (``_cobahh_fused.c``): the COBAHH
benchmark's Traub-Miles neurons with exponential excitatory and inhibitory conductances; see
``roughgrad.neurons.fused``."""

from __future__ import annotations

import ctypes

import torch
from torch import Tensor

from roughgrad.neurons.fused import REALS, TraubParams, check_inputs, cobahh_library


def simulate_cobahh_fused(
    inputs: Tensor,
    steps: int,
    dt: float,
    *,
    weights,
    inhibitory: Tensor | None,
    synapse,
    model,
    neurons: Tensor | None,
    synapses: tuple[Tensor, Tensor] | None,
    trace_tau: float,
    transient: int,
    record_spikes: bool,
) -> tuple[Tensor, Tensor, Tensor, tuple[Tensor, Tensor], Tensor | None]:
    """Spike counts and mean trace (both (..., N)), the final neuron (..., N, 4) and synapse
    states, and the (T, ..., N) spike raster if recorded, of a sparse conductance network of
    ``model`` (TraubMiles) neurons. Called by the fused backend, which checked the request."""
    check_inputs([inputs], "backend='fused'")
    shape, dtype = inputs.shape, inputs.dtype
    n = shape[-1]
    batch = int(torch.Size(shape[:-1]).numel())
    x = model.init_state(shape, dtype=dtype, device=None) if neurons is None else neurons
    v, m, h, nn = (c.to(dtype).reshape(batch, n).contiguous() for c in x.unbind(-1))
    zero = torch.zeros(batch, n, dtype=dtype)
    g = (torch.zeros(shape), torch.zeros(shape)) if synapses is None else synapses
    ge, gi = (t.to(dtype).expand(shape).reshape(batch, n).contiguous() for t in g)
    drive = inputs.reshape(batch, n).contiguous()
    inh = torch.zeros(n, dtype=torch.uint8) if inhibitory is None else inhibitory.to(torch.uint8)
    start, post = weights.start.contiguous(), weights.post.contiguous()
    value = weights.value.to(dtype).contiguous()
    counts, out_sum = zero.clone(), zero.clone()
    raster = torch.zeros(steps, batch, n, dtype=torch.uint8) if record_spikes else None

    def decay(tau: float) -> float:  # in the kernel's precision, as the torch backend has it
        return float(torch.exp(torch.tensor(-dt / tau, dtype=dtype)))

    p = model.params
    params = TraubParams(p.g_na, p.g_k, p.g_l, p.e_na, p.e_k, p.e_l, p.c_m, model.v_t)
    fn = getattr(cobahh_library(), f"cobahh_run_{REALS[dtype][0]}")
    fn(
        batch, n, v.data_ptr(), m.data_ptr(), h.data_ptr(), nn.data_ptr(), ge.data_ptr(),
        gi.data_ptr(), drive.data_ptr(), start.data_ptr(), post.data_ptr(), value.data_ptr(),
        inh.contiguous().data_ptr(), counts.data_ptr(), out_sum.data_ptr(),
        None if raster is None else raster.data_ptr(), steps, dt, decay(synapse.tau_e),
        decay(synapse.tau_i), synapse.e_e, synapse.e_i, decay(trace_tau), model.v_th,
        transient, ctypes.byref(params), torch.get_num_threads(),
    )  # fmt: skip
    final = torch.stack([v, m, h, nn], -1).reshape(*shape, 4)
    spikes = None if raster is None else raster.bool().reshape(steps, *shape)
    return (
        counts.reshape(shape),
        (out_sum / (steps - transient)).reshape(shape),
        final,
        (ge.reshape(shape), gi.reshape(shape)),
        spikes,
    )
