"""A classifier made of Hodgkin-Huxley neurons (seed 003, "Real Application: MNIST", the BNN).

The seed's layout input -> hidden -> output, with the ANN's weights driving HH neurons:

    z_h        = x W1^T + b1                    (B, H), static over the trial
    I_h        = scale * z_h                    hidden input currents (uA/cm^2)
    h(t)       = sigmoid((V_h(t) + 30) / 2) / r0  hidden activity (V in mV; 0.5-1 when firing)
    s(t)       = s + (1 - e^{-dt/tau_syn}) (h(t) - s)        synaptic trace of h
    z_o(t)     = s(t) W2^T + b2,  I_o = scale * z_o           output currents
    o          = mean_t sigmoid((V_o(t) + 30) / 2) / r0      readout "voltage" (mollified)
             or  mean_t (V_o(t) + 65 mV) / 20 mV                 readout "membrane" (no threshold)
             or  spike count / (T dt * 100 Hz)                readout "spikes" (piecewise constant)

with r0 = 0.2. The midpoint -30 mV is the spike threshold used throughout roughgrad: measured at
dt = 0.1 ms over 100 ms, the fraction of time above it grows monotonically with the input
current from onset (0.11 at 6.5 uA/cm^2) to 0.20 at 60-80 uA/cm^2, where a midpoint of 0 mV
peaks at 20 uA/cm^2 and falls as strongly driven spikes shrink -- a readout that cannot tell
strong from weak drive. Weights are
in the units of the ANN (currents are ``scale`` times the pre-activations), so the same init and
perturbation widths apply to both. The simulation runs ``steps`` steps of ``dt`` ms: the seed's
timeframes are 1000 steps of dt = 0.01 (10 ms, a smooth landscape), 0.05 (50 ms) and 0.1 ms
(100 ms, nearly discontinuous). The loss is ``criterion(o, labels)`` averaged over the batch.

Everything is differentiable (autodiff is backpropagation through time). Estimators see it as

* an Objective whose ``population`` runs S perturbed networks as one batched simulation (the
  parameters' leading dim is the population; no vmap, no Python loop over members);
* NodePerturbable: static noise on z_h and on z_o (one value per example and unit for the whole
  trial). For W1 this is exact (z_h is static); for W2 it uses the trial-mean trace s-bar as the
  layer input, i.e. dL/dW2 ~ (sum_t dL/dz_o(t)) s-bar^T: a rate approximation;
* RecurrentPerturbable: noise on z_h and z_o at every time step (node perturbation through time,
  unbiased for both layers but with T times more noise dimensions).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor

from roughgrad._types import Params
from roughgrad.neurons import HHParams, resting_state
from roughgrad.neurons.hh import exponential_step
from roughgrad.objectives.base import Batched, Objective, TwoLayerNodes
from roughgrad.objectives.recurrent import RecurrentPerturbable

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
        compile: run the time loop in torch.compile'd chunks of ``chunk`` steps (5-10x faster
            on a CPU once compiled; the first call of each shape compiles for ~10-30 s).
    """

    steps: int = 1000
    dt: float = 0.01
    scale: float = 40.0
    tau_syn: float = 5.0
    readout: Literal["voltage", "membrane", "spikes"] = "voltage"
    hh: HHParams = field(default_factory=HHParams)
    compile: bool = False
    chunk: int = 5

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
    ``net.compile`` and static noise, the time loop runs in torch.compile'd chunks of
    ``net.chunk`` steps (one fused kernel per chunk instead of ~50 small ones per step).
    """
    noise = noise or {}
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
    if per_step or record:  # eager, one step at a time (noise or recording per step)
        seq = []
        for t in range(net.steps):
            zh_t, b2_t = z_h, b2
            if per_step and "hidden" in noise:
                zh_t = z_h + noise["hidden"][..., t, :, :]
            if per_step and "out" in noise:
                b2_t = b2 + noise["out"][..., t, :, :]
            if record:
                seq.append(carry[4].reshape(-1, *z_h.shape[-2:])[0])
            carry, out_sum = _advance(carry, out_sum, zh_t, w2t, b2_t, consts, 1)
        s_seq = torch.stack(seq) if record else None
    else:
        advance = _compiled_advance() if net.compile else _advance
        done = 0
        while done < net.steps:
            k = min(net.chunk, net.steps - done)
            carry, out_sum = advance(carry, out_sum, z_h, w2t, b2, consts, k)
            done += k
        s_seq = None
    return _readout(out_sum, net), carry[5] / net.steps, s_seq


def _readout(out_sum: Tensor, net: HHNet) -> Tensor:
    """The readout o from the output neurons' per-step sums (see ``_accumulate``)."""
    if net.readout == "voltage":
        return out_sum / (net.steps * R0)
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

    @classmethod
    def of(cls, net: HHNet, n_hid: int, like: Tensor) -> _Consts:
        def t(value: float) -> Tensor:
            return torch.tensor(value, dtype=like.dtype, device=like.device)

        rise = 1.0 - math.exp(-net.dt / net.tau_syn)
        return cls(t(net.dt), t(net.scale), t(rise), n_hid, net.readout, net.hh)


def _advance(carry, out_sum, z_h, w2t, b2, c: _Consts, k: int):
    """k time steps of the whole network. carry = (V, m, h, n) of all H + O neurons
    (*lead, B, H + O) each, the synaptic trace s and its running sum (*lead, B, H)."""
    v, m, h, n, syn, s_sum = carry
    for _ in range(k):
        z_o = syn @ w2t + b2  # (*lead, B, O)
        current = c.scale * torch.cat([z_h, z_o], -1)
        v_prev = v
        v, m, h, n = exponential_step(v, m, h, n, current, c.dt, c.hh)
        act = torch.sigmoid((v - SPIKE_TH) / 2.0)
        s_sum = s_sum + syn
        syn = syn + c.rise * (act[..., : c.n_hid] / R0 - syn)
        out_sum = _accumulate(out_sum, v_prev[..., c.n_hid :], v[..., c.n_hid :], c.readout)
    return (v, m, h, n, syn, s_sum), out_sum


def _accumulate(out_sum: Tensor, v_prev: Tensor, v: Tensor, readout: str) -> Tensor:
    """The output neurons' readout, summed over steps: activity, potential or spikes."""
    if readout == "voltage":
        return out_sum + torch.sigmoid((v - SPIKE_TH) / 2.0)
    if readout == "membrane":
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
    advance = _compiled_units() if net.compile else _advance_units
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
        act = torch.sigmoid((v[:n_static] - SPIKE_TH) / 2.0) / R0
        s_sum = s_sum + syn
        syn = syn + c.rise * (act[: syn.numel()].view_as(syn) - syn)
        syn_p = syn_p + c.rise * (act[syn.numel() :].view_as(syn_p) - syn_p)
        out_sum = _accumulate(
            out_sum, v_prev[n_static:].view_as(out_sum), v[n_static:].view_as(out_sum), c.readout
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
    w1, b1, w2, b2 = params["w1"], params["b1"], params["w2"], params["b2"]
    n_hid = w1.shape[0]
    z_h = x @ w1.T + b1  # (B, H)
    rest = resting_state((x.shape[0], n_hid + w2.shape[0]), net.hh, dtype=x.dtype)
    carry = (*rest.unbind(-1), torch.zeros_like(z_h), torch.zeros_like(z_h))
    out_sum = torch.zeros_like(carry[0][..., n_hid:])
    consts, vs, currents = _Consts.of(net, n_hid, z_h), [], []
    for _ in range(net.steps):
        currents.append(net.scale * (carry[4] @ w2.T + b2))
        carry, out_sum = _advance(carry, out_sum, z_h, w2.T, b2, consts, 1)
        vs.append(carry[0])
    return {"v": torch.stack(vs), "i_hidden": net.scale * z_h, "i_out": torch.stack(currents)}


class HHClassifier(Objective, TwoLayerNodes, RecurrentPerturbable, Batched):
    """loss(params) = criterion(o, y) for the readout o of :func:`hh_forward` on one batch.

    Args:
        x: (B, I) inputs in [0, 1]; y: (B,) int64 labels; net: the simulation settings;
        criterion: (o (B, O), y (B,)) -> scalar mean over the batch (vmappable);
        hidden, classes: H and O (for node perturbation's layer table).
    Parameters: w1 (H, I), b1 (H,), w2 (O, H), b2 (O,).
    """

    def __init__(
        self,
        x: Tensor,
        y: Tensor,
        net: HHNet,
        criterion: Callable[[Tensor, Tensor], Tensor],
        *,
        hidden: int = 100,
        classes: int = 10,
    ) -> None:
        self.x, self.y, self.net, self.criterion = x, y, net, criterion
        self.hidden, self.classes = hidden, classes

    def __call__(self, params: Params) -> Tensor:
        return self.criterion(hh_forward(params, self.x, self.net)[0], self.y)

    def population(
        self, params: Params, deltas: Params, *, chunk_size: int | None = None
    ) -> Tensor:
        size = next(iter(deltas.values())).shape[0]
        chunk = chunk_size or size
        losses = []
        for start in range(0, size, chunk):  # chunks bound memory; members are a tensor dim
            n = min(chunk, size - start)
            sub = {
                k: (v + deltas[k][start : start + n]) if k in deltas else v.expand(n, *v.shape)
                for k, v in params.items()
            }
            o = hh_forward(sub, self.x, self.net)[0]  # (n, B, O)
            losses.append(self.per_example(o).sum(-1))
        return torch.cat(losses)

    def per_example(self, o: Tensor) -> Tensor:
        """(S, B, O) readouts -> (S, B) per-example losses that sum to each member's loss."""
        batch = self.y.shape[0]

        def one(oe: Tensor, ye: Tensor) -> Tensor:
            return self.criterion(oe[None], ye[None]) / batch

        return torch.func.vmap(torch.func.vmap(one), in_dims=(0, None))(o, self.y)

    # TwoLayerNodes: static noise on z_h and z_o (W2 via the trial-mean trace)
    def readout(self, params: Params, noise: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        o, s_bar, _ = hh_forward(params, self.x, self.net, noise)
        return o, s_bar

    def node_population_units(
        self, params: Params, units: dict[str, tuple[int, Tensor, Tensor]], members: int
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """One-unit noise, each network simulated as its perturbed neuron and the outputs
        (:func:`hh_forward_units`); autograd falls back to the dense path."""
        tensors = (*params.values(), *(t for _, i, v in units.values() for t in (i, v)))
        if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
            return super().node_population_units(params, units, members)
        o, s_bar = hh_forward_units(params, self.x, self.net, units, members)
        return self.per_example(o), {"hidden": self.x, "out": s_bar}

    # RecurrentPerturbable: noise at every step (free-running members)
    def batch_steps(self) -> tuple[int, int]:
        return int(self.x.shape[0]), self.net.steps

    def node_weights(self) -> dict[str, tuple[tuple[str, str], ...]]:
        return {"hidden": (("w1", "x"),), "out": (("w2", "s"),)}

    def node_bias(self) -> dict[str, str]:
        return {"hidden": "b1", "out": "b2"}

    def perturbed_losses(
        self, params: Params, noise: dict[str, Tensor], *, reset: bool
    ) -> tuple[Tensor, dict[str, Tensor]]:
        if reset:
            raise ValueError("HHClassifier supports node_perturbation_time with mode='free' only")
        size = next(iter(noise.values())).shape[0]
        lead = {k: v.expand(size, *v.shape) for k, v in params.items()}
        o, _, s_seq = hh_forward(lead, self.x, self.net, noise, record=True)
        assert s_seq is not None  # record=True
        inputs = {"x": self.x.expand(self.net.steps, *self.x.shape), "s": s_seq}
        return self.per_example(o), inputs
