"""Layered networks of neurons: input -> hidden -> output, batched over examples and members.

Two families, each a function of the parameters w1 (*lead, H, I), b1 (*lead, H), w2 (*lead,
O, H), b2 (*lead, O) and inputs x (B, I), where ``lead`` is an optional population shape (S
perturbed networks are one tensor program, not a loop):

**Hodgkin-Huxley** (:class:`HHNet`, :func:`hh_forward`; the seed's BNN). The ANN's weights
drive HH neurons:

    z_h        = x W1^T + b1                      (B, H), static over the trial
    I_h        = scale * z_h                      hidden input currents (uA/cm^2)
    h(t)       = sigmoid((V_h(t) - midpoint) / 2) / r0   hidden activity (0.5-1 when firing)
    s(t)       = s + (1 - e^{-dt/tau_syn}) (h(t) - s)    synaptic trace of h
    z_o(t)     = s(t) W2^T + b2,  I_o = scale * z_o       output currents
    o          = mean_t sigmoid((V_o(t) - midpoint) / 2) / r0    readout "voltage" (mollified)
             or  mean_t (V_o(t) + 65 mV) / 20 mV                readout "membrane" (graded)
             or  spike count / (T dt * 100 Hz)                  readout "spikes" (piecewise
                                                                constant)

with midpoint -30 mV and r0 = 0.2 by default. The midpoint -30 mV is the spike threshold used
throughout roughgrad: measured at dt = 0.1 ms over 100 ms, the fraction of time above it grows
monotonically with the input current from onset (0.11 at 6.5 uA/cm^2) to 0.20 at 60-80
uA/cm^2, where a midpoint of 0 mV peaks at 20 uA/cm^2 and falls as strongly driven spikes
shrink -- a readout that cannot tell strong from weak drive. The simulation runs ``steps``
steps of ``dt`` ms (the seed's timeframes: 1000 steps of 0.01, 0.05 or 0.1 ms). Backends:
``"torch"`` and ``"compile"`` (see :mod:`roughgrad.neurons.backends`).

**Leaky integrate-and-fire, as snnTorch builds it** (:class:`LIFNet`, :func:`lif_forward`):
discrete-time ``Leaky`` neurons (reset by subtraction, taken from the previous step's spike)
driven by the static input current every step; the output is the spike count. Backends:
``"torch"`` and ``"fused"``.

Noise for node perturbation is added to the pre-activations z_h and z_o: static (one value per
example and unit for the whole trial) or per step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor

from roughgrad._types import Params
from roughgrad.neurons.backends import backend as _backend
from roughgrad.neurons.fused import lif_fused
from roughgrad.neurons.hh import HHParams, exponential_step, resting_state

SPIKE_TH = -30.0  # mV: upward crossings are spikes; the mollified activity's midpoint
R0 = 0.2  # mean sigmoid((V + 30) / 2 mV) of an HH neuron driven hard (0.11 at onset, 0.2 at 60)
RATE_REF_HZ = 100.0  # the "spikes" readout is the rate in units of 100 Hz
V_REST, V_SCALE = -65.0, 20.0  # the "membrane" readout: (mean V - V_REST) / V_SCALE


@dataclass(frozen=True)
class HHNet:
    """The simulation settings of an HH classifier.

    Args:
        steps: time steps per trial; dt: ms per step (1000 steps: 0.01 -> 10 ms, 0.1 -> 100 ms);
        scale: uA/cm^2 per unit of pre-activation; tau_syn: synaptic time constant (ms);
        readout: "voltage" (mollified, differentiable), "membrane" (mean membrane potential:
            graded below threshold too) or "spikes" (counts; piecewise constant);
        backend: "torch" (one step at a time) or "compile" (the time loop in torch.compile'd
            chunks of ``chunk`` steps: 5-10x faster on a CPU once compiled; the first call of
            each shape compiles for ~10-30 s). Per-step noise and recording run eagerly.
        midpoint, r0: the activity sigmoid((V - midpoint) / 2 mV) / r0 of hidden and output
            neurons.
    """

    steps: int = 1000
    dt: float = 0.01
    scale: float = 40.0
    tau_syn: float = 5.0
    readout: Literal["voltage", "membrane", "spikes"] = "voltage"
    hh: HHParams = field(default_factory=HHParams)
    backend: Literal["torch", "compile"] = "torch"
    chunk: int = 5
    midpoint: float = SPIKE_TH
    r0: float = R0

    def __post_init__(self) -> None:
        _backend(self.backend, "layered", "hh")

    def duration_ms(self) -> float:
        return self.steps * self.dt


def hh_forward(
    params: Params,
    x: Tensor,
    net: HHNet,
    noise: dict[str, Tensor] | None = None,
    *,
    record: bool = False,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """Readout o (*lead, B, O), trial-mean synaptic trace s-bar (*lead, B, H) and, if
    ``record``, the trace s(t) seen by the output layer at every step (T, B, H) of the first
    population member.

    params: w1 (*lead, H, I), b1 (*lead, H), w2 (*lead, O, H), b2 (*lead, O), where ``lead`` is
    an optional population shape shared by all four; x (B, I). noise["hidden"] / noise["out"]:
    (*lead, B, d) static or (*lead, T, B, d) per step, added to z_h / z_o. With
    ``net.backend == "compile"`` and static noise, the time loop runs in torch.compile'd chunks
    of ``net.chunk`` steps (one fused kernel per chunk instead of ~50 small ones per step).
    """
    o, s_bar, s_seq, _ = _run(params, x, net, noise or {}, record, False)
    return o, s_bar, s_seq


def hh_activity(
    params: Params, x: Tensor, net: HHNet, noise: dict[str, Tensor] | None = None
) -> tuple[Tensor, Tensor]:
    """The output neurons' activity a(t) = sigmoid((V_o(t) - midpoint) / 2) / r0 at every step
    (T, *lead, B, O), and the trace s(t) the output layer saw (T, B, H) of the first member;
    arguments as :func:`hh_forward`. Runs eagerly (a loss on every step of the trial)."""
    _, _, s_seq, a_seq = _run(params, x, net, noise or {}, True, True)
    assert s_seq is not None and a_seq is not None
    return a_seq, s_seq


def _run(params, x, net: HHNet, noise, record: bool, record_output: bool):
    w1, b1, w2, b2 = params["w1"], params["b1"], params["w2"], params["b2"]
    n_hid = w1.shape[-2]
    z_h = x @ w1.transpose(-1, -2) + b1[..., None, :]  # (*lead, B, H)
    w2t, b2 = w2.transpose(-1, -2), b2[..., None, :]
    per_step = any(v.dim() == z_h.dim() + 1 for v in noise.values())
    if "hidden" in noise and not per_step:
        z_h = z_h + noise["hidden"]
    if "out" in noise and not per_step:
        b2 = b2 + noise["out"]  # a static offset of z_o
    rest = resting_state(
        (*z_h.shape[:-1], n_hid + w2.shape[-2]), net.hh, dtype=x.dtype, device=x.device
    )
    carry = (*rest.unbind(-1), torch.zeros_like(z_h), torch.zeros_like(z_h))
    out_sum = torch.zeros_like(carry[0][..., n_hid:])
    consts = _Consts.of(net, n_hid, z_h)
    s_seq = a_seq = None
    if per_step or record or record_output:  # eager, one step at a time
        seq, outs = [], []
        for t in range(net.steps):
            zh_t, b2_t = z_h, b2
            if per_step and "hidden" in noise:
                zh_t = z_h + noise["hidden"][..., t, :, :]
            if per_step and "out" in noise:
                b2_t = b2 + noise["out"][..., t, :, :]
            if record:
                seq.append(carry[4].reshape(-1, *z_h.shape[-2:])[0])
            carry, out_sum = _advance(carry, out_sum, zh_t, w2t, b2_t, consts, 1)
            if record_output:
                outs.append(torch.sigmoid((carry[0][..., n_hid:] - net.midpoint) / 2.0) / net.r0)
        s_seq = torch.stack(seq) if record else None
        a_seq = torch.stack(outs) if record_output else None
    else:
        advance = _compiled_advance() if net.backend == "compile" else _advance
        done = 0
        while done < net.steps:
            k = min(net.chunk, net.steps - done)
            carry, out_sum = advance(carry, out_sum, z_h, w2t, b2, consts, k)
            done += k
    return _readout(out_sum, net), carry[5] / net.steps, s_seq, a_seq


def _clean_trial(params: Params, x: Tensor, net: HHNet):
    """w2, b2, z_h (B, H), the resting carry, a zero readout sum and the constants of one
    clean (unperturbed, population-free) trial, stepped eagerly by its callers."""
    w1, b1, w2, b2 = params["w1"], params["b1"], params["w2"], params["b2"]
    n_hid = w1.shape[0]
    z_h = x @ w1.T + b1  # (B, H)
    rest = resting_state((x.shape[0], n_hid + w2.shape[0]), net.hh, dtype=x.dtype)
    carry = (*rest.unbind(-1), torch.zeros_like(z_h), torch.zeros_like(z_h))
    out_sum = torch.zeros_like(carry[0][..., n_hid:])
    return w2, b2, z_h, carry, out_sum, _Consts.of(net, n_hid, z_h)


def hh_reset_activity(
    params: Params, x: Tensor, net: HHNet, out_noise: Tensor
) -> tuple[Tensor, Tensor]:
    """One clean trial, and at every step the output neurons' next activity (S, T, B, O) had
    their current at that step been offset by ``out_noise[:, t]`` (S, T, B, O) -- each step
    perturbed from the clean state (node perturbation through time's "reset" mode) -- with the
    clean trace s(t) (T, B, H). A hidden offset would reach the outputs only through the
    synapse one step later, past the scored step, so there is none."""
    w2, b2, z_h, carry, out_sum, consts = _clean_trial(params, x, net)
    n_hid, rows, seen = z_h.shape[-1], [], []
    for t in range(net.steps):
        seen.append(carry[4])
        z_o = carry[4] @ w2.T + b2 + out_noise[:, t]  # (S, B, O)
        v, m, h, n = (c[..., n_hid:].expand_as(z_o) for c in carry[:4])
        v = exponential_step(v, m, h, n, net.scale * z_o, consts.dt, net.hh)[0]
        rows.append(torch.sigmoid((v - net.midpoint) / 2.0) / net.r0)
        carry, out_sum = _advance(carry, out_sum, z_h, w2.T, b2, consts, 1)
    return torch.stack(rows, 1), torch.stack(seen)


def _readout(out_sum: Tensor, net: HHNet) -> Tensor:
    """The readout o from the output neurons' per-step sums (see ``_accumulate``)."""
    if net.readout == "voltage":
        return out_sum / (net.steps * net.r0)
    if net.readout == "membrane":
        return (out_sum / net.steps - V_REST) / V_SCALE
    return out_sum / (net.duration_ms() / 1000 * RATE_REF_HZ)


@dataclass(frozen=True)
class _Consts:
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

    @classmethod
    def of(cls, net: HHNet, n_hid: int, like: Tensor) -> _Consts:
        def t(value: float) -> Tensor:
            return torch.tensor(value, dtype=like.dtype, device=like.device)

        rise = 1.0 - math.exp(-net.dt / net.tau_syn)
        return cls(
            t(net.dt), t(net.scale), t(rise), n_hid, net.readout, net.hh, net.midpoint, net.r0
        )


def _advance(carry, out_sum, z_h, w2t, b2, c: _Consts, k: int):
    """k time steps of the whole network. carry = (V, m, h, n) of all H + O neurons
    (*lead, B, H + O) each, the synaptic trace s and its running sum (*lead, B, H)."""
    v, m, h, n, syn, s_sum = carry
    for _ in range(k):
        z_o = syn @ w2t + b2  # (*lead, B, O)
        current = c.scale * torch.cat([z_h, z_o], -1)
        v_prev = v
        v, m, h, n = exponential_step(v, m, h, n, current, c.dt, c.hh)
        act = torch.sigmoid((v - c.midpoint) / 2.0)
        s_sum = s_sum + syn
        syn = syn + c.rise * (act[..., : c.n_hid] / c.r0 - syn)
        out_sum = _accumulate(out_sum, v_prev[..., c.n_hid :], v[..., c.n_hid :], c)
    return (v, m, h, n, syn, s_sum), out_sum


def _accumulate(out_sum: Tensor, v_prev: Tensor, v: Tensor, c: _Consts) -> Tensor:
    """The output neurons' readout, summed over steps: activity, potential or spikes."""
    if c.readout == "voltage":
        return out_sum + torch.sigmoid((v - c.midpoint) / 2.0)
    if c.readout == "membrane":
        return out_sum + v
    return out_sum + ((v_prev < SPIKE_TH) & (v >= SPIKE_TH)).to(v.dtype)


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
    """
    w1, b1, w2, b2 = params["w1"], params["b1"], params["w2"], params["b2"]
    batch, n_hid, n_out = x.shape[0], w1.shape[0], w2.shape[0]
    z_h = x @ w1.T + b1  # (B, H)
    offset = z_h.new_zeros(members, batch, n_out)  # static output offsets per network
    if "out" in units:
        first, index, value = units["out"]
        offset[first : first + len(index)].scatter_(2, index[..., None], value[..., None])
    empty = (1, z_h.new_zeros(0, batch).long(), z_h.new_zeros(0, batch))  # no hidden unit
    first, index, value = units.get("hidden", empty)
    n_pert = len(index)
    z_p = z_h.gather(1, index.T).T + value if n_pert else z_h.new_zeros(0, batch)  # (n, B)
    columns = w2.T.contiguous().index_select(0, index.reshape(-1)).view(n_pert, batch, n_out)
    static = net.scale * torch.cat([z_h.reshape(-1), z_p.reshape(-1)])
    size = static.numel() + members * batch * n_out
    v, m, h, n = resting_state((size,), net.hh, dtype=x.dtype, device=x.device).unbind(-1)
    syn, syn_p, s_sum = torch.zeros_like(z_h), torch.zeros_like(z_p), torch.zeros_like(z_h)
    out_sum = offset.new_zeros(members, batch, n_out)
    consts = _Consts.of(net, n_hid, z_h)
    advance = _compiled_units() if net.backend == "compile" else _advance_units
    carry = (v, m, h, n, syn, syn_p, s_sum)
    done = 0
    while done < net.steps:
        k = min(net.chunk, net.steps - done)
        carry, out_sum = advance(
            carry, out_sum, static, offset, w2.T, b2, index, columns, first, consts, k
        )
        done += k
    return _readout(out_sum, net), carry[6] / net.steps


def _advance_units(carry, out_sum, static, offset, w2t, b2, index, columns, first, c, k):
    """k steps of :func:`hh_forward_units`' neurons, flat: the clean hidden layer (B H), the
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


_COMPILED: list = []


def _compiled_advance():
    """``_advance`` under torch.compile, built once per process."""
    return _compiled(0, _advance)


def _compiled_units():
    """``_advance_units`` under torch.compile, built once per process."""
    return _compiled(1, _advance_units)


def _compiled(slot: int, fn):
    if not _COMPILED:
        _COMPILED.extend([None, None])
    if _COMPILED[slot] is None:
        compiled = torch.compile(fn, dynamic=False)

        def call(*args):
            # one compilation per input shape (dynamic shapes compile far more slowly here); a
            # training run meets a handful (population, evaluation), so allow more recompiles
            # for these calls only, not for the user's other compiled code
            with torch._dynamo.config.patch(recompile_limit=64):
                return compiled(*args)

        _COMPILED[slot] = call
    return _COMPILED[slot]


def hh_traces(params: Params, x: Tensor, net: HHNet) -> dict[str, Tensor]:
    """One clean trial for figures: voltages (T, B, H + O), input currents (B, H), (T, B, O)."""
    w2, b2, z_h, carry, out_sum, consts = _clean_trial(params, x, net)
    vs, currents = [], []
    for _ in range(net.steps):
        currents.append(net.scale * (carry[4] @ w2.T + b2))
        carry, out_sum = _advance(carry, out_sum, z_h, w2.T, b2, consts, 1)
        vs.append(carry[0])
    return {"v": torch.stack(vs), "i_hidden": net.scale * z_h, "i_out": torch.stack(currents)}


@dataclass(frozen=True)
class LIFNet:
    """steps per trial, membrane decay beta per step, threshold theta (snnTorch's defaults).

    backend: "torch" (tensor ops, any device) or "fused" (one compiled C loop per trial on the
    CPU, event-driven hidden -> output coupling; forward only, as the spikes give autodiff
    nothing anyway; ~10x faster for populations: ``roughgrad.neurons.fused``).
    """

    steps: int = 25
    beta: float = 0.95
    threshold: float = 1.0
    backend: Literal["torch", "fused"] = "torch"

    def __post_init__(self) -> None:
        _backend(self.backend, "layered", "lif")


def lif_forward(
    params: Params, x: Tensor, net: LIFNet, noise: dict[str, Tensor] | None = None
) -> tuple[Tensor, Tensor]:
    """Output spike counts (*lead, B, O) and the trial-mean hidden spikes (*lead, B, H).

    params: w1 (*lead, H, I), b1 (*lead, H), w2 (*lead, O, H), b2 (*lead, O); x (B, I);
    noise["hidden"] / noise["out"] (*lead, B, d): static offsets of z_h / z_o.
    """
    noise = noise or {}
    w1, b1, w2, b2 = params["w1"], params["b1"], params["w2"], params["b2"]
    z_h = x @ w1.transpose(-1, -2) + b1[..., None, :]
    if "hidden" in noise:
        z_h = z_h + noise["hidden"]
    b_o = b2[..., None, :] + noise["out"] if "out" in noise else b2[..., None, :]
    if net.backend == "fused":
        lead = z_h.shape[:-2]
        batch, outputs = z_h.shape[-2], w2.shape[-2]
        members = int(torch.Size(lead).numel())
        counts, s_sum = lif_fused(
            z_h.reshape(members, batch, -1),
            b_o.expand(*lead, batch, outputs).reshape(members, batch, outputs),
            w2.expand(*lead, *w2.shape[-2:]).reshape(members, outputs, -1),
            net.steps, net.beta, net.threshold,
        )  # fmt: skip
        return counts.reshape(*lead, batch, outputs), s_sum.reshape(*lead, batch, -1) / net.steps
    w2t, theta, beta = w2.transpose(-1, -2), net.threshold, net.beta
    u_h, s_h = torch.zeros_like(z_h), torch.zeros_like(z_h)
    u_o = torch.zeros(*z_h.shape[:-1], w2.shape[-2], dtype=x.dtype, device=x.device)
    s_o, counts, s_sum = torch.zeros_like(u_o), torch.zeros_like(u_o), torch.zeros_like(z_h)
    for _ in range(net.steps):
        u_h = beta * u_h + z_h - theta * s_h
        s_h = (u_h > theta).to(x.dtype)
        u_o = beta * u_o + (s_h @ w2t + b_o) - theta * s_o
        s_o = (u_o > theta).to(x.dtype)
        counts = counts + s_o
        s_sum = s_sum + s_h
    return counts, s_sum / net.steps
