"""A layered classifier's request and result, its readout, the pieces every time loop shares,
and snnTorch's LIF layers (the "lif" layout's torch loop)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import Tensor

from roughgrad.neurons.hh import (
    HHParams,
    resting_state,
)

RATE_REF_HZ = 100.0  # the "spikes" readout is the rate in units of 100 Hz


V_REST, V_SCALE = -65.0, 20.0  # the "membrane" readout: (mean V - V_REST) / V_SCALE


LAYOUTS = ("hh", "hh-units", "lif")


@dataclass(frozen=True)
class LayeredRequest:
    """One forward pass of a layered classifier.

    layout "hh": z_h (*lead, B, H) static hidden pre-activations, w2 (*lead, O, H), b2
    (*lead, 1 or B, O) static output offsets; ``noise`` per step ((*lead, T, B, d), when
    ``per_step``), ``record`` (the trace s(t) of the first member), ``record_output`` (the
    output activity), ``record_v`` (every neuron's V and the output currents, one clean
    trial). layout "hh-units": z_h (B, H), z_p (n, B) the perturbed hidden units' pre-
    activations standing for unit ``index`` (n, B) of members first..first+n-1, ``offset``
    (members, B, O), w2 (O, H) or (members, O, H), b2 (O,) or (members, O). layout "lif":
    z_h (*lead, B, H), w2 (*lead, O, H), b2 (*lead, 1 or B, O)."""

    layout: Literal["hh", "hh-units", "lif"]
    net: Any  # HHNet or LIFNet (roughgrad.neurons.layered)
    z_h: Tensor
    w2: Tensor
    b2: Tensor
    noise: dict[str, Tensor] = field(default_factory=dict)
    per_step: bool = False
    record: bool = False
    record_output: bool = False
    record_v: bool = False
    z_p: Tensor | None = None
    index: Tensor | None = None
    offset: Tensor | None = None
    first: int = 0

    @property
    def eager(self) -> bool:
        """Whether only a step-at-a-time loop runs it (recording or per-step noise)."""
        return self.per_step or self.record or self.record_output or self.record_v


@dataclass
class LayeredResult:
    """readout (*lead, B, O) (LIF: output spike counts), s_mean (*lead, B, H) the trial-mean
    synaptic trace (LIF: hidden spikes), and what was recorded: s_seq (T, B, H), a_seq
    (T, *lead, B, O), traces {"v", "i_out"[, "spikes"]}."""

    readout: Tensor
    s_mean: Tensor
    s_seq: Tensor | None = None
    a_seq: Tensor | None = None
    traces: dict[str, Tensor] | None = None


def readout(out_sum: Tensor, net) -> Tensor:
    """The readout o from the output neurons' per-step sums (see ``accumulate``)."""
    if net.readout == "voltage":
        return out_sum / (net.steps * net.r0)
    if net.readout == "membrane":
        return (out_sum / net.steps - V_REST) / V_SCALE
    return out_sum / (net.duration_ms() / 1000 * RATE_REF_HZ)


@dataclass(frozen=True)
class Consts:
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
    surrogate: float | None = None

    @classmethod
    def of(cls, net, n_hid: int, like: Tensor) -> Consts:
        def t(value: float) -> Tensor:
            return torch.tensor(value, dtype=like.dtype, device=like.device)

        return cls(
            t(net.dt), t(net.scale), t(net.rise()), n_hid, net.readout, net.hh, net.midpoint,
            net.r0, net.surrogate,
        )  # fmt: skip


def start(z_h: Tensor, n_out: int, net) -> tuple[tuple, Tensor, Consts]:
    """The carry at rest for hidden pre-activations z_h (..., B, H) and ``n_out`` outputs --
    (V, m, h, n) of all H + O neurons, the synaptic trace and its running sum -- a zero
    readout sum (..., B, O) and the kernel's constants."""
    n_hid = z_h.shape[-1]
    rest = resting_state(
        (*z_h.shape[:-1], n_hid + n_out), net.hh, dtype=z_h.dtype, device=z_h.device
    )
    carry = (*rest.unbind(-1), torch.zeros_like(z_h), torch.zeros_like(z_h))
    return carry, torch.zeros_like(carry[0][..., n_hid:]), Consts.of(net, n_hid, z_h)


def chunks(net):
    """The step counts of the compiled chunks covering ``net.steps`` (the last may be short)."""
    for done in range(0, net.steps, net.chunk):
        yield min(net.chunk, net.steps - done)


@functools.cache
def compiled(fn):
    """``fn`` (a chunk of time steps) under torch.compile, built once per process."""
    compiled_fn = torch.compile(fn, dynamic=False)

    def call(*args):
        # one compilation per input shape (dynamic shapes compile far more slowly here); a
        # training run meets a handful (population, evaluation), so allow more recompiles
        # for these calls only, not for the user's other compiled code
        with torch._dynamo.config.patch(recompile_limit=64):
            return compiled_fn(*args)

    return call


def step_inputs(z_h: Tensor, b2: Tensor, noise: dict[str, Tensor], t: int, per_step: bool):
    """z_h and b2 at step t: with the step's noise when the noise is per step."""
    if per_step and "hidden" in noise:
        z_h = z_h + noise["hidden"][..., t, :, :]
    if per_step and "out" in noise:
        b2 = b2 + noise["out"][..., t, :, :]
    return z_h, b2


def activity(v: Tensor, net) -> Tensor:
    """The neurons' activity sigmoid((V - midpoint) / 2 mV) / r0."""
    return torch.sigmoid((v - net.midpoint) / 2.0) / net.r0


def lif_loop(req: LayeredRequest) -> LayeredResult:
    """snnTorch's ``Leaky`` layers (reset by subtraction of the previous step's spike), the
    static input current every step; readout: the output spike counts."""
    net, z_h, b_o = req.net, req.z_h, req.b2
    w2t, theta, beta = req.w2.transpose(-1, -2), net.threshold, net.beta
    u_h, s_h = torch.zeros_like(z_h), torch.zeros_like(z_h)
    u_o = torch.zeros(*z_h.shape[:-1], req.w2.shape[-2], dtype=z_h.dtype, device=z_h.device)
    s_o, counts, s_sum = torch.zeros_like(u_o), torch.zeros_like(u_o), torch.zeros_like(z_h)
    for _ in range(net.steps):
        u_h = beta * u_h + z_h - theta * s_h
        s_h = (u_h > theta).to(z_h.dtype)
        u_o = beta * u_o + (s_h @ w2t + b_o) - theta * s_o
        s_o = (u_o > theta).to(z_h.dtype)
        counts = counts + s_o
        s_sum = s_sum + s_h
    return LayeredResult(counts, s_sum / net.steps)
