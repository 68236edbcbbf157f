"""The fused backend: compiled C loops (``roughgrad.neurons.fused``)."""

from __future__ import annotations

import torch
from torch import Tensor

from roughgrad.neurons.backends import layered as loops
from roughgrad.neurons.backends.base import Backend, Request, SimResult, SimState, blowup
from roughgrad.neurons.models import HodgkinHuxley, TraubMiles
from roughgrad.neurons.network import ConductanceSynapse, CurrentSynapse, SparseWeights


class Fused(Backend):
    """Two kernels: populations of HodgkinHuxley neurons with dense current synapses
    (``_hh_fused.c``), and sparse conductance networks of TraubMiles neurons, the COBAHH
    benchmark (``_cobahh_fused.c``)."""

    name = "fused"
    summary = "one compiled C loop per block of neurons: forward only, CPU (float32/float64)"
    differentiable = False
    layered = ("hh", "lif")

    def supports(self, request: Request) -> str | None:
        net = request.network
        grads = (request.inputs, net.weights)
        if torch.is_grad_enabled() and any(
            isinstance(t, Tensor) and t.requires_grad for t in grads
        ):
            return "it is forward only (autograd does not see through it)"
        if net.readout.kind != "trace":
            return "it runs readout kind='trace' only"
        if type(request.model) is TraubMiles:
            return _conductance_reason(request)
        return _current_reason(request)

    def run(self, request: Request) -> SimResult:
        if type(request.model) is TraubMiles:
            return _run_conductance(request)
        return _run_current(request)

    def run_layered(self, request: loops.LayeredRequest) -> loops.LayeredResult:
        from roughgrad.neurons import fused, fused_layered

        net = request.net
        if request.eager or (request.layout == "hh" and net.generic):
            return super().run_layered(request)
        z_h, w2, b2 = (t.detach() for t in (request.z_h, request.w2, request.b2))
        if request.layout == "lif":
            lead = z_h.shape[:-2]
            batch, outputs = z_h.shape[-2], w2.shape[-2]
            members = int(torch.Size(lead).numel())
            counts, s_sum = fused.lif_fused(
                z_h.reshape(members, batch, -1),
                b2.expand(*lead, batch, outputs).reshape(members, batch, outputs),
                w2.expand(*lead, *w2.shape[-2:]).reshape(members, outputs, -1),
                net.steps, net.beta, net.threshold,
            )  # fmt: skip
            shape = (*lead, batch, -1)
            return loops.LayeredResult(counts.reshape(shape), s_sum.reshape(shape) / net.steps)
        if request.layout == "hh-units":
            assert request.z_p is not None and request.index is not None
            assert request.offset is not None
            z_p, index, offset = (t.detach() for t in (request.z_p, request.index, request.offset))
            out_sum, s_sum = fused_layered.units_fused(
                z_h, z_p, index, offset, w2, b2, first=request.first, net=net
            )
        else:
            out_sum, s_sum = fused_layered.layered_fused(z_h, b2, w2, net)
        return loops.LayeredResult(loops.readout(out_sum, net), s_sum / net.steps)


def _current_reason(request: Request) -> str | None:
    model, net = request.model, request.network
    if type(model) is not HodgkinHuxley or model.method != "exponential":
        return (
            "it runs HodgkinHuxley neurons with method='exponential' (or TraubMiles in sparse "
            "conductance networks) only"
        )
    syn, w = net.synapse, net.weights
    if w is not None:
        if not isinstance(syn, CurrentSynapse) or syn.kind != "spike":
            return "it runs HodgkinHuxley with synapse=CurrentSynapse(kind='spike') only"
        if not isinstance(w, Tensor):
            return "it runs HodgkinHuxley with dense weights only"
        if net.readout.tau != syn.tau:
            return "its trace readout decays with the synapse's tau"
    if request.record:
        return "it does not record HodgkinHuxley traces"
    if request.state is not None and request.state.synapses is not None:
        return "it starts HodgkinHuxley from a neuron state only (no synaptic state)"
    return None


def _conductance_reason(request: Request) -> str | None:
    net = request.network
    if not isinstance(net.synapse, ConductanceSynapse):
        return "it runs TraubMiles with synapse=ConductanceSynapse(...) only"
    if not isinstance(net.weights, SparseWeights):
        return "it runs TraubMiles with SparseWeights only (random_sparse)"
    if net.noise_std:
        return "it runs TraubMiles networks without noise only"
    if set(request.record) - {"spikes"}:
        return "it records spikes only for TraubMiles"
    return None


def _run_current(request: Request) -> SimResult:
    from roughgrad.neurons.fused import simulate_fused

    model, net = request.model, request.network
    assert isinstance(model, HodgkinHuxley)  # supports() said so, and that the weights
    assert net.weights is None or isinstance(net.weights, Tensor)  # are dense
    counts, out_mean, final = simulate_fused(
        request.inputs, request.steps, request.dt, w_rec=net.weights,
        noise_std=net.noise_per_step(request.dt), generator=request.generator,
        tau_syn=net.readout.tau, v_th=model.v_th, transient=request.transient,
        params=model.params, state=None if request.state is None else request.state.neurons,
    )  # fmt: skip
    if not torch.isfinite(final[..., 0]).all():
        raise blowup(request.steps - 1, request)
    return SimResult(counts, out_mean, state=SimState(final))


def _run_conductance(request: Request) -> SimResult:
    from roughgrad.neurons.fused_cobahh import simulate_cobahh_fused

    model, net, start = request.model, request.network, request.state
    assert isinstance(net.synapse, ConductanceSynapse)  # supports() said so
    synapses = None if start is None else start.synapses
    counts, out_mean, final, g, spikes = simulate_cobahh_fused(
        request.inputs, request.steps, request.dt, weights=net.weights,
        inhibitory=net.inhibitory, synapse=net.synapse, model=model,
        neurons=None if start is None else start.neurons,
        synapses=None if synapses is None else (synapses[0], synapses[1]),
        trace_tau=net.readout.tau, transient=request.transient,
        record_spikes="spikes" in request.record,
    )  # fmt: skip
    if not torch.isfinite(final[..., 0]).all():
        raise blowup(request.steps - 1, request)
    return SimResult(counts, out_mean, spikes=spikes, state=SimState(final, g))
