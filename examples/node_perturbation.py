"""Train a digits MLP with node perturbation: no backpropagation, any torch optimizer."""

import torch
from torch import nn

from roughgrad.data import load_digits_split
from roughgrad.estimators import Autodiff, NodePerturbation, cosine, set_grads
from roughgrad.objectives import ModuleObjective

torch.manual_seed(0)
data = load_digits_split()
model = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
estimator = NodePerturbation(sigma=0.01, num_samples=30)  # 30 perturbed networks per step
gen = torch.Generator().manual_seed(0)
evaluations = 0

for _ in range(300):
    idx = torch.randint(len(data.x_train), (128,), generator=gen)
    objective = ModuleObjective(
        model, nn.functional.cross_entropy, data.x_train[idx], data.y_train[idx]
    )
    estimate = estimator(objective, dict(model.named_parameters()), generator=gen)
    evaluations += estimate.num_evals
    opt.zero_grad()
    set_grads(model, estimate)  # write the estimate into .grad; the optimizer steps as usual
    opt.step()

true = Autodiff()(objective, dict(model.named_parameters()), generator=gen).grad
print("cosine of the last estimate to backprop:", round(cosine(estimate.grad, true), 3))
with torch.no_grad():
    accuracy = (model(data.x_test).argmax(1) == data.y_test).float().mean().item()
print(f"test accuracy after 300 steps ({evaluations} network evaluations): {accuracy:.3f}")
