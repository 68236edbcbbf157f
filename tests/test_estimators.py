"""Every estimator against the true gradient: a contract over the registry, rates, node noise."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from roughgrad.estimators import (
    ESTIMATORS,
    Autodiff,
    FiniteDifference,
    GaussianSmoothing,
    LocalRegression,
    Mollified,
    NodePerturbation,
    NodePerturbationThroughTime,
    cosine,
    kneighbour_slope,
    relative_error,
    set_grads,
)
from roughgrad.objectives import FunctionObjective, ModuleObjective, Quadratic, RNNObjective

# One row per registered estimator: the problem it is checked on, settings that make it accurate
# there, the cosine with the true gradient it must reach, and the cost it must report (in
# whole-network evaluations, see estimators.base). A registry entry without a row fails.
CONTRACT = {
    "autodiff": ("quadratic", {}, 0.999999, lambda e: (e.num_evals, e.num_grads) == (1, 1)),
    "finite_difference": ("quadratic", {"sigma": 1e-3}, 0.999999, lambda e: e.num_evals == 20),
    "local_regression": (
        "quadratic",
        {"num_samples": 200, "sigma": 0.01},
        0.9999,
        lambda e: e.num_evals == 200,
    ),
    "gaussian_smoothing": (
        "quadratic",
        {"num_samples": 4000, "sigma": 0.01},
        0.99,
        lambda e: e.num_evals == 4000,
    ),
    # layerwise: 2000 noisy networks + 1 clean one per layer of the 64-32-10 MLP
    "node_perturbation": (
        "mlp",
        {"sigma": 1e-3, "num_samples": 4000},
        0.98,
        lambda e: (e.num_evals, e.num_grads) == (4002, 0),
    ),
    # S + 1 rollouts of the RNN
    "node_perturbation_time": (
        "rnn",
        {"sigma": 1e-3, "num_samples": 3000},
        0.98,
        lambda e: (e.num_evals, e.num_grads) == (3001, 0),
    ),
    "mollified": (
        "quadratic",
        {"num_samples": 4000, "sigma": 0.05},
        0.99,
        lambda e: e.num_evals == 4000,
    ),
}


def quadratic(seed=0, dim=10):
    g = torch.Generator().manual_seed(seed)
    q = Quadratic(dim, generator=g)
    return q, {"theta": torch.randn(dim, generator=g, dtype=torch.float64)}


def digits_mlp(batch=128, seed=0):
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
    obj = ModuleObjective(
        model,
        nn.functional.cross_entropy,
        torch.tensor(x[:batch] / 16, dtype=torch.float32),
        torch.tensor(y[:batch]),
    )
    return model, obj


def _problem(kind):
    """(objective, params, true gradient) for a CONTRACT row."""
    if kind == "quadratic":
        obj, params = quadratic()
    elif kind == "mlp":
        _, obj = digits_mlp()
        params = {k: v.detach() for k, v in obj.model.named_parameters()}
    else:
        obj, params = small_rnn()
    return obj, params, Autodiff()(obj, params, generator=torch.Generator()).grad


def test_every_estimator_has_a_row():
    assert set(ESTIMATORS) == set(CONTRACT)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CONTRACT))
def test_contract(name):
    kind, kwargs, min_cos, cost_ok = CONTRACT[name]
    obj, params, true = _problem(kind)
    est = ESTIMATORS[name](**kwargs)
    e1 = est(obj, params, generator=torch.Generator().manual_seed(1))
    assert set(e1.grad) == set(params)
    assert all(
        e1.grad[k].shape == v.shape and e1.grad[k].dtype == v.dtype for k, v in params.items()
    )
    assert cosine(e1.grad, true) > min_cos
    assert cost_ok(e1)
    e2 = est(obj, params, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(e1.grad, e2.grad)  # same generator -> same estimate


def test_node_perturbation_refuses_parameters_it_cannot_estimate():
    model = nn.Sequential(nn.Conv1d(1, 2, 3), nn.Flatten(), nn.Linear(12, 3))
    x, y = torch.randn(5, 1, 8), torch.tensor([0, 1, 2, 0, 1])
    obj = ModuleObjective(model, nn.functional.cross_entropy, x, y)
    params = {k: v.detach() for k, v in model.named_parameters()}
    with pytest.raises(ValueError, match=r"cannot estimate 0\.weight, 0\.bias"):
        NodePerturbation()(obj, params, generator=torch.Generator())
    linear = {k: v for k, v in params.items() if k.startswith("2.")}  # what it does cover
    est = NodePerturbation()(obj, linear, generator=torch.Generator())
    assert set(est.grad) == {"2.weight", "2.bias"}
    with pytest.raises(ValueError, match=r"no gradient for trainable parameters 0\.weight"):
        set_grads(model, est)  # the conv would silently never train
    model[0].requires_grad_(False)
    set_grads(model, est)  # frozen: fine
    assert model[0].weight.grad is None and model[2].weight.grad is not None


def test_the_entry_point_refuses_a_malformed_gradient():
    from dataclasses import dataclass

    from roughgrad.estimators import Estimate, Estimator

    @dataclass(frozen=True)
    class Broken(Estimator):
        def _estimate(self, objective, params, generator):
            return Estimate({k: v[:1] for k, v in params.items()}, num_evals=1)

    q, p = quadratic()
    with pytest.raises(RuntimeError, match=r"Broken returned theta as \(1,\)"):
        Broken()(q, p, generator=torch.Generator())


def test_node_perturbation_needs_the_capability():
    q, p = quadratic()
    with pytest.raises(
        TypeError,
        match="NodePerturbation needs an objective implementing NodePerturbable; got Quadratic",
    ):
        NodePerturbation()(q, p, generator=torch.Generator())


def test_randomness_must_be_explicit():
    q, p = quadratic()
    with pytest.raises(TypeError, match="generator"):
        GaussianSmoothing()(q, p, generator=None)


def test_finite_difference_error_is_second_order():
    f = FunctionObjective(lambda p: torch.sin(p["x"]).sum() + (p["x"] ** 3).sum())
    p = {"x": torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64)}
    true = torch.cos(p["x"]) + 3 * p["x"] ** 2
    errs = [
        (FiniteDifference(sigma=h)(f, p, generator=torch.Generator()).grad["x"] - true).norm()
        for h in (1e-2, 5e-3)
    ]
    assert 3.5 < errs[0] / errs[1] < 4.5  # halving h quarters the error


def test_monte_carlo_error_shrinks_like_one_over_sqrt_s():
    q, p = quadratic(dim=20)
    true = q.gradient(p)

    def rms_error(s):
        est = GaussianSmoothing(sigma=1e-3, num_samples=s)
        return math.sqrt(
            sum(
                relative_error(est(q, p, generator=torch.Generator().manual_seed(i)).grad, true)
                ** 2
                for i in range(40)
            )
            / 40
        )

    ratio = rms_error(100) / rms_error(1600)
    assert 3.0 < ratio < 5.3  # sqrt(16) = 4


def test_node_perturbation_matches_autodiff_on_mlp():
    _, obj = digits_mlp()
    params = {k: v.detach() for k, v in obj.model.named_parameters()}
    true = Autodiff()(obj, params, generator=torch.Generator()).grad
    g = torch.Generator().manual_seed(0)
    est = NodePerturbation(sigma=1e-3, num_samples=4000)(obj, params, generator=g)
    assert est.num_evals == 4002  # layerwise: 2000 noisy + 1 clean network per layer
    assert cosine(est.grad, true) > 0.98
    for name in true:  # every layer, weights and biases, not just the total
        assert cosine({name: est.grad[name]}, {name: true[name]}) > 0.95, name


def test_layerwise_orthogonal_node_noise_beats_the_textbook_form_at_equal_cost():
    _, obj = digits_mlp()
    params = {k: v.detach() for k, v in obj.model.named_parameters()}
    true = Autodiff()(obj, params, generator=torch.Generator()).grad
    g = torch.Generator().manual_seed(0)

    def mean_cos(**kw):
        est = NodePerturbation(sigma=0.01, num_samples=100, **kw)
        return sum(cosine(est(obj, params, generator=g).grad, true) for _ in range(10)) / 10

    plain = mean_cos(layerwise=False, directions="gaussian")
    assert mean_cos() > plain + 0.05  # measured 0.99 vs 0.88
    assert mean_cos() > 0.95


def test_coordinate_node_noise_is_as_good_as_orthogonal_without_a_qr():
    # one random unit per network: the same mean squared error as Haar-orthogonal directions
    # (E|g_est|^2 = (D/S)|g|^2 for both), better than Gaussian; measured 0.775 / 0.770 / 0.679
    _, obj = digits_mlp()
    params = {k: v.detach() for k, v in obj.model.named_parameters()}
    true = Autodiff()(obj, params, generator=torch.Generator()).grad
    g = torch.Generator().manual_seed(0)

    def mean_cos(directions):
        est = NodePerturbation(sigma=0.01, num_samples=16, directions=directions)
        return sum(cosine(est(obj, params, generator=g).grad, true) for _ in range(20)) / 20

    coordinates, orthogonal = mean_cos("coordinates"), mean_cos("orthogonal")
    assert abs(coordinates - orthogonal) < 0.03
    assert coordinates > mean_cos("gaussian") + 0.05
    with pytest.raises(ValueError, match="allowed: orthogonal, coordinates, gaussian"):
        NodePerturbation(directions="sobol")


def test_node_perturbation_beats_weight_perturbation_at_equal_cost():
    _, obj = digits_mlp()
    params = {k: v.detach() for k, v in obj.model.named_parameters()}
    true = Autodiff()(obj, params, generator=torch.Generator()).grad
    g = torch.Generator().manual_seed(0)
    node = cosine(
        NodePerturbation(sigma=0.01, num_samples=100)(obj, params, generator=g).grad, true
    )
    weight = cosine(
        GaussianSmoothing(sigma=0.01, num_samples=100)(obj, params, generator=g).grad, true
    )
    assert node > 0.75 and weight < 0.3, (node, weight)


def test_vmap_and_loop_populations_agree():
    q, p = quadratic()
    g = torch.Generator().manual_seed(0)
    deltas = {"theta": torch.randn(7, 10, generator=g, dtype=torch.float64)}
    batched = q.population(p, deltas)
    looped = torch.stack([q({"theta": p["theta"] + d}) for d in deltas["theta"]])
    torch.testing.assert_close(batched, looped)

    class NotVmappable(Quadratic):
        def __call__(self, params):
            if float(params["theta"].sum()) > 1e9:  # data-dependent control flow
                return params["theta"].sum()
            return super().__call__(params)

    nv = NotVmappable(10, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(nv.population(p, deltas), batched)


def test_set_grads_drives_torch_optimizer():
    model, obj = digits_mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    g = torch.Generator().manual_seed(0)
    before = float(obj(dict(model.named_parameters())).detach())
    for _ in range(30):
        est = NodePerturbation(sigma=0.01, num_samples=100)(
            obj, dict(model.named_parameters()), generator=g
        )
        opt.zero_grad()
        set_grads(model, est)
        opt.step()
    after = float(obj(dict(model.named_parameters())).detach())
    assert after < 0.7 * before


@pytest.mark.parametrize("kernel", ["bump", "gaussian"])
def test_mollified_quadrature_matches_sampling_and_exact_1d(kernel):
    f = FunctionObjective(lambda p: (p["w"] ** 2).sum())
    p = {"w": torch.tensor([0.7], dtype=torch.float64)}
    quad = Mollified(sigma=0.5, kernel=kernel, mode="quadrature")(f, p, generator=torch.Generator())
    # the mollified gradient of w^2 is exactly 2 w for any even kernel
    torch.testing.assert_close(quad.grad["w"], torch.tensor([1.4], dtype=torch.float64))
    sampled = Mollified(sigma=0.5, kernel=kernel, num_samples=20000)(
        f, p, generator=torch.Generator().manual_seed(0)
    )
    assert abs(float(sampled.grad["w"]) - 1.4) < 0.05


@pytest.mark.parametrize("kernel", ["bump", "gaussian"])
@pytest.mark.parametrize("nodes", [400, 1000])
def test_mollified_quadrature_stays_finite_at_many_nodes(kernel, nodes):
    """numpy's Gauss-Hermite rule overflows to NaN weights from about 400 nodes; the rule used
    stays finite and exact (the mollified gradient of w^2 is 2 w)."""
    f = FunctionObjective(lambda p: (p["w"] ** 2).sum())
    p = {"w": torch.tensor([0.7], dtype=torch.float64)}
    est = Mollified(sigma=0.5, kernel=kernel, mode="quadrature", quad_points=nodes)
    grad = est(f, p, generator=torch.Generator()).grad["w"]
    torch.testing.assert_close(grad, torch.tensor([1.4], dtype=torch.float64))


def test_mollified_quadrature_refuses_high_dimensions():
    q, p = quadratic()
    with pytest.raises(ValueError, match="1 or 2 parameters"):
        Mollified(mode="quadrature")(q, p, generator=torch.Generator())


def test_kneighbour_slope_recovers_a_noisy_line():
    gen = torch.Generator().manual_seed(0)
    x = torch.linspace(0, 1, 401).numpy()
    y = 2.5 * x + 0.01 * torch.randn(401, generator=gen).numpy()
    slope = kneighbour_slope(x, y, 10)
    assert abs(slope[200] - 2.5) < 0.2
    assert abs(slope.mean() - 2.5) < 0.05


def small_rnn(seed=0, batch=8, steps=12, hidden=6):
    g = torch.Generator().manual_seed(seed)
    t = torch.linspace(0, 6, steps)
    x = torch.sin(t + 6 * torch.rand(batch, 1, generator=g))[..., None].double()
    y = torch.sin((t + torch.rand(batch, 1, generator=g)) / 2)[..., None].double()
    params = {
        "w_in": torch.randn(hidden, 1, generator=g, dtype=torch.float64),
        "w_rec": 0.5 * torch.randn(hidden, hidden, generator=g, dtype=torch.float64),
        "b": torch.zeros(hidden, dtype=torch.float64),
        "w_out": torch.randn(1, hidden, generator=g, dtype=torch.float64),
        "c": torch.zeros(1, dtype=torch.float64),
    }
    return RNNObjective(x, y), params


def test_node_perturbation_through_time_free_matches_bptt():
    obj, params = small_rnn()
    true = Autodiff()(obj, params, generator=torch.Generator()).grad
    est = NodePerturbationThroughTime(sigma=1e-3, num_samples=3000)(
        obj, params, generator=torch.Generator().manual_seed(0)
    )
    assert est.num_evals == 3001
    for name in true:  # every weight, including the recurrent one (credit through time)
        assert cosine({name: est.grad[name]}, {name: true[name]}) > 0.98, name


def test_node_perturbation_through_time_reset_matches_one_step_truncation():
    obj, params = small_rnn()

    def truncated(p):  # the gradient of truncated BPTT with a one-step window
        r = torch.zeros(8, 6, dtype=torch.float64)
        total = 0.0
        for t in range(12):
            r = torch.sigmoid(obj.x[:, t] @ p["w_in"].T + r.detach() @ p["w_rec"].T + p["b"])
            total = total + ((r @ p["w_out"].T + p["c"] - obj.y[:, t]) ** 2).sum()
        return total / (8 * 12)

    want = torch.func.grad(truncated)(params)
    est = NodePerturbationThroughTime(sigma=1e-3, num_samples=500, mode="reset")(
        obj, params, generator=torch.Generator().manual_seed(0)
    )
    assert cosine(est.grad, want) > 0.99
    with pytest.raises(TypeError, match="RecurrentPerturbable"):
        q, p = quadratic()
        NodePerturbationThroughTime()(q, p, generator=torch.Generator())


def small_snn(steps=400):
    from roughgrad.objectives import SpikingNetObjective

    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 6, generator=g, dtype=torch.float64)
    y = 0.3 * torch.rand(4, 3, generator=g, dtype=torch.float64)
    params = {
        "w1": 8 * torch.rand(8, 6, generator=g, dtype=torch.float64),
        "b1": torch.full((8,), 2.0, dtype=torch.float64),
        "w2": 20 * torch.randn(3, 8, generator=g, dtype=torch.float64),
        "b2": torch.full((3,), 5.0, dtype=torch.float64),
    }
    return SpikingNetObjective(x, y, steps=steps, dt=0.01), params


@pytest.mark.slow
def test_node_perturbation_through_time_on_a_spiking_network():
    obj, params = small_snn()
    true = Autodiff()(obj, params, generator=torch.Generator()).grad  # BPTT through HH neurons
    est = NodePerturbationThroughTime(sigma=0.1, num_samples=1500)(
        obj, params, generator=torch.Generator().manual_seed(0)
    )
    assert cosine(est.grad, true) > 0.85
    assert cosine({"w2": est.grad["w2"]}, {"w2": true["w2"]}) > 0.9
    # reset variant: the hidden layer reaches the output only through the synapse, after the
    # scored step, so it gets (almost) no signal -- the write-up's caveat, made measurable
    reset = NodePerturbationThroughTime(sigma=0.1, num_samples=300, mode="reset")(
        obj, params, generator=torch.Generator().manual_seed(0)
    )
    assert float(reset.grad["w1"].norm()) < 1e-3 * float(true["w1"].norm()) + 1e-9
    assert cosine({"w2": reset.grad["w2"]}, {"w2": true["w2"]}) > 0.2


def test_regression_slope_of_non_finite_losses_is_nan_not_a_lapack_abort():
    from roughgrad.estimators.local_regression import regression_slope

    x = torch.randn(50, 30, generator=torch.Generator().manual_seed(0))
    f = x.sum(1)
    assert torch.allclose(regression_slope(x, f), torch.ones(30), atol=1e-4)  # exact when linear
    f[3] = float("nan")
    assert regression_slope(x, f).isnan().all()


@pytest.mark.parametrize("samples", [4, 6])
def test_local_regression_below_d_samples_is_shrunk_and_rescale_undoes_it(samples):
    """On a linear f with D = 8, the minimum-norm slope from S < D samples is on average
    (S - 1) / D of the gradient; rescale=True brings its mean back to the gradient."""
    g = torch.arange(1.0, 9.0, dtype=torch.float64)
    f = FunctionObjective(lambda p: p["w"] @ g)
    p = {"w": torch.zeros(8, dtype=torch.float64)}
    gen = torch.Generator().manual_seed(0)

    def mean_estimate(**kw):
        est = LocalRegression(sigma=0.1, num_samples=samples, **kw)
        runs = torch.stack([est(f, p, generator=gen).grad["w"] for _ in range(600)])
        return runs.mean(0)

    shrunk = float(mean_estimate() @ g / (g @ g))
    assert abs(shrunk - (samples - 1) / 8) < 0.05, shrunk
    restored = float(mean_estimate(rescale=True) @ g / (g @ g))
    assert abs(restored - 1.0) < 0.1, restored


@pytest.mark.parametrize("name", [n for n, row in CONTRACT.items() if row[0] == "quadratic"])
def test_scalar_parameters_are_estimated(name):
    """0-d parameters (one number each, like the frequency f of sin(f x)) keep their shape."""
    obj = FunctionObjective(lambda p: (p["a"] - 1) ** 2 + (p["b"] + 2) ** 2)
    params = {k: torch.tensor(0.0, dtype=torch.float64) for k in ("a", "b")}
    _, kwargs, _, _ = CONTRACT[name]
    est = ESTIMATORS[name](**kwargs)(obj, params, generator=torch.Generator().manual_seed(0))
    assert est.grad["a"].shape == () and est.grad["b"].shape == ()
    got = torch.stack([est.grad["a"], est.grad["b"]])
    assert torch.nn.functional.cosine_similarity(got, torch.tensor([-2.0, 4.0]).double(), 0) > 0.9
