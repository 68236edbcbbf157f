"""roughgrad.landscape: exact slices on a quadratic, normalisation, trials, the mollifier."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from roughgrad.cli import main
from roughgrad.estimators import Autodiff, NodePerturbation
from roughgrad.landscape import (
    Stochastic,
    gradient_field,
    high_frequency_fraction,
    loss_line,
    loss_plane,
    mollify,
    random_direction,
    residual_rms,
    total_variation,
)
from roughgrad.objectives import ModuleObjective, Quadratic


def quad():
    g = torch.Generator().manual_seed(0)
    q = Quadratic(6, generator=g)
    p = {"theta": torch.randn(6, generator=g, dtype=torch.float64)}
    d1 = {"theta": torch.randn(6, generator=g, dtype=torch.float64)}
    d2 = {"theta": torch.randn(6, generator=g, dtype=torch.float64)}
    return q, p, d1, d2


def exact(q, theta):
    d = theta - q.c
    return float(0.5 * d @ q.a @ d)


def test_line_and_plane_are_exact_on_a_quadratic():
    q, p, d1, d2 = quad()
    alphas = np.linspace(-2, 2, 9)
    line = loss_line(q, p, d1, alphas)
    want = [exact(q, p["theta"] + a * d1["theta"]) for a in alphas]
    np.testing.assert_allclose(line.mean, want, rtol=1e-12)
    betas = np.linspace(-1, 1, 5)
    plane = loss_plane(q, p, d1, d2, alphas, betas)
    assert plane.mean.shape == (9, 5)
    np.testing.assert_allclose(
        plane.mean[2, 3],
        exact(q, p["theta"] + alphas[2] * d1["theta"] + betas[3] * d2["theta"]),
        rtol=1e-12,
    )


def test_filter_normalisation_matches_each_filter_norm():
    model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    params = {k: v.detach() for k, v in model.named_parameters()}
    d = random_direction(params, generator=torch.Generator().manual_seed(0))
    for name, p in params.items():
        if p.dim() == 1:
            assert torch.count_nonzero(d[name]) == 0  # biases zeroed by default
        else:
            torch.testing.assert_close(d[name].norm(dim=1), p.norm(dim=1))


@pytest.mark.parametrize("normalize", ["filter", "layer", "none"])
@pytest.mark.parametrize("biases", ["zero", "keep"])
def test_every_normalisation_option_runs(normalize, biases):
    model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    params = {k: v.detach() for k, v in model.named_parameters()}
    d = random_direction(
        params, normalize=normalize, biases=biases, generator=torch.Generator().manual_seed(0)
    )
    assert {k: v.shape for k, v in d.items()} == {k: v.shape for k, v in params.items()}
    if normalize == "layer":
        torch.testing.assert_close(d["0.weight"].norm(), params["0.weight"].norm())
    assert (torch.count_nonzero(d["0.bias"]) == 0) == (biases == "zero")
    obj = ModuleObjective(
        model, nn.functional.cross_entropy, torch.randn(8, 5), torch.randint(3, (8,))
    )
    assert np.isfinite(loss_line(obj, params, d, np.linspace(-1, 1, 5)).mean).all()


class JaggedQuadratic(Stochastic):
    """theta^2 plus a jagged term whose phase is the noise: each trial is rough."""

    def draw_noise(self, generator):
        return torch.rand((), generator=generator, dtype=torch.float64) * 2 * torch.pi

    def evaluate(self, params, noise):
        w = params["w"].sum()
        phase = 0.0 if noise is None else noise
        return w**2 + 0.2 * torch.sign(torch.sin(40 * w + phase))


def test_trial_averaging_lowers_roughness():
    obj, p = JaggedQuadratic(), {"w": torch.zeros(1, dtype=torch.float64)}
    d = {"w": torch.ones(1, dtype=torch.float64)}
    alphas = np.linspace(-1, 1, 801)
    g = torch.Generator().manual_seed(0)
    one = loss_line(obj, p, d, alphas, trials=1, generator=g)
    many = loss_line(obj, p, d, alphas, trials=30, generator=g)
    # 30 trials: ~30x more jumps, each ~1/30 as large; the departure from smooth drops ~1/sqrt(30)
    assert residual_rms(many.mean) < 0.4 * residual_rms(one.mean)
    assert high_frequency_fraction(many.mean) < 0.5 * high_frequency_fraction(one.mean)
    assert many.std.mean() > 0 and many.trials == 30
    with pytest.raises(TypeError, match="Stochastic"):
        q, qp, d1, _ = quad()
        loss_line(q, qp, d1, alphas, trials=3, generator=g)


@pytest.mark.parametrize("kernel", ["bump", "gaussian"])
def test_mollifier_preserves_integrals_and_constants(kernel):
    x = np.linspace(-5, 5, 2001)
    y = np.where(np.abs(x) < 1, 1.0, 0.0) + 0.3 * np.sign(np.sin(30 * x))
    sm = mollify(y, x, width=0.3, kernel=kernel)
    inner = np.abs(x) < 3  # away from the ends the integral is kept exactly
    np.testing.assert_allclose(
        np.trapezoid(sm[inner], x[inner]), np.trapezoid(y[inner], x[inner]), atol=0.02
    )
    np.testing.assert_allclose(
        mollify(np.full(50, 2.5), np.arange(50.0), width=4, kernel=kernel), 2.5
    )
    assert total_variation(sm) < total_variation(y) / 5
    surface = np.full((20, 30), -1.0)
    np.testing.assert_allclose(mollify(surface, (np.arange(20.0), np.arange(30.0)), 3), -1.0)


def test_gradient_field_matches_the_exact_directional_derivative():
    q, p, d1, _ = quad()
    alphas = np.linspace(-1, 1, 5)
    mean, std = gradient_field(q, p, d1, alphas, Autodiff(), generator=torch.Generator())
    want = [
        float(q.gradient({"theta": p["theta"] + a * d1["theta"]})["theta"] @ d1["theta"])
        for a in alphas
    ]
    np.testing.assert_allclose(mean, want, rtol=1e-10)
    assert np.all(std == 0)


def test_gradient_field_of_node_perturbation_tracks_the_slope():
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
    obj = ModuleObjective(model, nn.functional.mse_loss, torch.randn(16, 4), torch.randn(16, 2))
    params = {k: v.detach() for k, v in model.named_parameters()}
    d = random_direction(params, generator=torch.Generator().manual_seed(1))
    alphas = np.linspace(-2, 2, 9)
    est, _ = gradient_field(
        obj,
        params,
        d,
        alphas,
        NodePerturbation(sigma=1e-3, num_samples=2000),
        generator=torch.Generator().manual_seed(0),
    )
    true, _ = gradient_field(obj, params, d, alphas, Autodiff(), generator=torch.Generator())
    assert np.corrcoef(est, true)[0, 1] > 0.95


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sin-frequency", "gradient-fidelity", "hh-silence"])
def test_landscape_command(name, tmp_path, capsys):
    args = ["landscape", name, "--profile", "quick", "--points", "21", "--out", str(tmp_path)]
    if name == "gradient-fidelity":
        args += ["--dims", "2", "--trials", "2"]
    if name == "hh-silence":  # a stochastic HH objective: trials are independent noisy neurons
        args += ["--trials", "2", "--set", "tau_ms=50", "--normalize", "none"]
    try:
        main(args)
    except SystemExit as exc:
        assert exc.code in (0, None)
    runs = list((tmp_path / f"{name}-landscape").iterdir())
    assert len(runs) == 1
    files = {p.name for p in runs[0].iterdir()}
    assert {"config.json", "metrics.json", "data.npz", "run.json"} <= files
    assert (runs[0] / "figures" / "landscape.png").stat().st_size > 1000
    assert "run directory" in capsys.readouterr().err
    try:  # the landscape run goes into the report like any other run
        main(["report", str(runs[0]), "--out", str(tmp_path / "report")])
    except SystemExit as exc:
        assert exc.code in (0, None)
    page = (tmp_path / "report" / "index.html").read_text()
    assert f"<h2>{name}-landscape</h2>" in page and "data:image/png;base64," in page


def test_landscape_command_refuses_experiments_without_objective(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["landscape", "clock", "--out", str(tmp_path)])
    assert info.value.code == 2
    assert "does not expose an objective" in capsys.readouterr().err


@pytest.mark.slow
def test_neuron_objective_trials_average_noise():
    from roughgrad.objectives import NeuronObjective

    obj = NeuronObjective(68.0, 1000, 0.05, noise_std=10.0)  # 50 ms
    p, d = {"w": torch.tensor([0.6])}, {"w": torch.tensor([0.1])}
    alphas = np.linspace(-1, 1, 41)
    g = torch.Generator().manual_seed(0)
    one = loss_line(obj, p, d, alphas, trials=1, generator=g)
    many = loss_line(obj, p, d, alphas, trials=8, generator=g)
    assert residual_rms(many.mean, 5) < 0.6 * residual_rms(one.mean, 5)
    with pytest.raises(TypeError, match="generator"):  # randomness is never implicit
        loss_line(obj, p, d, alphas)


@pytest.mark.parametrize("eps", [0.01, 1.0, 50.0])
def test_normalised_bump_integrates_to_one(eps):
    from scipy.integrate import quad

    from roughgrad.estimators._kernels import bump_density

    value, _ = quad(
        lambda x: float(bump_density(np.array([x]), eps)[0]), -eps, eps, epsabs=1e-13, epsrel=1e-13
    )
    assert abs(value - 1) < 1e-9  # adaptive quadrature of a smooth integrand: near round-off
