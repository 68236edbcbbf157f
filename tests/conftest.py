"""Shared fixtures: every registered experiment's quick profile, run once per test session."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")

import pytest
import torch

from roughgrad.experiments import EXPERIMENTS, Context
from roughgrad.runs import run_experiment

# Under pytest-xdist (two workers, one per core: see pyproject's addopts) each worker gets one
# torch thread; two workers with two threads each oversubscribe the cores and OpenMP's
# spin-waits then slow everything many times over.
torch.set_num_threads(1 if os.environ.get("PYTEST_XDIST_WORKER") else 2)


@pytest.fixture(scope="session")
def quick_runs(tmp_path_factory):
    """name -> RunRecord of the experiment's quick profile (computed lazily, once)."""
    root = tmp_path_factory.mktemp("runs")
    cache = {}

    def get(name: str):
        if name not in cache:
            exp = EXPERIMENTS[name]
            cache[name] = run_experiment(
                exp, exp.config("quick"), profile="quick", ctx=Context(), root=root, argv=["pytest"]
            )
        return cache[name]

    return get


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the items
def pytest_collection_modifyitems(config, items):
    """Tests of one experiment's runs share a worker (``--dist loadgroup``): its quick run and
    its counterexamples' runs are then computed once per test session, not once per worker."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        name = callspec.params.get("name") if callspec is not None else None
        if name in EXPERIMENTS and item.module.__name__.split(".")[-1] in (
            "test_claims",
            "test_experiments",
        ):
            item.add_marker(pytest.mark.xdist_group(name))
