"""The LIF classifier (snnTorch's layout): autodiff gets no gradient, node perturbation trains."""

from __future__ import annotations

import shutil

import pytest
import torch

from roughgrad.data import load_dataset
from roughgrad.estimators import NodePerturbation
from roughgrad.objectives import LIFClassifier, LIFNet, lif_forward
from roughgrad.objectives.lif_classifier import count_loss, snntorch_init

needs_cc = pytest.mark.skipif(
    not (shutil.which("cc") or shutil.which("gcc")), reason="the fused backend needs a C compiler"
)


def _setup(batch=50):
    data = load_dataset("digits")
    params = snntorch_init(64, 100, 10, torch.Generator().manual_seed(0))
    return data, params, LIFClassifier(data.x_train[:batch], data.y_train[:batch], LIFNet())


def test_population_and_node_population_agree_with_single_forwards():
    _, params, obj = _setup()
    gen = torch.Generator().manual_seed(1)
    deltas = {k: 0.3 * torch.randn(3, *v.shape, generator=gen) for k, v in params.items()}
    pop = obj.population(params, deltas)
    for s in range(3):
        member = {k: v + deltas[k][s] for k, v in params.items()}
        torch.testing.assert_close(pop[s], obj(member))
    zeros = {"hidden": torch.zeros(2, 50, 100), "out": torch.zeros(2, 50, 10)}
    per_example, inputs = obj.node_population(params, zeros)
    torch.testing.assert_close(per_example.sum(-1), obj(params).expand(2))
    assert inputs["out"].shape == (50, 100) and 0 < float(inputs["out"].mean()) < 1


@needs_cc
def test_spike_counts_give_autodiff_nothing_and_node_perturbation_trains():
    data, params, _ = _setup()
    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    loss = LIFClassifier(data.x_train[:100], data.y_train[:100], LIFNet())(leaves)
    assert loss.grad_fn is None or all(  # the failure mode: no gradient reaches the weights
        g is None or not g.any()
        for g in torch.autograd.grad(loss, list(leaves.values()), allow_unused=True)
    )

    def test_accuracy(p):
        return float((lif_forward(p, data.x_test, LIFNet())[0].argmax(-1) == data.y_test).mean(
            dtype=torch.float32
        ))  # fmt: skip

    before = test_accuracy(params)
    after = test_accuracy(_train(data, params, LIFNet(backend="fused"), 0.3, 0.01, epochs=3))
    assert before < 0.3 and after > 0.7, (before, after)


@needs_cc
def test_cross_entropy_on_counts_silences_the_outputs_under_node_perturbation():
    """The README's warning: with ce_count the outputs fall silent, where the loss is flat and
    node perturbation stalls at chance (mse_count, above, penalises silence and trains)."""
    data, params, _ = _setup()
    net = LIFNet(backend="fused")
    trained = _train(data, params, net, 0.5, 0.02, epochs=1, criterion=count_loss("ce_count", net))
    counts = lif_forward(trained, data.x_test, net)[0]
    assert counts.sum() == 0  # every output neuron silent on every test digit
    assert float((counts.argmax(-1) == data.y_test).float().mean()) < 0.15


def _train(data, params, net, sigma, lr, *, epochs, criterion=None):
    """Node perturbation (S = 20) + Adam over minibatches of 100; the trained parameters."""
    est = NodePerturbation(sigma=sigma, num_samples=20)
    gen, order = torch.Generator().manual_seed(0), torch.Generator().manual_seed(1)
    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    opt = torch.optim.Adam(leaves.values(), lr=lr)
    for _ in range(epochs):
        for idx in torch.randperm(len(data.y_train), generator=order).split(100):
            obj = LIFClassifier(data.x_train[idx], data.y_train[idx], net, criterion)
            grad = est(obj, {k: v.detach() for k, v in leaves.items()}, generator=gen).grad
            for k, v in leaves.items():
                v.grad = grad[k]
            opt.step()
    return {k: v.detach() for k, v in leaves.items()}


@needs_cc
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_fused_backend_matches_the_torch_backend(dtype):
    data, params, _ = _setup()
    gen = torch.Generator().manual_seed(2)
    lead = {
        k: 3 * v.to(dtype) + 0.1 * torch.randn(4, *v.shape, generator=gen, dtype=dtype)
        for k, v in params.items()
    }
    noise = {
        "hidden": 0.3 * torch.randn(4, 50, 100, generator=gen, dtype=dtype),
        "out": 0.3 * torch.randn(4, 50, 10, generator=gen, dtype=dtype),
    }
    x = data.x_train[:50].to(dtype)
    ref = lif_forward(lead, x, LIFNet(), noise)
    ours = lif_forward(lead, x, LIFNet(backend="fused"), noise)
    assert ref[0].sum() > 100 and ref[1].mean() > 0.05  # both layers fire
    for a, b in zip(ours, ref, strict=True):
        assert torch.equal(a, b)
    single = {k: v[0] for k, v in lead.items()}  # no population dimension
    assert torch.equal(
        lif_forward(single, x, LIFNet(backend="fused"))[0], lif_forward(single, x, LIFNet())[0]
    )
