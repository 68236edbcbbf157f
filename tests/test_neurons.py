"""The Hodgkin-Huxley simulator against the textbook, a reference trace, and itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from roughgrad.neurons import (
    CurrentSynapse,
    HHParams,
    HodgkinHuxley,
    Network,
    Readout,
    SimulationError,
    chain,
    complete_graph,
    feedforward,
    linexp,
    rates,
    resting_state,
    simulate,
    step,
)

REF = Path(__file__).parent / "data" / "hh_reference.npz"


def test_linexp_has_no_removable_singularity():
    u = torch.tensor([-1e-9, 0.0, 1e-9, 1e-3, 2.0], dtype=torch.float64, requires_grad=True)
    y = linexp(u)
    y.sum().backward()
    assert torch.isfinite(y).all() and torch.isfinite(u.grad).all()
    np.testing.assert_allclose(y.detach()[1].item(), 1.0)
    np.testing.assert_allclose(u.grad[1].item(), 0.5)  # d/du u/(1-e^-u) at 0
    np.testing.assert_allclose(y.detach()[4].item(), 2.0 / (1 - np.exp(-2.0)))
    v = torch.tensor([-55.0, -40.0], requires_grad=True)  # alpha_n and alpha_m's 0/0 points
    sum(r.sum() for r in rates(v)).backward()
    assert torch.isfinite(v.grad).all()


@pytest.mark.slow
def test_resting_potential_near_minus_65():
    res = simulate("hh", None, torch.zeros(1, dtype=torch.float64), steps=4_000, dt=0.05,
                   record=["v"])  # fmt: skip
    assert abs(res.v[-1, 0].item() + 65.0) < 0.5
    assert res.spike_counts.item() == 0


@pytest.mark.slow
def test_rate_at_10_matches_textbook():
    res = simulate("hh", None, torch.full((1,), 10.0), steps=20_000, dt=0.025, transient=4_000)
    rate = res.rates_hz(400.0).item()
    assert abs(rate - 68.0) < 3.0, rate  # textbook ~68 Hz; tolerance: 1 spike in 400 ms


@pytest.mark.slow
def test_reference_trace_within_tolerance():
    ref = np.load(REF)
    i_ext = torch.full((1,), float(ref["i_ext"]), dtype=torch.float64)
    res = simulate("hh", None, i_ext, steps=5000, dt=0.01, record=["v"])
    v = np.concatenate([[-65.0], res.v[:, 0].numpy()])[::10]
    rms = np.sqrt(np.mean((v - ref["v"]) ** 2))
    # measured 0.06 mV; a 0.05 ms drift of one spike would already exceed 1 mV
    assert rms < 0.2, rms


@pytest.mark.slow
def test_batch_equals_separate_runs():
    w = torch.tensor([0.5, 1.0, 1.7], dtype=torch.float64)
    batched = simulate("hh", None, w * 20.0, steps=3000, dt=0.025).output_mean
    single = torch.cat(
        [simulate("hh", None, w[i : i + 1] * 20.0, steps=3000, dt=0.025).output_mean
         for i in range(3)]
    )  # fmt: skip
    torch.testing.assert_close(batched, single)


@pytest.mark.slow
def test_same_generator_same_spikes_and_different_seeds_differ():
    def run(seed):
        return simulate(
            "hh",
            Network(noise_std=5.0),
            torch.full((4, 8), 8.0),
            steps=4000,
            dt=0.025,
            generator=torch.Generator().manual_seed(seed),
            record=["spikes"],
        ).spikes

    assert torch.equal(run(1), run(1))
    assert not torch.equal(run(1), run(2))


@pytest.mark.parametrize(("dt", "method"), [(0.2, "exponential"), (0.05, "euler"), (0.0, "euler")])
def test_unstable_dt_is_refused_with_a_working_one(dt, method):
    with pytest.raises(SimulationError, match=r"outside the stable range .* use dt=0.01"):
        simulate(HodgkinHuxley(method=method), None, torch.ones(1), steps=10, dt=dt)


def test_non_finite_state_raises():
    with pytest.raises(SimulationError, match="non-finite"):
        simulate("hh", None, torch.full((1,), float("nan")), steps=10, dt=0.01)


def test_noise_needs_a_generator():
    with pytest.raises(SimulationError, match="generator"):
        simulate("hh", Network(noise_std=1.0), torch.ones(1), steps=10, dt=0.01)


def test_noise_intensity_does_not_depend_on_dt():
    """White current noise: the spread it gives a resting neuron's V after 5 ms is the same at
    dt = 0.01 and 0.05 (within the sampling error of 2000 trials, ~3%); a per-step std without
    the sqrt(dt) factor would give sqrt(5) = 2.2x the spread at 0.05 instead."""
    spread = {}
    for dt in (0.01, 0.05):
        gen = torch.Generator().manual_seed(1)
        res = simulate("hh", Network(noise_std=1.0), torch.zeros(2000, 1, dtype=torch.float64),
                       steps=round(5 / dt), dt=dt, generator=gen, record=["v"])  # fmt: skip
        spread[dt] = float(res.v[-1].std())
    assert spread[0.05] / spread[0.01] == pytest.approx(1.0, abs=0.1)


@pytest.mark.slow
def test_finite_gradients_through_a_short_simulation():
    w = torch.tensor([0.8, 1.2], requires_grad=True)
    res = simulate("hh", Network(readout=Readout("sigmoid")), w * 10.0, steps=2000, dt=0.01)
    res.output_mean.sum().backward()
    assert torch.isfinite(w.grad).all() and w.grad.abs().sum() > 0


def test_lif_fires_above_rheobase_only():
    res = simulate("lif", None, torch.tensor([1.0, 6.0]), steps=10_000, dt=0.01)
    assert res.spike_counts[0] == 0 and res.spike_counts[1] > 5


@pytest.mark.slow
def test_coupling_excites_the_next_neuron_in_a_chain():
    w_in = torch.tensor([1.0, 0.0, 0.0])  # only the first neuron is driven
    res = simulate("hh", Network(chain(3, 30.0)), w_in * 15.0, steps=10_000, dt=0.01)
    assert res.spike_counts[0] > 5 and res.spike_counts[1] > 0
    spiking = Network(chain(3, 30.0), CurrentSynapse(kind="spike"))
    res_spike = simulate("hh", spiking, w_in * 15.0, steps=10_000, dt=0.01)
    assert res_spike.spike_counts[1] > 0


def test_network_builders():
    assert complete_graph(4, 0.5).sum() == 8.0
    w = feedforward([2, 3, 1], [torch.ones(3, 2), torch.ones(1, 3)])
    assert w.shape == (6, 6) and w[2:5, 0:2].sum() == 6 and w[5, 2:5].sum() == 3
    with pytest.raises(ValueError, match="weights"):
        feedforward([2, 3], [torch.ones(2, 2)])
    assert resting_state((2, 3)).shape == (2, 3, 4)


@pytest.mark.slow
def test_event_driven_spike_coupling_equals_the_dense_product():
    from roughgrad.neurons import step

    g = torch.Generator().manual_seed(0)
    w_rec = 20 * torch.rand(6, 6, generator=g, dtype=torch.float64)
    w_in = torch.rand(6, generator=g, dtype=torch.float64) + 0.5
    network = Network(w_rec, CurrentSynapse(kind="spike"))
    res = simulate("hh", network, w_in * 12.0, steps=3000, dt=0.01, record=["v"])
    # reference: the trace updated every step and W @ trace formed every step
    x = resting_state((6,), dtype=torch.float64)
    syn = torch.zeros(6, dtype=torch.float64)
    decay = torch.exp(torch.tensor(-0.01 / 5.0, dtype=torch.float64))
    for _ in range(3000):
        v_prev = x[..., 0]
        x = step(x, w_in * 12.0 + w_rec @ syn, 0.01)
        syn = syn * decay + ((v_prev < -30) & (x[..., 0] >= -30)).double()
    torch.testing.assert_close(res.v[-1], x[..., 0])
    assert res.spike_counts.sum() > 10


def test_resting_state_is_the_rest_of_the_given_parameters():
    """resting_state(shape, p) starts at p's resting potential: with a leak reversal of -60 mV
    the neuron sits still from it (-66.6 mV), while a -65 mV start drifts."""
    from roughgrad.neurons.hh import rest_potential

    assert abs(rest_potential(HHParams()) + 65.0) < 1e-3
    p = HHParams(e_l=-60.0)
    assert rest_potential(p) < -66.5

    def drift(x0):
        x = x0
        for _ in range(5000):  # 50 ms at dt 0.01, no input
            x = step(x, torch.zeros(1, dtype=torch.float64), 0.01, p)
        return float((x - x0)[..., 0].abs().max())

    assert drift(resting_state((1,), p, dtype=torch.float64)) < 1e-3
    assert drift(resting_state((1,), p, v0=-65.0, dtype=torch.float64)) > 1.0
    with pytest.raises(SimulationError, match="no resting potential"):
        rest_potential(HHParams(g_l=0.0, g_k=0.0))
