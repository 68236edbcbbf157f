"""MLPObjective: the same numbers as ModuleObjective on an nn.Linear stack, by matrix products."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from roughgrad.estimators import NodePerturbation
from roughgrad.objectives import MLPObjective, ModuleObjective


class _Net(nn.Module):
    def __init__(self, act: bool) -> None:
        super().__init__()
        self.l1, self.l2 = nn.Linear(6, 9), nn.Linear(9, 4)
        self.act = act

    def forward(self, x):
        z = self.l1(x)
        z = self.l2(torch.sigmoid(z) if self.act else z)
        return torch.sigmoid(z) if self.act else z


def _pair(act: bool):
    torch.manual_seed(0)
    net, x, y = _Net(act), torch.rand(12, 6), torch.randint(4, (12,))

    def per_example(o, t):
        return nn.functional.cross_entropy(3 * o, t, reduction="none")

    ref = ModuleObjective(net, lambda o, t: per_example(o, t).mean(), x, y, per_example)
    layers = [("l1.weight", "l1.bias", 9), ("l2.weight", "l2.bias", 4)]
    ours = MLPObjective(x, y, layers, per_example, "sigmoid" if act else None)
    params = {k: v.detach().clone() for k, v in net.named_parameters()}
    return ref, ours, params


@pytest.mark.parametrize("act", [True, False])
@pytest.mark.parametrize("grad", [True, False])
def test_loss_and_population_match_the_module(act, grad):
    ref, ours, params = _pair(act)
    params = {k: v.requires_grad_(grad) for k, v in params.items()}
    gen = torch.Generator().manual_seed(1)
    deltas = {k: 0.3 * torch.randn(7, *v.shape, generator=gen) for k, v in params.items()}
    del deltas["l2.bias"]  # an unperturbed parameter stays shared
    with torch.set_grad_enabled(grad):
        torch.testing.assert_close(ours(params), ref(params))
        expected = ref.population(params, deltas)
        torch.testing.assert_close(ours.population(params, deltas), expected)
        torch.testing.assert_close(ours.population(params, deltas, chunk_size=3), expected)
        # a second call reuses the workspace; results must not depend on the previous call
        torch.testing.assert_close(ours.population(params, deltas), expected)
        second = {k: v for k, v in deltas.items() if k.startswith("l2")}  # layer 1 shared
        torch.testing.assert_close(ours.population(params, second), ref.population(params, second))


def test_population_is_differentiable_when_its_inputs_require_grad():
    ref, ours, params = _pair(True)
    gen = torch.Generator().manual_seed(4)
    deltas = {k: 0.3 * torch.randn(3, *v.shape, generator=gen) for k, v in params.items()}
    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    got = torch.autograd.grad(ours.population(leaves, deltas).sum(), list(leaves.values()))
    want = torch.autograd.grad(ref.population(leaves, deltas).sum(), list(leaves.values()))
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b)


def test_autodiff_and_node_population_match_the_module():
    ref, ours, params = _pair(True)
    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    for a, b in zip(
        leaves.values(), torch.autograd.grad(ref(leaves), list(leaves.values())), strict=True
    ):
        torch.testing.assert_close(torch.autograd.grad(ours(leaves), [a])[0], b)
    gen = torch.Generator().manual_seed(2)
    noise = {"l1": torch.randn(5, 12, 9, generator=gen), "l2": torch.randn(5, 12, 4, generator=gen)}
    noise = {k: torch.cat([torch.zeros_like(v[:1]), v[1:]]) for k, v in noise.items()}
    assert ours.node_layers() == ref.node_layers()
    got, got_inputs = ours.node_population(params, noise)
    want, want_inputs = ref.node_population(params, noise)
    torch.testing.assert_close(got, want)
    for name in want_inputs:
        torch.testing.assert_close(got_inputs[name], want_inputs[name])


def test_node_perturbation_on_it_points_along_the_true_gradient():
    _, ours, params = _pair(True)
    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    true = dict(zip(leaves, torch.autograd.grad(ours(leaves), list(leaves.values())), strict=True))
    est = NodePerturbation(sigma=1e-3, num_samples=60)(
        ours, params, generator=torch.Generator().manual_seed(3)
    ).grad
    flat = torch.cat([est[k].flatten() for k in true])
    ref = torch.cat([true[k].flatten() for k in true])
    assert torch.nn.functional.cosine_similarity(flat, ref, dim=0) > 0.95


@pytest.mark.parametrize("act", [True, False])
def test_one_unit_noise_matches_the_dense_path(act):
    # MLPObjective propagates a one-unit change as one weight column; ModuleObjective writes
    # the same noise out densely (the NodePerturbable default): the losses must agree
    ref, ours, params = _pair(act)
    gen = torch.Generator().manual_seed(5)
    units = {  # networks 1-6 perturb layer l1, 7-9 layer l2, network 0 is clean
        "l1": (1, torch.randint(9, (6, 12), generator=gen), torch.randn(6, 12, generator=gen)),
        "l2": (7, torch.randint(4, (3, 12), generator=gen), torch.randn(3, 12, generator=gen)),
    }
    got, got_inputs = ours.node_population_units(params, units, 10)
    want, want_inputs = ref.node_population_units(params, units, 10)
    torch.testing.assert_close(got, want)
    assert (got[1:] != got[0]).any(1).all()  # every noisy network differs from the clean one
    for name in want_inputs:
        torch.testing.assert_close(got_inputs[name], want_inputs[name])
    only_l2 = {"l2": units["l2"]}  # the last layer alone: no change to pass on
    torch.testing.assert_close(
        ours.node_population_units(params, only_l2, 10)[0],
        ref.node_population_units(params, only_l2, 10)[0],
    )


def test_a_complete_basis_of_unit_noise_recovers_the_gradient():
    # S = 13 = every unit of both layers once: central finite differences on every unit
    _, ours, params = _pair(True)
    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    true = dict(zip(leaves, torch.autograd.grad(ours(leaves), list(leaves.values())), strict=True))
    est = NodePerturbation(
        sigma=1e-2, num_samples=26, directions="coordinates", layerwise=False, antithetic=True
    )
    got = est(ours, params, generator=torch.Generator().manual_seed(3))
    assert got.num_evals == 1 + 26
    for k in true:
        torch.testing.assert_close(got.grad[k], true[k], rtol=1e-3, atol=1e-5)
