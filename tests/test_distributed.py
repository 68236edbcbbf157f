"""Populations evaluated by Ray actors equal the in-process evaluation (noise is drawn in the
driver; only float reassociation may differ), for perturbation and node-perturbation estimators."""

from __future__ import annotations

import sys

import pytest
import torch

from roughgrad.data import load_dataset
from roughgrad.estimators import GaussianSmoothing, LocalRegression, NodePerturbation
from roughgrad.experiments.digits import common as _digits
from roughgrad.objectives import HHNet, PopulationPool, Restricted, distributed
from roughgrad.objectives.base import NodePerturbable
from roughgrad.objectives.distributed import split_members

pytestmark = pytest.mark.slow


def test_split_members_is_contiguous_and_complete():
    x = {"a": torch.arange(10), "b": torch.arange(20).reshape(10, 2)}
    parts = split_members(x, 3)
    assert [len(p["a"]) for p in parts] == [3, 4, 3]
    assert torch.equal(torch.cat([p["b"] for p in parts]), x["b"])
    assert len(split_members(x, 50)) == 10  # never an empty chunk


def test_pool_without_ray_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ImportError, match=r"pip install 'roughgrad\[ray\]'"):
        PopulationPool(2)


@pytest.fixture(scope="module")
def pool():
    """Two actors on a local Ray of 4 CPUs (2 stay free for a second pool)."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        with PopulationPool(actors=2) as p:
            yield p
    finally:
        ray.shutdown()


def test_pool_refuses_more_actors_than_free_cpus(pool):
    with pytest.raises(RuntimeError, match="Ray has 2 free CPUs; 3 actors of 1 thread"):
        PopulationPool(actors=3)


def _problem(kind: str):
    data = load_dataset("digits", None, max_train=200, device=torch.device("cpu"))
    net = HHNet(steps=60, dt=0.05) if kind == "bnn" else None
    problem = _digits.make_problem(kind, 64, 16, "ce", 10.0, net)
    params = problem.init(torch.Generator().manual_seed(0), torch.device("cpu"))
    return problem.objective(data.x_train[:16], data.y_train[:16]), params


@pytest.mark.parametrize(
    ("kind", "estimator"),
    [
        ("ann", GaussianSmoothing(sigma=0.05, num_samples=32)),
        ("ann", LocalRegression(sigma=0.05, num_samples=32)),
        ("ann", NodePerturbation(sigma=0.1, num_samples=9)),
        # one-unit noise: in process MLPObjective's cheap path, on the actors the dense default
        ("ann", NodePerturbation(sigma=0.1, num_samples=12, directions="coordinates")),
        ("bnn", NodePerturbation(sigma=0.1, num_samples=5)),
    ],
)
def test_distributed_estimate_equals_in_process(pool, kind, estimator):
    obj, params = _problem(kind)
    far = distributed(obj, pool)
    assert isinstance(far, NodePerturbable) == isinstance(obj, NodePerturbable)
    near = estimator(obj, params, generator=torch.Generator().manual_seed(1))
    away = estimator(far, params, generator=torch.Generator().manual_seed(1))
    assert near.num_evals == away.num_evals
    for k in near.grad:
        torch.testing.assert_close(away.grad[k], near.grad[k], rtol=1e-4, atol=1e-6)


def test_restricted_over_distributed(pool):
    obj, params = _problem("ann")
    est = LocalRegression(sigma=0.05, num_samples=24)
    sub = {k: params[k] for k in list(params)[:2]}
    near = est(Restricted(obj, params), sub, generator=torch.Generator().manual_seed(2))
    far = est(
        Restricted(distributed(obj, pool), params), sub, generator=torch.Generator().manual_seed(2)
    )
    for k in sub:
        torch.testing.assert_close(far.grad[k], near.grad[k], rtol=1e-4, atol=1e-6)


def test_digits_training_with_population_actors_matches_in_process(pool):
    """The experiments' option: population_actors=2 trains to the same (validation) accuracies."""
    from roughgrad.experiments import EXPERIMENTS, Context

    exp = EXPERIMENTS["digits-ann"]
    config = exp.config("quick", {"epochs": "1.0", "methods": "node_perturbation"})
    data = _digits.load_data(config, Context())
    problem = _digits.make_problem("ann", 64, config.hidden, config.loss, config.ce_gain)
    runs = []
    for actors in (0, 2):
        cfg = exp.config("quick", {**config.to_dict(), "population_actors": actors})
        trace, _ = _digits.train(problem, "node_perturbation", cfg, data, Context(), seed=0)
        runs.append(trace.accuracy)
    assert runs[0] == pytest.approx(runs[1], abs=1e-6) and runs[0][-1] > 0.3
