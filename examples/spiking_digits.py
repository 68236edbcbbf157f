"""Train a small network of Hodgkin-Huxley neurons on digits with node perturbation.

The same estimator interface as for an MLP: the HHClassifier objective simulates the whole
population of perturbed networks as one batched simulation. (Small and short so that it runs
in seconds; `roughgrad run digits-bnn` is the full experiment.)
"""

import torch

from roughgrad.data import load_dataset
from roughgrad.estimators import NodePerturbation
from roughgrad.objectives import HHClassifier, HHNet, hh_forward

data = load_dataset("digits")
net = HHNet(steps=150, dt=0.1, readout="membrane")  # 15 ms of simulated time per digit
gen = torch.Generator().manual_seed(0)
hidden = 16
params = {  # PyTorch's default Linear init; currents are net.scale x these pre-activations
    "w1": (torch.rand(hidden, 64, generator=gen) * 2 - 1) / 8,
    "b1": (torch.rand(hidden, generator=gen) * 2 - 1) / 8,
    "w2": (torch.rand(10, hidden, generator=gen) * 2 - 1) / hidden**0.5,
    "b2": (torch.rand(10, generator=gen) * 2 - 1) / hidden**0.5,
}
for p in params.values():
    p.requires_grad_()
opt = torch.optim.Adam(params.values(), lr=0.02)
estimator = NodePerturbation(sigma=0.1, num_samples=8)


def cross_entropy(o, y):
    return torch.nn.functional.cross_entropy(10 * o, y)


def test_accuracy() -> float:
    with torch.no_grad():
        o, _, _ = hh_forward(params, data.x_test[:120], net)
    return (o.argmax(1) == data.y_test[:120]).float().mean().item()


print(f"test accuracy (120 test digits) before training: {test_accuracy():.3f}")
for _ in range(40):
    idx = torch.randint(len(data.x_train), (32,), generator=gen)
    objective = HHClassifier(
        data.x_train[idx], data.y_train[idx], net, cross_entropy, hidden=hidden
    )
    estimate = estimator(objective, {k: v.detach() for k, v in params.items()}, generator=gen)
    for k, p in params.items():
        p.grad = estimate.grad[k]
    opt.step()
print(f"test accuracy after 40 node-perturbation steps: {test_accuracy():.3f}")
