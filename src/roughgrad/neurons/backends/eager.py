"""The torch backend: tensor ops one step at a time; any NeuronModel, any network, autograd."""

from __future__ import annotations

import torch

from roughgrad.neurons.backends import layered as loops
from roughgrad.neurons.backends.base import Backend, Request, SimResult, SimState, blowup

FINITE_CHECK_EVERY = 1000  # steps: a blow-up is reported within this many steps of happening


class Eager(Backend):
    name = "torch"
    summary = (
        "tensor ops, one step at a time: any neuron model and network, differentiable, any device"
    )
    differentiable = True
    layered = ("hh", "lif")

    def supports(self, request: Request) -> str | None:
        return None

    def run(self, request: Request) -> SimResult:
        model, net, inputs, dt = request.model, request.network, request.inputs, request.dt
        shape, dtype, dev = inputs.shape, inputs.dtype, inputs.device
        start = request.state
        x = model.init_state(shape, dtype=dtype, device=dev) if start is None else start.neurons
        given = None if start is None else start.synapses  # a synaptic state to continue from
        syn = net.synapse.init(inputs) if given is None else given
        coupled = net.weights is not None or given is not None
        noise = net.noise_per_step(dt)
        v = x[..., 0]
        trace, counts, out_sum = (torch.zeros_like(inputs) for _ in range(3))
        vs, sps = [], []
        for t in range(request.steps):  # time is the only Python loop
            current, g_syn = inputs, None
            if coupled:
                i_syn, g_syn = net.synapse.drive(syn, v)
                current = inputs + i_syn
            if noise:
                current = current + noise * torch.randn(
                    shape, generator=request.generator, dtype=dtype, device=dev
                )
            if g_syn is None:
                x, spiked = model.step(x, current, dt)
            else:
                x, spiked = model.step_conductance(x, current, g_syn, dt)
            v = x[..., 0]
            if coupled:
                syn = net.synapse.update(syn, net, v, spiked, dt, model.graded)
            trace, out = net.readout.step(trace, v, spiked, dt, model.graded)
            if t >= request.transient:
                counts = counts + spiked.to(dtype)
                out_sum = out_sum + out
            if "v" in request.record:
                vs.append(v)
            if "spikes" in request.record:
                sps.append(spiked)
            if t % FINITE_CHECK_EVERY == FINITE_CHECK_EVERY - 1 and not torch.isfinite(v).all():
                raise blowup(t, request)
        if not torch.isfinite(v).all():
            raise blowup(request.steps - 1, request)
        return SimResult(
            counts,
            out_sum / (request.steps - request.transient),
            torch.stack(vs) if vs else None,
            torch.stack(sps) if sps else None,
            SimState(x, syn),
        )

    def run_layered(self, request: loops.LayeredRequest) -> loops.LayeredResult:
        if request.layout == "lif":
            return loops.lif_loop(request)
        if request.layout == "hh-units":
            return loops.units_loop(request)
        if request.net.generic:  # any NeuronModel, or conductance synapses
            return loops.any_model_loop(request)
        return loops.hh_loop(request)
