"""What a simulation simulates apart from the neuron model: a frozen ``Network``.

A network is its coupling (a weight matrix, row = postsynaptic neuron: dense and shared,
dense per population member, or sparse), the synapses that turn presynaptic activity into
postsynaptic input, the readout losses use, and the current noise. The population layout is
the leading dimensions of the inputs ``simulate`` receives: members x trials x ... x N.

Synapse models (each a small class with ``init`` / ``drive`` / ``update``, so that every
backend's time loop is the same few lines):

* [`CurrentSynapse`][roughgrad.neurons.synapses.CurrentSynapse]: an exponentially decaying
  current I_syn = W s(t), with s driven by presynaptic activity (``kind="graded"``: a sigmoid of
  the voltage, differentiable; ``kind="spike"``: a jump of 1 at each spike, event-driven);
* [`ConductanceSynapse`][roughgrad.neurons.synapses.ConductanceSynapse]: exponentially decaying
  excitatory and inhibitory conductances g_e, g_i (mS/cm^2) that jump by W at each spike of
  an excitatory / inhibitory presynaptic neuron, with the current
  $I_{syn} = g_e (E_e - V) + g_i (E_i - V)$ (Brette et al. 2007, benchmark 3). The driving
  force shrinks as V nears the reversal potential, and the conductance adds to the
  membrane's. It does not by itself keep an HH neuron out of depolarisation block: a held
  excitatory conductance blocks it above about 1.5 mS/cm^2 (E_e = 0 mV; about 100 uA/cm^2 at
  rest), as a current above about 100-150 uA/cm^2 does (``tests/test_network.py``).

Builders for the write-up's networks (``chain``, ``complete_graph``, ``feedforward``) and for
sparse random connectivity (``random_sparse``) return weight matrices.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor

from roughgrad.neurons.synapses import ConductanceSynapse, CurrentSynapse, Synapse, decay_factor

NOISE_REF_DT = 0.01  # ms: the step at which noise_std is the per-step std of the current noise


@dataclass(frozen=True)
class Readout:
    """The per-neuron output a(t) whose time mean losses use (``SimResult.output_mean``).

    ``kind="trace"``: a trace that jumps by 1 per spike and decays with ``tau`` ms, so its mean
    is about spike count x tau / T (the write-up's loss curves). ``kind="sigmoid"``:
    sigmoid((V - threshold) / width), on only during full spikes; smooth in V (for autodiff);
    the spikes themselves for models with a reset.
    """

    kind: Literal["trace", "sigmoid"] = "trace"
    tau: float = 5.0
    threshold: float = 0.0
    width: float = 2.0

    def step(
        self, trace: Tensor, v: Tensor, spiked: Tensor, dt: float, graded: bool = True
    ) -> tuple[Tensor, Tensor]:
        """(the next trace, this step's output a(t)); a model with a reset (not ``graded``)
        has no spike waveform to take a sigmoid of: its "sigmoid" output is its spikes."""
        if self.kind == "sigmoid":
            act = torch.sigmoid((v - self.threshold) / self.width) if graded else spiked.to(v)
            return trace, act
        trace = trace * decay_factor(dt, self.tau, v) + spiked.to(v.dtype)
        return trace, trace


@dataclass(frozen=True, eq=False)
class SparseWeights:
    """An (n, n) sparse weight matrix (row = postsynaptic) stored by presynaptic neuron: the
    synapses of presynaptic neuron j are positions start[j]:start[j + 1] of ``post`` (their
    targets) and ``value`` (their weights). ``random_sparse`` builds one."""

    n: int
    start: Tensor  # (n + 1,) int64 offsets
    post: Tensor  # (nnz,) int64
    value: Tensor  # (nnz,)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self.n)

    @functools.cached_property
    def pre(self) -> Tensor:
        """(nnz,) the presynaptic neuron of each synapse (made once: graded coupling reads it
        every step)."""
        counts = self.start[1:] - self.start[:-1]
        return torch.repeat_interleave(torch.arange(self.n, device=self.post.device), counts)

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None):
        """The same matrix on ``device`` with values of ``dtype``."""
        return SparseWeights(
            self.n, self.start.to(device), self.post.to(device), self.value.to(device, dtype)
        )

    def dense(self) -> Tensor:
        """The (n, n) dense matrix (for tests and small networks)."""
        out = torch.zeros(self.n, self.n, dtype=self.value.dtype, device=self.value.device)
        return out.index_put_((self.post, self.pre), self.value, accumulate=True)


@dataclass(frozen=True, eq=False)
class Network:
    """The coupling, synapses, readout and noise of a simulated population of neurons.

    Args:
        weights: None (uncoupled), a dense (N, N) matrix shared by every member, a dense
            (..., N, N) per member (broadcast against the inputs' leading dimensions), or
            ``SparseWeights`` (N, N) shared by every member (``random_sparse``); row =
            postsynaptic.
            Current synapses: uA/cm^2 per unit of s; conductance synapses: mS/cm^2 per spike.
        synapse: ``CurrentSynapse`` or ``ConductanceSynapse``.
        inhibitory: (N,) bool, the presynaptic neurons whose spikes open inhibitory
            conductances (conductance synapses; default: none).
        readout: the output a(t) (``Readout``).
        noise_std: white current noise (uA/cm^2): the per-step std at dt = NOISE_REF_DT
            (0.01 ms), scaled by sqrt(NOISE_REF_DT / dt) at other steps so that its intensity
            does not depend on dt; a simulation with noise needs a generator.
    """

    weights: Tensor | SparseWeights | None = None
    synapse: Synapse = field(default_factory=CurrentSynapse)
    inhibitory: Tensor | None = None
    readout: Readout = field(default_factory=Readout)
    noise_std: float = 0.0

    def __post_init__(self) -> None:
        w = self.weights
        if isinstance(w, Tensor) and (w.dim() < 2 or w.shape[-1] != w.shape[-2]):
            raise ValueError(f"weights must be (..., N, N), got {tuple(w.shape)}")
        if self.inhibitory is not None and not isinstance(self.synapse, ConductanceSynapse):
            raise ValueError("inhibitory neurons need synapse=ConductanceSynapse(...)")
        if self.noise_std < 0:
            raise ValueError(f"noise_std={self.noise_std} must be >= 0")

    @property
    def sparse(self) -> bool:
        return isinstance(self.weights, SparseWeights)

    def noise_per_step(self, dt: float) -> float:
        """The std of the current noise drawn each step of dt ms (fixed intensity)."""
        return self.noise_std * math.sqrt(NOISE_REF_DT / dt)

    def couple(self, s: Tensor) -> Tensor:
        """W s over the last dimension of s (..., N); zero without weights."""
        w = self.weights
        if w is None:
            return torch.zeros_like(s)
        if isinstance(w, SparseWeights):  # every synapse adds its weight x its pre's s
            flat = s.reshape(-1, w.n)  # (B, N)
            out = torch.zeros_like(flat).index_add_(1, w.post, flat[:, w.pre] * w.value)
            return out.view(s.shape)
        if w.dim() > 2:
            return torch.einsum("...ij,...j->...i", w, s)
        return s @ w.T

    def couple_spikes(self, spiked: Tensor, dtype: torch.dtype) -> Tensor:
        """W spikes for a bool (..., N) spike mask: event-driven for sparse weights (each
        spike adds its neuron's outgoing weights: work in proportion to spikes x fan-out)."""
        w = self.weights
        if not isinstance(w, SparseWeights):
            return self.couple(spiked.to(dtype))
        out = torch.zeros(spiked.shape, dtype=dtype, device=spiked.device)
        flat = out.view(-1, w.n)  # (B, N)
        member, pre = spiked.reshape(-1, w.n).nonzero(as_tuple=True)
        start, count = w.start[pre], w.start[pre + 1] - w.start[pre]
        total = int(count.sum())
        if total:
            # the positions of every spiking neuron's outgoing synapses, in one gather
            first = torch.repeat_interleave(start - torch.cumsum(count, 0) + count, count)
            pos = first + torch.arange(total, device=spiked.device)
            rows = torch.repeat_interleave(member, count)
            flat.index_put_((rows, w.post[pos]), w.value[pos].to(dtype), accumulate=True)
        return out

    def inhibitory_mask(self, like: Tensor) -> Tensor:
        """(N,) bool: the inhibitory presynaptic neurons (none by default)."""
        if self.inhibitory is None:
            return torch.zeros(like.shape[-1], dtype=torch.bool, device=like.device)
        return self.inhibitory.to(like.device)


def chain(n: int, w: float, *, dtype: torch.dtype = torch.float32) -> Tensor:
    """Neuron i drives neuron i+1 with weight w: (n, n), nonzero on the subdiagonal."""
    return torch.diag(torch.full((n - 1,), w, dtype=dtype), -1)


def complete_graph(n: int, w: float | Tensor, *, dtype: torch.dtype = torch.float32) -> Tensor:
    """Every neuron drives every neuron, itself included: (n, n) filled with w (or given w)."""
    if isinstance(w, Tensor):
        if w.shape != (n, n):
            raise ValueError(f"complete_graph needs w of shape {(n, n)}, got {tuple(w.shape)}")
        return w.to(dtype)
    return torch.full((n, n), float(w), dtype=dtype)


def feedforward(sizes: list[int], weights: list[Tensor]) -> Tensor:
    """Layers of ``sizes`` with weights[k] (sizes[k+1], sizes[k]) between them: a block matrix."""
    if len(weights) != len(sizes) - 1:
        raise ValueError(f"{len(sizes)} layers need {len(sizes) - 1} weight matrices")
    total = sum(sizes)
    w = torch.zeros(total, total, dtype=weights[0].dtype)
    start = 0
    for k, wk in enumerate(weights):
        rows = slice(start + sizes[k], start + sizes[k] + sizes[k + 1])
        if wk.shape != (sizes[k + 1], sizes[k]):
            raise ValueError(
                f"weights[{k}] must be {(sizes[k + 1], sizes[k])}, got {tuple(wk.shape)}"
            )
        w[rows, start : start + sizes[k]] = wk
        start += sizes[k]
    return w


def random_sparse(
    n: int,
    p: float,
    weight: float | Tensor,
    *,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float32,
) -> SparseWeights:
    """Each of the n x n possible synapses (self-connections included) exists independently
    with probability p (Erdos-Renyi, as Brian2's ``connect(p=...)``); its weight is
    ``weight`` of its presynaptic neuron (a scalar, or (n,) per presynaptic neuron). Built a
    block of presynaptic neurons at a time, never holding the dense n x n matrix.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"connection probability p={p} must be in [0, 1]")
    per_pre = torch.as_tensor(weight, dtype=dtype).expand(n)
    counts, posts = [], []
    block = max(1, 2**22 // max(n, 1))  # ~4 M draws at a time: bounded memory
    for first in range(0, n, block):  # a loop over blocks of presynaptic neurons
        mask = torch.rand(min(block, n - first), n, generator=generator) < p  # (pre, post)
        counts.append(mask.sum(1))
        posts.append(mask.nonzero()[:, 1])
    count = torch.cat(counts) if counts else torch.zeros(0, dtype=torch.long)
    start = torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(count, 0)])
    post = torch.cat(posts) if posts else torch.zeros(0, dtype=torch.long)
    value = torch.repeat_interleave(per_pre, count)
    return SparseWeights(n, start, post, value)
