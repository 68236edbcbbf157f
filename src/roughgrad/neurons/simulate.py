"""Batched simulation of Hodgkin-Huxley (or LIF) networks: one tensor program, a loop over time.

Every tensor has leading batch dimensions (trials x population x ...) and a last dimension of
N neurons; nothing loops over neurons or trials. Each neuron receives

    I(t) = w_in * i_input + W_rec @ s(t) + noise_std * sqrt(NOISE_REF_DT / dt) * xi(t),

with xi ~ N(0, 1) drawn every step and s(t) the synaptic trace of the presynaptic neurons.
The noise is white current noise of fixed intensity: ``noise_std`` is its per-step std at the
reference step NOISE_REF_DT = 0.01 ms (the write-up's dt), and the sqrt(dt) factor keeps the
variance it adds to V over a fixed time independent of dt (a per-step std that ignored dt
would give 5x the variance at dt = 0.05 as at 0.01). Synapse model (exponentially
decaying synaptic current driven by presynaptic activity, time constant tau_syn):
  * "graded" (default): ds/dt = (a(t) - s) / tau_syn with a(t) = sigmoid((V - v_th) / width),
    a smooth activity that autodiff can differentiate;
  * "spike": s decays with tau_syn and jumps by 1 at each spike (upward crossing of v_th);
    the coupling term is only computed on steps with a spike (event-driven, as Brian2 does).
The output a(t) that losses use (L = mean_t a(t) is the write-up's "average output over tau"):
  * "trace" (default): a spike-triggered trace that jumps by 1 at each spike and decays with
    tau_syn, so L ~ spike count x tau_syn / T, with jumps when the count changes and small
    variations with the timing of the last spikes (the write-up's loss curves);
  * "sigmoid": a(t) = sigmoid((V - out_th) / width), out_th = 0 mV: on only during full
    spikes, off at rest and in depolarisation block; smooth in V (for autodiff).
Spikes are upward crossings of v_th = -30 mV, low enough to count the small spikes of strongly
driven neurons until depolarisation block (about 97 uA/cm^2), where firing stops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from roughgrad.neurons.backends import backend as _backend
from roughgrad.neurons.hh import HHParams, SimulationError
from roughgrad.neurons.models import LIF, NEURONS, HodgkinHuxley, NeuronModel

LIFParams = LIF  # the LIF model's parameters are the model (kept under its old name)
DEFAULT_HH, DEFAULT_LIF = HHParams(), LIFParams()


NOISE_REF_DT = 0.01  # ms: the step at which noise_std is the per-step std of the current noise


@dataclass
class SimResult:
    """spike_counts (..., N); output_mean (..., N) = mean_t a(t) after the transient;
    v (T, ..., N) when recorded; spikes (T, ..., N) bool when recorded."""

    spike_counts: Tensor
    output_mean: Tensor
    v: Tensor | None = None
    spikes: Tensor | None = None

    def rates_hz(self, duration_ms: float) -> Tensor:
        return self.spike_counts / (duration_ms / 1000.0)


def simulate(
    w_in: Tensor,
    steps: int,
    dt: float = 0.01,
    *,
    i_input: float | Tensor = 10.0,
    w_rec: Tensor | None = None,
    noise_std: float = 0.0,
    generator: torch.Generator | None = None,
    model: str | NeuronModel = "hh",
    method: Literal["exponential", "euler"] = "exponential",
    synapse: Literal["graded", "spike"] = "graded",
    tau_syn: float = 5.0,
    v_th: float = -30.0,
    width: float = 2.0,
    output: Literal["trace", "sigmoid"] = "trace",
    out_th: float = 0.0,
    transient: int = 0,
    record_v: bool = False,
    record_spikes: bool = False,
    params: HHParams = DEFAULT_HH,
    lif: LIFParams = DEFAULT_LIF,
    state: Tensor | None = None,
    backend: Literal["torch", "fused"] = "torch",
) -> SimResult:
    """Simulate ``steps`` steps of dt ms for neurons with input weights ``w_in`` (..., N).

    Args:
        w_in: (..., N) input weights; i_input: the input current (uA/cm^2), scalar or
            broadcastable to w_in.
        w_rec: (N, N) or (..., N, N) recurrent weights (row: postsynaptic), uA/cm^2 per unit
            of synaptic trace; None for no coupling.
        noise_std: current noise (uA/cm^2): the per-step std at dt = NOISE_REF_DT (0.01 ms),
            scaled by sqrt(NOISE_REF_DT / dt) at other steps so that its intensity does not
            depend on dt; needs ``generator``.
        model: a ``NeuronModel`` or a key of ``roughgrad.neurons.models.NEURONS``: "hh"
            (with ``params``, ``method`` and ``v_th``), "lif" (with ``lif``: the threshold is
            lif.v_th and a spike resets V), "izhikevich" (the regular-spiking defaults).
        output: "trace" or "sigmoid" (see the module docstring).
        transient: steps excluded from spike counts and the mean output.
        record_v / record_spikes: keep the (T, ..., N) traces (memory: T x batch x N).
        state: initial (..., N, K) state of the model; default: its rest.
        backend: "torch" (tensor ops, differentiable, any device) or "fused" (a compiled C
            loop, forward only, CPU; 20x faster on a population of 100 x 100 neurons here:
            ``benchmarks/hh_vs_brian2.py``, ``roughgrad.neurons.fused``).
            "fused" supports model="hh", method="exponential", synapse="spike" and
            output="trace", without recording.

    Returns:
        SimResult. Raises SimulationError for a bad dt or a non-finite state.
    """
    neuron = _neuron(model, params, method, v_th, lif)
    neuron.check_dt(dt)
    if steps < 1 or not 0 <= transient < steps:
        raise SimulationError(
            f"need steps >= 1 and 0 <= transient < steps, got {steps}, {transient}"
        )
    if noise_std and generator is None:
        raise SimulationError("noise_std > 0 needs an explicit generator=torch.Generator()")
    _backend(backend, "recurrent", _key(neuron))
    noise_std = noise_std * math.sqrt(NOISE_REF_DT / dt)  # per step: fixed intensity
    # the integrator named in errors: the model's own (an instance may differ from ``method``)
    method = neuron.method if isinstance(neuron, HodgkinHuxley) else method
    if backend == "fused":  # the registry runs only HodgkinHuxley here: its settings apply
        assert isinstance(neuron, HodgkinHuxley)
        _check_fused(neuron.method, output, synapse if w_rec is not None else "spike")
        if record_v or record_spikes:
            raise SimulationError("backend='fused' does not record traces; use backend='torch'")
        from roughgrad.neurons.fused import simulate_fused

        counts, out_mean, final = simulate_fused(
            w_in, steps, dt, i_input=i_input, w_rec=w_rec, noise_std=noise_std,
            generator=generator, tau_syn=tau_syn, v_th=neuron.v_th, transient=transient,
            params=neuron.params, state=state,
        )  # fmt: skip
        if not torch.isfinite(final[..., 0]).all():
            _blowup(steps - 1, dt, method)
        return SimResult(counts, out_mean)
    shape, dtype, dev = w_in.shape, w_in.dtype, w_in.device
    drive = w_in * i_input  # (..., N)
    x = neuron.init_state(shape, dtype=dtype, device=dev) if state is None else state
    v = x[..., 0]
    syn = torch.zeros_like(drive)  # presynaptic trace (graded synapses)
    i_syn = torch.zeros_like(drive)  # postsynaptic current W_rec @ trace
    decay = torch.exp(torch.tensor(-dt / tau_syn, dtype=dtype))
    counts = torch.zeros_like(drive)
    out_sum = torch.zeros_like(drive)
    trace = torch.zeros_like(drive)
    vs, sps = [], []
    for t in range(steps):  # time is the only Python loop
        current = drive + i_syn
        if noise_std:
            current = current + noise_std * torch.randn(
                shape, generator=generator, dtype=dtype, device=dev
            )
        x, spiked = neuron.step(x, current, dt)
        v = x[..., 0]
        # graded models: a smooth activity of V; reset models: their spikes
        act = torch.sigmoid((v - out_th) / width) if neuron.graded else spiked.to(dtype)
        if w_rec is not None:
            if synapse == "graded":  # dense: every neuron's activity changes every step
                syn = syn * decay + (1 - decay) * act
                i_syn = _couple(w_rec, syn)
            else:  # event-driven: W @ trace decays, and grows only by W @ spikes on a spike
                i_syn = i_syn * decay
                if bool(spiked.any()):
                    i_syn = i_syn + _couple(w_rec, spiked.to(dtype))
        if output == "trace":
            trace = trace * decay + spiked.to(dtype)
        if t >= transient:
            counts = counts + spiked.to(dtype)
            out_sum = out_sum + (trace if output == "trace" else act)
        if record_v:
            vs.append(v)
        if record_spikes:
            sps.append(spiked)
        if t % 1000 == 999 and not torch.isfinite(v).all():
            _blowup(t, dt, method)
    if not torch.isfinite(v).all():
        _blowup(steps - 1, dt, method)
    return SimResult(
        counts,
        out_sum / (steps - transient),
        torch.stack(vs) if record_v else None,
        torch.stack(sps) if record_spikes else None,
    )


def _neuron(
    model: str | NeuronModel, params: HHParams, method: str, v_th: float, lif: LIFParams
) -> NeuronModel:
    """The model behind ``simulate``'s ``model`` argument (a name or an instance)."""
    if isinstance(model, NeuronModel):
        return model
    if model == "hh":
        return HodgkinHuxley(params, method, v_th)  # type: ignore[arg-type]
    if model == "lif":
        return lif
    if model not in NEURONS:
        raise SimulationError(f"unknown model {model!r}; registered: {', '.join(NEURONS)}")
    return NEURONS[model]()


def _key(neuron: NeuronModel) -> str:
    """The registry key of ``neuron``'s model (what backends declare they run)."""
    return next((k for k, cls in NEURONS.items() if type(neuron) is cls), type(neuron).__name__)


def _check_fused(method: str, output: str, synapse: str) -> None:
    """Refuse the options the fused kernel does not implement, naming the one it does."""
    given = {"method": method, "output": output, "synapse": synapse}
    wanted = {"method": "exponential", "output": "trace", "synapse": "spike"}
    for key, value in wanted.items():
        if given[key] != value:
            raise SimulationError(
                f"backend='fused' supports {key}={value!r} only, got {given[key]!r}; "
                "use backend='torch'"
            )


def _couple(w_rec: Tensor, s: Tensor) -> Tensor:
    """W_rec @ s over the last dim; W_rec (N, N) shared or (..., N, N) per batch member."""
    if w_rec.dim() > 2:
        return torch.einsum("...ij,...j->...i", w_rec, s)
    return s @ w_rec.T


def _blowup(t: int, dt: float, method: str) -> None:
    raise SimulationError(
        f"the membrane potential became non-finite by step {t + 1} (t = {(t + 1) * dt:g} ms) "
        f"with dt={dt:g} ms ({method}); use a smaller dt (e.g. 0.01 ms) or method='exponential'"
    )
