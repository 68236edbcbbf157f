"""The experiment catalog the command line reads is the registry's, up to date."""

from __future__ import annotations

from roughgrad import _catalog
from roughgrad.cli import PROFILE_NAMES, SWEEP_BACKENDS
from roughgrad.experiments import EXPERIMENTS
from roughgrad.experiments.base import PROFILE_NAMES as BASE_PROFILES
from roughgrad.runs.sweep import BACKENDS


def test_the_committed_catalog_is_the_registrys():
    fresh = _catalog.render(_catalog.build())
    committed = _catalog.render(_catalog.catalog())
    assert committed == fresh, "catalog.json is stale: run `python -m roughgrad._catalog`"


def test_every_catalog_name_loads_its_own_experiment():
    """An experiment's name is written once, as its registry key: the module's Experiment has
    none, the registry's carries the key."""
    import importlib

    assert list(EXPERIMENTS) == list(_catalog.MODULES)
    for name, where in _catalog.MODULES.items():
        module, _, attr = where.partition(":")
        assert getattr(importlib.import_module(module), attr).name == ""
        assert EXPERIMENTS[name].name == name


def test_the_cli_constants_match_the_library():
    assert PROFILE_NAMES == BASE_PROFILES
    assert SWEEP_BACKENDS == tuple(BACKENDS)


def test_a_source_is_cited_by_its_title():
    assert _catalog.cite("write-up 003, 'Training Complete Graph'") == (
        "Loss Landscapes Emerging from BNNs: 'Training Complete Graph'"
    )
