"""The network description and the one simulator: sparse weights, conductance synapses, any
NeuronModel (registered or not) on the torch backend, backend choice, COBAHH against Brian2."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from torch import Tensor

from roughgrad.neurons import (
    BACKENDS,
    LIF,
    ConductanceSynapse,
    CurrentSynapse,
    HHParams,
    HodgkinHuxley,
    Network,
    NeuronModel,
    SimulationError,
    chain,
    random_sparse,
    simulate,
)
from roughgrad.neurons.backends import SimState
from roughgrad.neurons.cobahh import cobahh, spike_statistics

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class FitzHughNagumo(NeuronModel):
    """A model the library does not ship or register: dv = v - v^3/3 - w + I,
    dw = (v + a - b w) / tau, forward Euler (in the model's own units); a spike is an upward
    crossing of v = 1."""

    a: float = 0.7
    b: float = 0.8
    tau: float = 12.5
    max_dt = 0.1

    def init_state(self, shape, *, dtype, device):
        v = torch.full(shape, -1.1994, dtype=dtype, device=device)
        return torch.stack([v, (v + self.a) / self.b], -1)

    def step(self, state: Tensor, current: Tensor, dt: float) -> tuple[Tensor, Tensor]:
        v, w = state.unbind(-1)
        v_new = v + dt * (v - v**3 / 3 - w + current)
        w_new = w + dt * (v + self.a - self.b * w) / self.tau
        return torch.stack([v_new, w_new], -1), (v < 1) & (v_new >= 1)


def test_an_unregistered_model_runs_on_the_torch_backend_and_equals_a_plain_euler_loop():
    model, dt, steps = FitzHughNagumo(), 0.05, 4000
    drive = torch.tensor([[0.0, 0.5, 1.0]], dtype=torch.float64)  # silent, firing, firing
    res = simulate(model, None, drive, steps=steps, dt=dt, record=["v"])
    v, w = torch.full((3,), -1.1994, dtype=torch.float64), None
    w = (v + 0.7) / 0.8
    count = torch.zeros(3, dtype=torch.float64)
    for _ in range(steps):  # the reference: the model's equations, by hand
        v_new = v + dt * (v - v**3 / 3 - w + drive[0])
        w = w + dt * (v + 0.7 - 0.8 * w) / 12.5
        count += ((v < 1) & (v_new >= 1)).double()
        v = v_new
    assert torch.equal(res.v[-1, 0], v) and torch.equal(res.spike_counts[0], count)
    assert count[0] == 0 and count[1] > 2 and count[2] > 2
    # coupled through a chain of current synapses, driven at the first neuron only
    coupled = Network(chain(3, 2.0, dtype=torch.float64), CurrentSynapse(kind="spike"))
    res = simulate(model, coupled, torch.tensor([0.6, 0.0, 0.0], dtype=torch.float64),
                   steps=steps, dt=dt)  # fmt: skip
    assert res.spike_counts[0] > 2 and res.spike_counts[1] > 0
    auto = simulate(model, None, drive, steps=100, dt=dt, backend="auto")  # no kernel: torch
    assert auto.state is not None and auto.state.synapses is not None
    with pytest.raises(SimulationError, match=r"only; use backend='torch'$") as caught:
        simulate(model, None, drive, steps=100, dt=dt, backend="fused")
    assert "\n" not in str(caught.value)


def test_every_backend_answers_supports_with_none_or_a_reason():
    from roughgrad.neurons.backends import Request

    request = Request(FitzHughNagumo(), Network(), torch.zeros(3), 10, 0.05)
    for backend in BACKENDS.values():
        answer = backend.supports(request)
        assert answer is None or (isinstance(answer, str) and answer and "\n" not in answer)
    assert BACKENDS["torch"].supports(request) is None


def test_random_sparse_has_the_connection_probability_and_couples_like_the_dense_matrix():
    gen = torch.Generator().manual_seed(0)
    n, p = 300, 0.05
    per_pre = torch.linspace(0.1, 1.0, n, dtype=torch.float64)
    w = random_sparse(n, p, per_pre, generator=gen, dtype=torch.float64)
    dense = w.dense()
    nnz = int((dense != 0).sum())
    assert abs(nnz - p * n * n) < 4 * math.sqrt(n * n * p * (1 - p))  # binomial: 4 sd
    present = dense != 0
    assert torch.equal(dense, present * per_pre)  # each synapse carries its pre's weight
    net = Network(w)
    s = torch.rand(4, n, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(net.couple(s), s @ dense.T)
    spiked = torch.rand(2, 4, n, generator=gen) < 0.1
    expect = spiked.double() @ dense.T
    torch.testing.assert_close(net.couple_spikes(spiked, torch.float64), expect)
    with pytest.raises(ValueError, match=r"p=1.5 must be in \[0, 1\]"):
        random_sparse(4, 1.5, 1.0, generator=gen)


def test_a_sparse_network_simulates_as_its_dense_matrix():
    model, network, inputs, state = cobahh(
        200, generator=torch.Generator().manual_seed(1), dtype=torch.float64
    )
    assert network.weights is not None and not isinstance(network.weights, Tensor)
    dense = Network(network.weights.dense(), network.synapse, inhibitory=network.inhibitory)
    a = simulate(model, network, inputs, steps=400, dt=0.1, state=state)
    b = simulate(model, dense, inputs, steps=400, dt=0.1, state=state)
    assert a.spike_counts.sum() > 20 and torch.equal(a.spike_counts, b.spike_counts)
    torch.testing.assert_close(a.state.neurons, b.state.neurons, atol=1e-9, rtol=0)


def test_a_held_conductance_moves_a_passive_membrane_to_its_reversal_weighted_mean():
    """With the active channels off and g_e, g_i held (time constants of 1e12 ms), the
    membrane is linear: V relaxes to (gL EL + ge Ee + gi Ei) / (gL + ge + gi) with time constant
    C / (gL + ge + gi), exactly (exponential Euler is exact for a frozen conductance)."""
    p = HHParams(g_na=0.0, g_k=0.0, g_l=0.1, e_l=-65.0)
    g_e, g_i = 0.3, 0.2
    synapse = ConductanceSynapse(tau_e=1e12, tau_i=1e12, e_e=0.0, e_i=-80.0)
    model = HodgkinHuxley(p)
    start = model.init_state((1,), dtype=torch.float64, device=None)
    start[..., 0] = -65.0
    g = (torch.full((1,), g_e, dtype=torch.float64), torch.full((1,), g_i, dtype=torch.float64))
    res = simulate(model, Network(synapse=synapse), torch.zeros(1, dtype=torch.float64),
                   steps=100, dt=0.1, state=SimState(start, g), record=["v"])  # fmt: skip
    g_tot = 0.1 + g_e + g_i
    v_inf = (0.1 * -65.0 + g_e * 0.0 + g_i * -80.0) / g_tot
    t = torch.arange(1, 101, dtype=torch.float64) * 0.1
    exact = v_inf + (-65.0 - v_inf) * torch.exp(-t * g_tot / 1.0)
    torch.testing.assert_close(res.v[:, 0], exact, atol=1e-9, rtol=0)


def test_the_default_conductance_step_is_the_explicit_current():
    """A model without its own conductance step gets current - g V at the step's start."""
    lif = LIF()
    x = lif.init_state((3,), dtype=torch.float64, device=None)
    current = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    g = torch.full((3,), 0.05, dtype=torch.float64)
    a, _ = lif.step_conductance(x, current, g, 0.1)
    b, _ = lif.step(x, current - g * x[..., 0], 0.1)
    assert torch.equal(a, b)


def test_a_held_excitatory_conductance_blocks_an_hh_neuron_as_a_current_does():
    """Depolarisation block is not a current-synapse artefact: over 80 ms after a 20 ms
    transient, an HH neuron fires at 100 uA/cm^2 and is blocked at 150, and a held excitatory
    conductance (E_e = 0 mV) fires it at 1 mS/cm^2 and blocks it at 2 (about 65 and 130
    uA/cm^2 at rest). Bounded drive, not the synapse model, keeps a neuron firing."""
    model, steps, dt = HodgkinHuxley(), 2000, 0.05  # exponential Euler: 0.05 ms is accurate
    current = simulate(model, None, torch.tensor([100.0, 150.0]), steps=steps, dt=dt,
                       transient=400)  # fmt: skip
    g = torch.tensor([1.0, 2.0])
    held = ConductanceSynapse(tau_e=1e12, tau_i=1e12)
    start = SimState(model.init_state((2,), dtype=torch.float32, device=None), (g, 0 * g))
    conductance = simulate(model, Network(synapse=held), torch.zeros(2), steps=steps, dt=dt,
                           state=start, transient=400)  # fmt: skip
    for res in (current, conductance):
        assert res.spike_counts[0] >= 5 and res.spike_counts[1] == 0


def test_spike_statistics_of_a_clock_and_of_poisson_trains():
    steps, n, dt = 20_000, 400, 0.1  # 2 s
    clock = torch.zeros(steps, n, dtype=torch.bool)
    clock[::100] = True  # every 10 ms: 100 Hz, CV 0
    stats = spike_statistics(clock, dt)
    assert stats == {"rate_hz": 100.0, "cv_isi": 0.0, "active": 1.0}
    gen = torch.Generator().manual_seed(0)
    poisson = torch.rand(steps, n, generator=gen) < 20 * dt / 1000  # 20 Hz
    poisson[:, : n // 4] = False  # a quarter silent
    stats = spike_statistics(poisson, dt)
    assert stats["active"] == 0.75
    assert stats["rate_hz"] == pytest.approx(15.0, rel=0.03)  # 0.75 x 20 Hz; 24,000 spikes
    assert stats["cv_isi"] == pytest.approx(1.0, abs=0.03)  # 300 neurons x ~40 intervals
    assert math.isnan(spike_statistics(torch.zeros(10, 3, dtype=torch.bool), dt)["cv_isi"])


def test_the_fused_cobahh_kernel_matches_the_torch_backend():
    """The sparse conductance kernel against the torch step, float64: the same spikes and
    states to 1e-9 over 40 ms of a 300-neuron COBAHH network, continued from its state."""
    from roughgrad.neurons import fused

    if not fused.available():
        pytest.skip("the fused kernels do not build here")
    model, network, inputs, state = cobahh(
        300, generator=torch.Generator().manual_seed(0), dtype=torch.float64
    )
    kw = dict(steps=400, dt=0.1, state=state, record=["spikes"], transient=100)
    ref = simulate(model, network, inputs, **kw)
    ours = simulate(model, network, inputs, backend="fused", **kw)
    assert ref.spikes.sum() > 50 and torch.equal(ours.spikes, ref.spikes)
    torch.testing.assert_close(ours.output_mean, ref.output_mean, atol=1e-9, rtol=0)
    torch.testing.assert_close(ours.state.neurons, ref.state.neurons, atol=1e-9, rtol=0)
    for a, b in zip(ours.state.synapses, ref.state.synapses, strict=True):
        torch.testing.assert_close(a, b, atol=1e-9, rtol=0)
    assert simulate(model, network, inputs, steps=10, dt=0.1, backend="auto").state is not None
    noisy = Network(network.weights, network.synapse, network.inhibitory, noise_std=1.0)
    with pytest.raises(SimulationError, match="without noise only; use backend='torch'"):
        simulate(
            model, noisy, inputs, steps=10, dt=0.1, backend="fused", generator=torch.Generator()
        )


@pytest.mark.slow
def test_cobahh_spike_statistics_agree_with_brian2():
    """COBAHH at 1,000 neurons for 0.5 s (dt 0.1 ms), 5 connectivity draws, against Brian2
    2.9's own example run on 5 (tests/data/cobahh_brian2.json, made by
    ``benchmarks/cobahh.py --reference``). The network is chaotic and small, so each statistic
    varies between draws (Brian2's rates: 45-61 Hz); the two means must differ by less than 3
    standard errors of their difference. That tolerance catches gross errors only: measured
    on 3 draws, inhibitory weights at 0.7x raise the mean rate from 54 to 77 Hz (at the edge
    of the tolerance), and 1.4x leaves it inside."""
    ref = json.loads((DATA / "cobahh_brian2.json").read_text())
    ours: dict[str, list[float]] = {"rate_hz": [], "cv_isi": [], "active": []}
    for seed in range(5):
        model, network, inputs, state = cobahh(1000, generator=torch.Generator().manual_seed(seed))
        res = simulate(model, network, inputs, steps=5000, dt=0.1, state=state,
                       record=["spikes"], backend="auto")  # fmt: skip
        for key, value in spike_statistics(res.spikes, 0.1).items():
            ours[key].append(value)
    for key, values in ours.items():
        theirs = torch.tensor([run[key] for run in ref["runs"]], dtype=torch.float64)
        mine = torch.tensor(values, dtype=torch.float64)
        se = math.sqrt(mine.var() / len(mine) + theirs.var() / len(theirs))
        assert abs(float(mine.mean() - theirs.mean())) < 3 * se, (key, values, theirs.tolist())


def test_an_unregistered_model_trains_in_a_layered_classifier():
    """HHNet(neuron=...) runs any NeuronModel in the input -> hidden -> output classifier on
    the torch backend: the readout is differentiable through a continuous model's voltage
    (autodiff gives a finite, non-zero gradient), node perturbation's one-unit estimates fall
    back to whole networks, and a few steps of gradient descent lower the loss."""
    from roughgrad.estimators import NodePerturbation
    from roughgrad.neurons.layered import HHNet, hh_traces
    from roughgrad.objectives import HHClassifier

    gen = torch.Generator().manual_seed(0)
    x = torch.rand(8, 6, generator=gen)
    y = torch.arange(8) % 2
    net = HHNet(steps=100, dt=0.1, scale=1.0, readout="membrane", neuron=FitzHughNagumo(),
                autograd_backend="torch")  # fmt: skip
    objective = HHClassifier(x, y, net, torch.nn.functional.cross_entropy, hidden=5, classes=2)
    params = {"w1": torch.randn(5, 6, generator=gen), "b1": torch.zeros(5),
              "w2": torch.randn(2, 5, generator=gen), "b2": torch.zeros(2)}  # fmt: skip
    leaves = {k: v.clone().requires_grad_() for k, v in params.items()}
    loss = objective(leaves)
    loss.backward()
    grads = [v.grad for v in leaves.values()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0
    estimate = NodePerturbation(sigma=0.05, num_samples=14, directions="coordinates")(
        objective, params, generator=gen
    )
    assert all(torch.isfinite(g).all() for g in estimate.grad.values())
    step = {k: v - 0.5 * leaves[k].grad for k, v in params.items()}
    assert float(objective(step)) < float(loss.detach())
    traces = hh_traces(params, x[:2], net)
    assert traces["v"].shape == (100, 2, 7) and traces["spikes"].dtype == torch.bool
    with pytest.raises(SimulationError, match="runs on the torch backend only"):
        HHNet(neuron=FitzHughNagumo(), backend="fused")


def test_conductance_synapses_clamp_a_layered_network_at_the_reversal_potentials():
    """HHNet(synapse="conductance"): a pre-activation z opens g_scale |z| towards e_e (z > 0)
    or e_i (z < 0). Driven hard, a hidden neuron settles at the reversal potential (0 or
    -80 mV) where the same z as a current pushes it far past both; and autodiff's
    gradient through the conductances equals a central finite difference (float64); the HH
    kernels (compile, fused) refuse conductances with one line."""
    from roughgrad.neurons.layered import HHNet, hh_forward, hh_traces

    x = torch.ones(1, 1, dtype=torch.float64)
    params = {"w1": torch.tensor([[4000.0], [-4000.0]], dtype=torch.float64),
              "b1": torch.zeros(2, dtype=torch.float64),
              "w2": torch.zeros(1, 2, dtype=torch.float64),
              "b2": torch.zeros(1, dtype=torch.float64)}  # fmt: skip
    common = dict(steps=2000, dt=0.01, autograd_backend="torch")
    # g = 2400 mS/cm^2 outweighs the membrane's own (at most 156): V is their weighted mean
    cond = hh_traces(params, x, HHNet(**common, synapse="conductance"))["v"][-500:, 0, :2]
    assert cond[:, 0].sub(0.0).abs().max() < 1.0  # held at e_e = 0 mV
    assert cond[:, 1].sub(-80.0).abs().max() < 1.0  # held at e_i = -80 mV
    cur = hh_traces(params, x, HHNet(**common))["v"][-500:, 0, :2]  # the same z as a current
    assert cur[:, 0].min() > 100.0 and cur[:, 1].max() < -200.0  # goes far past both

    gen = torch.Generator().manual_seed(1)
    xs = torch.rand(3, 4, generator=gen, dtype=torch.float64)
    p = {"w1": torch.randn(5, 4, generator=gen, dtype=torch.float64),
         "b1": torch.zeros(5, dtype=torch.float64),
         "w2": torch.randn(2, 5, generator=gen, dtype=torch.float64),
         "b2": torch.zeros(2, dtype=torch.float64)}  # fmt: skip
    net = HHNet(steps=300, dt=0.05, readout="membrane", synapse="conductance",
                backend="torch", autograd_backend="torch")  # fmt: skip
    leaf = p["w1"].clone().requires_grad_()
    hh_forward({**p, "w1": leaf}, xs, net)[0].sum().backward()
    assert leaf.grad is not None
    e = torch.zeros_like(leaf)
    e[4, 2] = 1e-6  # the largest entry (0.35); silent units' are ~1e-9
    up = hh_forward({**p, "w1": p["w1"] + e}, xs, net)[0].sum()
    down = hh_forward({**p, "w1": p["w1"] - e}, xs, net)[0].sum()
    assert float(leaf.grad[4, 2]) == pytest.approx(float(up - down) / 2e-6, rel=1e-6)
    with pytest.raises(SimulationError, match="synapse='conductance' runs on the torch"):
        HHNet(synapse="conductance", backend="fused")
