"""Train a small network of Hodgkin-Huxley neurons on digits with node perturbation.

The same training loop as for an MLP (``roughgrad.train.fit``): the HHClassifier objective
simulates the whole population of perturbed networks as one batched simulation. (Small and
short so that it runs in seconds; `roughgrad run digits-bnn` is the full experiment.)
"""

import torch

from roughgrad.data import load_dataset, with_validation
from roughgrad.estimators import NodePerturbation
from roughgrad.objectives import HHClassifier, HHNet, hh_forward
from roughgrad.train import fit

data = with_validation(load_dataset("digits"), 0.1)  # select on validation, never on test
net = HHNet(steps=150, dt=0.1, readout="membrane")  # 15 ms of simulated time per digit
gen = torch.Generator().manual_seed(0)
hidden = 16
params = {  # PyTorch's default Linear init; currents are net.scale x these pre-activations
    "w1": (torch.rand(hidden, 64, generator=gen) * 2 - 1) / 8,
    "b1": (torch.rand(hidden, generator=gen) * 2 - 1) / 8,
    "w2": (torch.rand(10, hidden, generator=gen) * 2 - 1) / hidden**0.5,
    "b2": (torch.rand(10, generator=gen) * 2 - 1) / hidden**0.5,
}


def cross_entropy(o, y):
    return torch.nn.functional.cross_entropy(10 * o, y)


def accuracy(p, x, y) -> float:
    o, _, _ = hh_forward(p, x, net)
    return (o.argmax(1) == y).float().mean().item()


def validation(p) -> float:  # 120 validation digits keep the example fast
    return accuracy(p, data.x_val[:120], data.y_val[:120])


objective = HHClassifier(data.x_train[:1], data.y_train[:1], net, cross_entropy, hidden=hidden)
print(f"validation accuracy before training: {validation(params):.3f}")
result = fit(
    objective,
    params,
    (data.x_train, data.y_train),
    estimator=NodePerturbation(sigma=0.1, num_samples=8),
    optimizer=lambda ps: torch.optim.Adam(ps, lr=0.02),
    batch_size=32,
    epochs=40 * 32 / len(data.x_train),  # 40 updates
    validation=validation,
    evaluations=3,
    generator=gen,
)
with torch.no_grad():
    test = accuracy(result.params, data.x_test[:120], data.y_test[:120])
print(
    f"after 40 node-perturbation updates: validation {max(result.history.validation):.3f}, "
    f"test (120 digits, once) {test:.3f}"
)
