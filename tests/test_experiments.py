"""Every registered experiment: its quick profile runs, writes its files, and its claims hold."""

from __future__ import annotations

import json

import pytest

from roughgrad.experiments import EXPERIMENTS
from roughgrad.experiments._contract import PROFILE_NAMES

# One row per registered experiment: the claims its quick profile must show holding, and the
# figures it must write. A registry entry without a row fails test_every_experiment_has_a_row.
QUICK_EXPECT: dict[str, dict[str, list[str]]] = {
    "sin-frequency": {
        "claims": ["sgd_fails", "exact_frequency_zero_loss"],
        "figures": ["sgd_loss_curves.png"],
    },
}


def test_every_experiment_has_a_row():
    assert set(EXPERIMENTS) == set(QUICK_EXPECT)


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_contract(name):
    exp = EXPERIMENTS[name]
    assert exp.doc.strip(), "the module docstring states the question and the claims"
    assert "seed" in exp.source
    for profile in PROFILE_NAMES:
        exp.config(profile)  # every profile resolves to a valid config


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_quick_profile(name, quick_runs):
    record = quick_runs(name)
    files = {p.name for p in record.run_dir.iterdir()}
    assert {"config.json", "argv.txt", "env.json", "metrics.json", "claims.json"} <= files
    assert not [f for f in files if f.endswith(".tmp")]
    assert json.loads((record.run_dir / "config.json").read_text())["seed"] == 0
    claims = {c["name"]: c for c in record.claims}
    for claim in QUICK_EXPECT[name]["claims"]:
        assert claims[claim]["holds"], claims[claim]["evidence"]
    figures = {p.name for p in (record.run_dir / "figures").iterdir()}
    assert set(QUICK_EXPECT[name]["figures"]) <= figures
    for fig in figures:
        assert (record.run_dir / "figures" / fig).stat().st_size > 1000
