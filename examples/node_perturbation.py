"""Train a digits MLP with node perturbation: no backpropagation, any torch optimizer.

``roughgrad.train.fit`` runs the loop (minibatches, the estimate, Adam, validation); the last
lines compare one estimate with backpropagation's gradient.
"""

import torch
from torch import nn

from roughgrad.data import load_digits_split, with_validation
from roughgrad.estimators import Autodiff, NodePerturbation, cosine
from roughgrad.objectives import ModuleObjective
from roughgrad.train import fit

torch.manual_seed(0)
data = with_validation(load_digits_split(), 0.1)
model = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
objective = ModuleObjective(model, nn.functional.cross_entropy, data.x_train, data.y_train)
estimator = NodePerturbation(sigma=0.01, num_samples=30)  # 30 perturbed networks per step


def accuracy(params, x, y) -> float:
    return (torch.func.functional_call(model, params, (x,)).argmax(1) == y).float().mean().item()


result = fit(
    objective,
    dict(model.named_parameters()),
    (data.x_train, data.y_train),
    estimator=estimator,
    optimizer=lambda ps: torch.optim.Adam(ps, lr=3e-3),
    batch_size=128,
    epochs=300 * 128 / len(data.x_train),  # 300 updates
    validation=lambda p: accuracy(p, data.x_val, data.y_val),
    generator=torch.Generator().manual_seed(0),
)
params = result.params  # selected on validation
gen = torch.Generator().manual_seed(1)
estimate = estimator(objective, params, generator=gen)
true = Autodiff()(objective, params, generator=gen).grad
print("cosine of an estimate to backprop:", round(cosine(estimate.grad, true), 3))
test = accuracy(params, data.x_test, data.y_test)  # the test split, once
print(f"test accuracy after 300 steps ({result.history.num_evals} network evaluations): {test:.3f}")
