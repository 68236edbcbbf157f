"""reproduce's time-left estimate: every experiment has measured times, scaled to the machine."""

from __future__ import annotations

import pytest

from roughgrad import _catalog
from roughgrad.runs.eta import Eta, expected_seconds, measured


@pytest.mark.parametrize("profile", ["quick", "default"])
def test_every_experiment_has_a_measured_time(profile):
    missing = [n for n in _catalog.MODULES if expected_seconds(n, profile) is None]
    assert not missing, f"add their {profile} wall time to roughgrad/runs/timings.json: {missing}"
    assert set(measured()[profile]) <= set(_catalog.MODULES)  # no stale names


def test_time_left_scales_with_how_fast_this_machine_ran_the_finished_ones():
    names = ["clock", "snake-tsne", "digits-bnn"]
    eta = Eta(names, "default")
    measured_left = sum(expected_seconds(n, "default") or 0 for n in names[1:])
    assert eta.remaining(1) == pytest.approx(measured_left)
    eta.finished("clock", 0.5 * (expected_seconds("clock", "default") or 0))  # twice as fast
    assert eta.remaining(1) == pytest.approx(0.5 * measured_left)
    assert eta.describe(1).startswith("experiment 2/3: snake-tsne, about ")
    eta.finished("snake-tsne", 0.2)  # a kept run of a resumed reproduce: not a measure of speed
    assert eta.speed() == pytest.approx(0.5)


def test_an_experiment_without_a_measured_time_says_so():
    eta = Eta(["clock", "not-measured"], "default")
    assert eta.remaining(0) is None
    assert "time left unknown" in eta.describe(0)
    assert eta.remaining(1) is None
