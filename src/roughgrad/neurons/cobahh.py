"""The COBAHH network (Brette et al. 2007, benchmark 3) and the spike statistics that compare
simulators on it.

N Traub-Miles neurons ([`TraubMiles`][roughgrad.neurons.models.traub_miles.TraubMiles], a
20,000 um^2 cell expressed per cm^2), the first 80% excitatory and the rest inhibitory, each
ordered pair connected independently with probability 2%; conductance-based exponential
synapses: an excitatory spike adds 6 nS (0.03 mS/cm^2) to the postsynaptic g_e (tau 5 ms,
E_e = 0 mV), an inhibitory one 67 nS (0.335 mS/cm^2) to g_i (tau 10 ms, E_i = -80 mV).
No external input: the activity sustains itself from random initial conditions (Brian2's
example: v = EL + (5 randn - 5) mV, g_e = (1.5 randn + 4) x 10 nS, g_i = (12 randn + 20) x 10
nS, gates 0). The benchmark's step is dt = 0.1 ms.

    >>> import torch
    >>> from roughgrad.neurons import simulate
    >>> from roughgrad.neurons.cobahh import cobahh, spike_statistics
    >>> model, network, inputs, state = cobahh(400, generator=torch.Generator().manual_seed(0))
    >>> res = simulate(model, network, inputs, steps=2000, dt=0.1, state=state, record=["spikes"])
    >>> stats = spike_statistics(res.spikes, dt=0.1)
    >>> sorted(stats)
    ['active', 'cv_isi', 'rate_hz']
"""

from __future__ import annotations

import torch
from torch import Tensor

from roughgrad.neurons.backends.base import SimState
from roughgrad.neurons.models.traub_miles import TraubMiles
from roughgrad.neurons.network import ConductanceSynapse, Network, random_sparse

CELL_CM2 = 20000e-8  # the benchmark's membrane area: 20,000 um^2 in cm^2
NS = 1e-6 / CELL_CM2  # 1 nS on that cell, in mS/cm^2 (0.005)
W_EXC, W_INH = 6 * NS, 67 * NS  # mS/cm^2 per spike
P_CONNECT, EXC_FRACTION = 0.02, 0.8
SYNAPSE = ConductanceSynapse(tau_e=5.0, tau_i=10.0, e_e=0.0, e_i=-80.0)
DT = 0.1  # ms


def cobahh(
    n: int,
    *,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> tuple[TraubMiles, Network, Tensor, SimState]:
    """The benchmark's model, network, inputs (zero, (n,)) and random initial state, drawn
    from ``generator`` (connectivity first, then the initial state)."""
    if n < 5:
        raise ValueError(f"COBAHH needs n >= 5 neurons (80% excitatory, 20% inhibitory), got {n}")
    n_exc = int(EXC_FRACTION * n)
    inhibitory = torch.arange(n) >= n_exc
    per_pre = torch.where(inhibitory, W_INH, W_EXC).to(dtype)
    weights = random_sparse(n, P_CONNECT, per_pre, generator=generator, dtype=dtype)
    model = TraubMiles()
    network = Network(weights.to(device), SYNAPSE, inhibitory=inhibitory.to(device))

    def randn() -> Tensor:
        return torch.randn(n, generator=generator, dtype=dtype).to(device)

    v = model.params.e_l + (randn() * 5 - 5)
    zeros = torch.zeros_like(v)
    neurons = torch.stack([v, zeros, zeros, zeros], -1)  # gates 0, as Brian2 leaves them
    g_e = (randn() * 1.5 + 4) * 10 * NS
    g_i = (randn() * 12 + 20) * 10 * NS
    return model, network, zeros.clone(), SimState(neurons, (g_e, g_i))


def spike_statistics(spikes: Tensor, dt: float) -> dict[str, float]:
    """Population statistics of a (T, N) spike raster with steps of dt ms: the mean firing
    rate (Hz, over all N neurons), the mean coefficient of variation of the inter-spike
    intervals (std / mean, over the neurons with at least 3 spikes; NaN if none: 0 for a
    clock, 1 for a Poisson train) and the fraction of neurons that spiked at all."""
    if spikes.dim() != 2:
        raise ValueError(f"spikes must be a (T, N) raster, got shape {tuple(spikes.shape)}")
    steps, n = spikes.shape
    step, neuron = spikes.nonzero(as_tuple=True)
    order = torch.argsort(neuron * steps + step)  # by neuron, then time
    step, neuron = step[order].double(), neuron[order]
    same = neuron[1:] == neuron[:-1]
    isi = (step[1:] - step[:-1])[same]  # (intervals,) within each neuron
    owner = neuron[1:][same]
    count = torch.bincount(owner, minlength=n).double()
    total = torch.zeros(n, dtype=torch.float64).index_add_(0, owner, isi)
    squares = torch.zeros(n, dtype=torch.float64).index_add_(0, owner, isi * isi)
    keep = count >= 2  # >= 3 spikes
    mean = total[keep] / count[keep]
    var = (squares[keep] / count[keep] - mean * mean).clamp_min(0)
    cv = (var.sqrt() / mean).mean().item() if bool(keep.any()) else float("nan")
    seconds = steps * dt / 1000
    return {
        "rate_hz": len(neuron) / n / seconds,
        "cv_isi": cv,
        "active": torch.unique(neuron).numel() / n,
    }
