"""Activations against their closed forms, SIREN's initialisation, the ensemble trainer and the
periodic models of roughgrad.nn."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from roughgrad.data import sine_split, split_indices
from roughgrad.nn import (
    Ensemble,
    Modulated,
    PeriodicMLP,
    Snake,
    SnakeB,
    fit_ensemble,
    mlp,
    siren,
    snake,
)
from roughgrad.periodic import spectral_model

X = torch.linspace(-3, 3, 101, dtype=torch.float64)


@pytest.mark.parametrize("a", [0.5, 1.0, 30.0])
def test_snake_value_and_gradients_match_closed_forms(a):
    x = X.clone().requires_grad_(True)
    at = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    y = snake(x, at)
    expected = X + torch.sin(a * X) ** 2 / a
    assert torch.allclose(y, expected, atol=1e-12)
    dx, da = torch.autograd.grad(y.sum(), (x, at))
    assert torch.allclose(dx, 1 + torch.sin(2 * a * X), atol=1e-12)  # d/dx = 1 + sin(2ax)
    d_a = X * torch.sin(2 * a * X) / a - torch.sin(a * X) ** 2 / a**2
    assert torch.allclose(da, d_a.sum(), atol=1e-9)


def test_snake_near_zero_a_is_finite_and_continuous():
    x = X.clone().requires_grad_(True)
    for a in (0.0, 1e-9, 1e-7):
        at = torch.tensor(a, dtype=torch.float64, requires_grad=True)
        y = snake(x, at)
        dx, da = torch.autograd.grad(y.sum(), (x, at))
        assert torch.isfinite(y).all() and torch.isfinite(dx).all() and torch.isfinite(da)
        assert torch.allclose(y, X, atol=1e-6)  # sin^2(a x)/a ~ a x^2 -> 0
        assert torch.allclose(da, (X**2).sum(), rtol=1e-3)  # d/da (a x^2) = x^2
    # the two branches meet: just above and below the switch at 1e-6
    lo = snake(X, torch.tensor(0.99e-6, dtype=torch.float64))
    hi = snake(X, torch.tensor(1.01e-6, dtype=torch.float64))
    assert torch.allclose(lo, hi, atol=1e-9)


def test_learnable_snake_a_is_per_feature_positive_and_clamped():
    layer = Snake(2.0, features=3, learnable=True, a_max=10.0).double()
    assert isinstance(layer.log_a, torch.nn.Parameter) and layer.log_a.shape == (3,)
    x = torch.randn(5, 3, dtype=torch.float64)
    layer(x).sum().backward()
    a = 2.0
    d_a = (x * torch.sin(2 * a * x) / a - torch.sin(a * x) ** 2 / a**2).sum(0)
    assert torch.allclose(layer.log_a.grad, a * d_a)  # chain rule through a = exp(log a)
    with torch.no_grad():
        layer.log_a.fill_(math.log(1e6))
    assert torch.allclose(layer.a, torch.full((3,), 10.0, dtype=torch.float64))
    with pytest.raises(ValueError, match="a > 0"):
        Snake(0.0)


def test_snake_b_family():
    layer = SnakeB(a=3.0, b=7.0).double()
    assert torch.allclose(layer(X), X + torch.sin(3 * X) ** 2 / 7)
    assert torch.allclose(SnakeB(a=2.0, b=2.0).double()(X), snake(X, 2.0))  # b = a is Snake
    with pytest.raises(ValueError, match="b != 0"):
        SnakeB(1.0, 0.0)


def test_siren_initialisation_bounds():
    torch.manual_seed(0)
    net = siren((1, 256, 256, 1), omega0=30.0)
    first, second, last = (
        w.detach() for w in (net[0].linear.weight, net[1].linear.weight, net[2].weight)
    )
    assert float(first.abs().max()) <= 1.0 and float(first.abs().max()) > 0.95  # U(-1/1, 1/1)
    bound = math.sqrt(6 / 256) / 30
    assert float(second.abs().max()) <= bound and float(second.abs().max()) > 0.95 * bound
    assert float(last.abs().max()) <= bound


def test_xavier_normal_init():
    torch.manual_seed(0)
    net = mlp((1, 512, 512, 1), "snake", init="xavier_normal", a=30.0)
    w = net[2].weight.detach()
    assert abs(float(w.std()) - math.sqrt(2 / 1024)) < 0.002
    assert float(net[2].bias.detach().abs().max()) == 0.0
    with pytest.raises(ValueError, match="unknown activation"):
        mlp((1, 2, 1), "swish")


def test_ensemble_members_follow_their_own_trajectories():
    """Training E members as one ensemble equals training each alone (Adam is elementwise)."""
    x = torch.linspace(-2, 2, 64)[:, None]
    y = torch.sin(3 * x)
    members = []
    for seed in range(3):
        torch.manual_seed(seed)
        members.append(mlp((1, 16, 16, 1), "snake", a=2.0))
    singles = [Ensemble([m]) for m in members]
    ensemble = Ensemble(members)
    hist = fit_ensemble(ensemble, x, y, steps=20, lr=1e-2)
    for i, single in enumerate(singles):
        alone = fit_ensemble(single, x, y, steps=20, lr=1e-2)
        assert torch.allclose(hist[:, i], alone[:, 0], rtol=1e-4, atol=1e-6)
    assert hist[-1].max() < hist[0].min()  # and training reduced every member's loss
    standalone = ensemble.member(1)
    assert torch.allclose(standalone(x), ensemble(x)[1], atol=1e-6)
    with pytest.raises(ValueError, match="one architecture"):
        Ensemble([mlp((1, 4, 1)), mlp((1, 4, 4, 1))])


def test_periodic_mlp_is_periodic_and_spectral_model_finds_the_period():
    torch.manual_seed(0)
    model = PeriodicMLP(torch.tensor([2.0]), (8,))
    x = torch.linspace(-5, 5, 50)[:, None]
    assert torch.allclose(model(x), model(x + math.pi), atol=1e-5)
    split = sine_split(400)
    fitted, fit = spectral_model(split.x[split.train], split.y[split.train], max_freq=10.0)
    assert abs(fit.freqs[0] - 1.0) < 1e-6
    assert isinstance(fitted, PeriodicMLP)
    assert float(fitted.features.freqs[0, 0]) == pytest.approx(fit.freqs[0], rel=1e-6)
    enveloped, _ = spectral_model(split.x, split.y, max_freq=10.0, envelope=True)
    assert isinstance(enveloped, Modulated) and enveloped.scale == pytest.approx(50.0)


def test_modulated_log_envelope_extrapolates_linearly():
    torch.manual_seed(0)
    model = Modulated(torch.nn.Identity(), (8,), scale=10.0)
    x = torch.linspace(50, 80, 7)[:, None]  # far beyond every ReLU kink of g
    log_env = torch.log(model(torch.ones_like(x))).squeeze()
    steps = log_env.diff()
    assert torch.allclose(steps, steps[0].expand_as(steps), atol=1e-4)  # a straight line


def test_sine_split_matches_the_seed():
    split = sine_split(2000)
    xs = split.x[split.train]
    assert len(split.train) == len(split.test) == 1000
    assert xs[0] == pytest.approx(-37.4937, abs=1e-3) and xs[-1] == pytest.approx(24.9875, abs=1e-3)
    # gen_data2: [L//8, L//8 + 500) and [L//8 + 500 + L//8, ... + 500)
    expected = np.r_[250:750, 1000:1500]
    assert np.array_equal(split.train, expected)
    rev = sine_split(2000, reverse=True)
    assert np.array_equal(rev.train, split.test)
    with pytest.raises(ValueError, match="span is empty"):
        sine_split(100, start=1.0, end=1.0)
    with pytest.raises(ValueError, match="prop_train"):
        split_indices(100, 1.5)
    with pytest.raises(ValueError, match="unknown signal"):
        sine_split(100, signal="square")
