"""Synapse models: each a small class with ``init`` / ``drive`` / ``update``, so that every
backend's time loop is the same few lines (see ``roughgrad.neurons.network``)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor


@dataclass(frozen=True)
class CurrentSynapse:
    """I_syn = W s, ds/dt = (a(t) - s) / tau (graded) or s jumps by 1 per spike (spike).

    Args:
        tau: ms, the decay of s (and of W s);
        kind: "graded": a(t) = sigmoid((V - threshold) / width) for graded models (HH), the
            spikes for reset models; dense, every step. "spike": event-driven (W s decays and
            grows by W spikes on a step with a spike, as Brian2 does);
        threshold: mV, the graded activity's sigmoid midpoint;
        width: mV, its width.
    """

    tau: float = 5.0
    kind: Literal["graded", "spike"] = "graded"
    threshold: float = 0.0
    width: float = 2.0

    def init(self, like: Tensor) -> tuple[Tensor, ...]:
        """Zero synaptic state (the presynaptic trace s and the current W s), shaped like V."""
        return torch.zeros_like(like), torch.zeros_like(like)

    def drive(self, state: tuple[Tensor, ...], v: Tensor) -> tuple[Tensor, Tensor | None]:
        """The synaptic input: (current, conductance); a current synapse has no conductance."""
        return state[1], None

    def update(
        self, state: tuple[Tensor, ...], net: Any, v: Tensor, spiked: Tensor, dt: float,
        graded: bool,
    ) -> tuple[Tensor, ...]:  # fmt: skip
        s, i_syn = state
        decay = decay_factor(dt, self.tau, v)
        if self.kind == "graded":  # dense: every neuron's activity changes every step
            act = torch.sigmoid((v - self.threshold) / self.width) if graded else spiked.to(v)
            s = s * decay + (1 - decay) * act
            return s, net.couple(s)
        i_syn = i_syn * decay
        if bool(spiked.any()):  # event-driven: W s grows only by W spikes, on a spike
            i_syn = i_syn + net.couple_spikes(spiked, v.dtype)
        return s, i_syn


@dataclass(frozen=True)
class ConductanceSynapse:
    """Conductances g_e, g_i (mS/cm^2), each decaying with its time constant, that jump by
    W[post, pre] at each spike of an excitatory / inhibitory presynaptic neuron; the synaptic
    current is g_e (e_e - V) + g_i (e_i - V).

    Args:
        tau_e: ms, the excitatory conductance's decay (COBAHH: 5);
        tau_i: ms, the inhibitory one's (COBAHH: 10);
        e_e: mV, the excitatory reversal potential (COBAHH: 0);
        e_i: mV, the inhibitory one (COBAHH: -80).
    """

    tau_e: float = 5.0
    tau_i: float = 10.0
    e_e: float = 0.0
    e_i: float = -80.0

    def init(self, like: Tensor) -> tuple[Tensor, ...]:
        return torch.zeros_like(like), torch.zeros_like(like)

    def drive(self, state: tuple[Tensor, ...], v: Tensor) -> tuple[Tensor, Tensor | None]:
        g_e, g_i = state
        return g_e * self.e_e + g_i * self.e_i, g_e + g_i

    def update(
        self, state: tuple[Tensor, ...], net: Any, v: Tensor, spiked: Tensor, dt: float,
        graded: bool,
    ) -> tuple[Tensor, ...]:  # fmt: skip
        g_e = state[0] * decay_factor(dt, self.tau_e, v)
        g_i = state[1] * decay_factor(dt, self.tau_i, v)
        if bool(spiked.any()):
            inh = net.inhibitory_mask(v)
            g_e = g_e + net.couple_spikes(spiked & ~inh, v.dtype)
            g_i = g_i + net.couple_spikes(spiked & inh, v.dtype)
        return g_e, g_i


Synapse = CurrentSynapse | ConductanceSynapse


def decay_factor(dt: float, tau: float, like: Tensor) -> Tensor:
    """exp(-dt / tau) as a 0-d tensor of ``like``'s dtype (computed in that precision, as
    the fused kernels and every earlier run computed it); made once per (dt, tau, dtype)."""
    return _decay_cpu(dt, tau, like.dtype)


@functools.lru_cache(maxsize=64)
def _decay_cpu(dt: float, tau: float, dtype: torch.dtype) -> Tensor:
    # a 0-d CPU tensor multiplies tensors on any device
    return torch.exp(torch.tensor(-dt / tau, dtype=dtype))
