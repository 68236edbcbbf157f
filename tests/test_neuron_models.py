"""Every registered neuron model: the interface's contract, and each against a reference."""

from __future__ import annotations

import pytest
import torch

from roughgrad.neurons import Network, simulate
from roughgrad.neurons.hh import SimulationError
from roughgrad.neurons.models import NEURONS, HodgkinHuxley, Izhikevich, NeuronModel

# one row per registered model: a dt, a current that keeps it silent, one that makes it fire,
# and the state size K. A registry entry without a row fails.
CONTRACT = {
    "hh": (0.05, 0.0, 10.0, 4),
    "lif": (0.1, 0.0, 20.0, 1),
    "izhikevich": (0.1, 0.0, 10.0, 2),
    "traub-miles": (0.05, -0.5, 10.0, 4),
}
# models whose init_state is a rest at the quiet current (Traub-Miles with the COBAHH
# parameters has none at I = 0: it fires tonically, 14 Hz; it starts at V = EL)
NO_REST_AT_INIT = {"traub-miles"}


def test_every_model_has_a_row():
    assert set(NEURONS) == set(CONTRACT)


def _run(model: NeuronModel, current, dt: float, ms: float, shape=(3, 5), skip_ms=0.0):
    """Final state and spike counts after ``skip_ms`` of a step current (a number, or a
    tensor broadcast to ``shape``) held for ``ms``."""
    x = model.init_state(shape, dtype=torch.float64, device=None)
    spikes = torch.zeros(shape)
    drive = torch.as_tensor(current, dtype=torch.float64).expand(shape)
    skip = round(skip_ms / dt)
    for k in range(round(ms / dt)):
        x, s = model.step(x, drive, dt)
        spikes += s * (k >= skip)
    return x, spikes


@pytest.mark.parametrize("name", list(CONTRACT))
def test_model_contract(name):
    dt, quiet, loud, k = CONTRACT[name]
    model = NEURONS[name]()
    x0 = model.init_state((3, 5), dtype=torch.float64, device=None)
    assert x0.shape == (3, 5, k) and x0.dtype == torch.float64
    x, spikes = _run(model, quiet, dt, 50.0)
    assert spikes.sum() == 0  # the quiet current: no spike
    if name not in NO_REST_AT_INIT:
        torch.testing.assert_close(x, x0, atol=1e-3, rtol=0)  # rest is a fixed point
    _, spikes = _run(model, loud, dt, 100.0)
    assert (spikes >= 2).all()  # a strong drive makes every neuron fire repeatedly
    assert torch.equal(spikes, spikes[0, 0].expand_as(spikes))  # batch entries are independent
    with pytest.raises(SimulationError, match="outside the stable range"):
        model.check_dt(10.0)


@pytest.mark.parametrize("name", list(CONTRACT))
def test_simulate_runs_every_model_through_the_interface(name):
    dt, _, loud, _ = CONTRACT[name]
    res = simulate(name, Network(), torch.full((4,), loud, dtype=torch.float64),
                   steps=round(50 / dt), dt=dt)  # fmt: skip
    direct = _run(NEURONS[name](), loud, dt, 50.0, shape=(4,))[1]
    assert torch.equal(res.spike_counts, direct.to(res.spike_counts.dtype))


def test_hh_through_the_interface_equals_the_seed_setting_rate():
    # simulate(model="hh") and an explicit HodgkinHuxley instance are the same model
    w = torch.linspace(0.5, 1.5, 6, dtype=torch.float64)
    a = simulate("hh", None, w * 10.0, steps=2000, dt=0.01)
    b = simulate(HodgkinHuxley(), None, w * 10.0, steps=2000, dt=0.01)
    assert torch.equal(a.spike_counts, b.spike_counts) and a.spike_counts.sum() > 0


def test_izhikevich_rheobase_is_where_the_rest_turns_unstable():
    """Izhikevich 2003's regular-spiking neuron (a = 0.02 < b = 0.2) loses its rest through a
    Hopf bifurcation at v* = -62.25 mV, I = 3.7975 (linear stability of the fixed point): just
    below it the neuron is silent, just above it fires (a Hopf onset: at a low but non-zero
    rate, 6 Hz here) and faster with more current. The saddle-node variant (a = b) loses it at
    (5 - b)^2 / 0.16 - 140."""
    model = Izhikevich()
    assert model.rheobase == pytest.approx(3.7975)
    assert Izhikevich(a=0.2).rheobase == pytest.approx(4.0)
    below, above = 0.98 * model.rheobase, 1.01 * model.rheobase
    currents = torch.tensor([below, above, 6.0, 10.0, 20.0], dtype=torch.float64)
    # one neuron per current; the onset of a step current can fire once: count after 500 ms
    _, spikes = _run(model, currents, 0.1, 2500.0, shape=(5,), skip_ms=500.0)
    rates = dict(zip([below, above, 6.0, 10.0, 20.0], (spikes / 2.0).tolist(), strict=True))
    assert rates[below] == 0  # the analytic rheobase brackets the simulated one within 2%
    assert 0 < rates[above] < rates[6.0] < rates[10.0] < rates[20.0]
    assert rates[above] < 0.3 * rates[10.0]  # a slow onset, 6 Hz against 22 Hz at I = 10


def test_unknown_model_is_one_line():
    with pytest.raises(SimulationError, match="unknown model 'adex'; registered: hh, lif"):
        simulate("adex", None, torch.ones(2), steps=10, dt=0.01)
