"""Training a spiking classifier on digits: roughgrad's node perturbation against snnTorch.

    python benchmarks/snn_vs_snntorch.py [--quick] [--budget SECONDS] [--seeds 3]

The same network on scikit-learn's digits (64-100-10, snnTorch's ``Leaky`` neurons: beta
0.95, threshold 1, reset by subtraction, 25 steps of direct current input, snnTorch's
``mse_count_loss`` on the output spike counts: 80% of steps for the label, 20% for the others,
roughgrad's ``count_loss``; nn.Linear's init; minibatches of 100; Adam):

* snnTorch 1.0: backpropagation through time with its default surrogate gradient (arctan);
* roughgrad: ``LIFClassifier`` (roughgrad.objectives) and ``NodePerturbation`` (no backprop:
  S perturbed networks per update, one batched forward pass on the fused CPU kernel,
  ``LIFNet(backend="fused")``, which needs no autograd graph); Adam on the estimate.

Each trains for a fixed wall-clock budget (default 30 s, --quick 8 s; evaluations are not
counted), on one torch thread each, from the same init and minibatch order. Reported: seconds
per epoch (one pass over the 1,437 training digits), updates made, test accuracy at the end of
the budget, and the test accuracy over time (medians over ``--seeds``). Last line: one JSON
object; ``ratio_epoch_speed`` = snnTorch's seconds per epoch / roughgrad's, and
``ratio_accuracy_at_budget`` = roughgrad's accuracy / snnTorch's (> 1: roughgrad ahead).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time

import torch
from torch import nn

from roughgrad.data import load_dataset
from roughgrad.estimators import NodePerturbation
from roughgrad.objectives import LIFClassifier, LIFNet, lif_forward
from roughgrad.objectives.lif_classifier import snntorch_init

NET = LIFNet(steps=25, beta=0.95, threshold=1.0)
FUSED = dataclasses.replace(NET, backend="fused")  # roughgrad's forward (no autograd needed)
BATCH, HIDDEN = 100, 100


class SnnTorchNet(nn.Module):
    """snnTorch's tutorial network: Linear -> Leaky -> Linear -> Leaky, spikes recorded."""

    def __init__(self, params: dict[str, torch.Tensor]) -> None:
        import snntorch as snn

        super().__init__()
        self.fc1, self.fc2 = nn.Linear(64, HIDDEN), nn.Linear(HIDDEN, 10)
        self.lif1 = snn.Leaky(beta=NET.beta, threshold=NET.threshold)
        self.lif2 = snn.Leaky(beta=NET.beta, threshold=NET.threshold)
        with torch.no_grad():
            for layer, w, b in ((self.fc1, "w1", "b1"), (self.fc2, "w2", "b2")):
                layer.weight.copy_(params[w])
                layer.bias.copy_(params[b])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mem1, mem2 = self.lif1.init_leaky(), self.lif2.init_leaky()
        cur1, spikes = self.fc1(x), []
        for _ in range(NET.steps):
            spk1, mem1 = self.lif1(cur1, mem1)
            spk2, mem2 = self.lif2(self.fc2(spk1), mem2)
            spikes.append(spk2)
        return torch.stack(spikes)  # (T, B, 10)


def batches(n: int, seed: int):
    """Endless minibatch indices, one shuffled epoch after another (the same for both)."""
    gen = torch.Generator().manual_seed(seed)
    while True:
        yield from torch.randperm(n, generator=gen).split(BATCH)


def accuracy(counts: torch.Tensor, y: torch.Tensor) -> float:
    return float((counts.argmax(-1) == y).float().mean())


def train(method: str, data, seed: int, budget: float, lr: float, samples: int, sigma: float):
    params = snntorch_init(64, HIDDEN, 10, torch.Generator().manual_seed(seed))
    if method == "snntorch":
        import snntorch.functional as sf

        model = SnnTorchNet(params)
        loss_fn = sf.mse_count_loss(correct_rate=0.8, incorrect_rate=0.2)
        opt = torch.optim.Adam(model.parameters(), lr=lr)

        def update(idx):
            opt.zero_grad()
            loss_fn(model(data.x_train[idx]), data.y_train[idx]).backward()
            opt.step()

        def test() -> float:
            with torch.no_grad():
                return accuracy(model(data.x_test).sum(0), data.y_test)
    else:
        est = NodePerturbation(sigma=sigma, num_samples=samples)
        leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
        opt = torch.optim.Adam(leaves.values(), lr=lr)
        gen = torch.Generator().manual_seed(seed)

        def update(idx):
            obj = LIFClassifier(data.x_train[idx], data.y_train[idx], FUSED, hidden=HIDDEN)
            with torch.no_grad():
                grad = est(obj, {k: v.detach() for k, v in leaves.items()}, generator=gen).grad
            for k, v in leaves.items():
                v.grad = grad[k]
            opt.step()

        def test() -> float:
            with torch.no_grad():
                p = {k: v.detach() for k, v in leaves.items()}
                return accuracy(lif_forward(p, data.x_test, FUSED)[0], data.y_test)

    spent, updates, trace = 0.0, 0, [(0.0, test())]
    order = batches(len(data.y_train), seed)
    next_eval = budget / 10
    while spent < budget:
        start = time.perf_counter()
        update(next(order))
        spent += time.perf_counter() - start
        updates += 1
        if spent >= next_eval or spent >= budget:
            trace.append((spent, test()))
            next_eval += budget / 10
    per_epoch = spent / updates * (len(data.y_train) / BATCH)
    return {"seconds_per_epoch": per_epoch, "updates": updates, "accuracy": trace[-1][1],
            "trace": trace}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="an 8 s budget, one seed")
    parser.add_argument("--budget", type=float, help="training seconds per method (30)")
    parser.add_argument("--seeds", type=int, help="seeds per method (3)")
    parser.add_argument("--lr-snntorch", type=float, default=5e-3)
    parser.add_argument("--lr-np", type=float, default=1e-2)
    parser.add_argument("--samples", type=int, default=20, help="node perturbation's S")
    parser.add_argument("--sigma", type=float, default=0.3, help="node perturbation's sigma")
    args = parser.parse_args()
    budget = args.budget or (8.0 if args.quick else 30.0)
    seeds = args.seeds or (1 if args.quick else 3)
    torch.set_num_threads(1)
    data = load_dataset("digits")
    train("np", data, 0, 0.5, args.lr_np, args.samples, args.sigma)  # warm-up
    train("snntorch", data, 0, 0.5, args.lr_snntorch, args.samples, args.sigma)
    runs = {
        m: [train(m, data, s, budget, lr, args.samples, args.sigma) for s in range(seeds)]
        for m, lr in (("snntorch", args.lr_snntorch), ("np", args.lr_np))
    }
    names = {"snntorch": "snnTorch surrogate BPTT", "np": f"roughgrad node pert. S={args.samples}"}
    med = {
        m: {k: statistics.median(r[k] for r in rs) for k in ("seconds_per_epoch", "updates",
                                                               "accuracy")}
        for m, rs in runs.items()
    }  # fmt: skip
    print(f"budget {budget:g} s of training per run, 1 thread, median of {seeds} seed(s)")
    print(f"{'method':<34}{'s / epoch':>10}{'updates':>9}{'test acc':>10}")
    for m, r in med.items():
        print(f"{names[m]:<34}{r['seconds_per_epoch']:>10.3f}{r['updates']:>9.0f}"
              f"{r['accuracy']:>10.3f}")  # fmt: skip
    print("test accuracy over training time (first seed):")
    for m, rs in runs.items():
        print(f"  {names[m]}: " + ", ".join(f"{t:.1f}s {a:.2f}" for t, a in rs[0]["trace"]))
    result = {"budget_s": budget, "seeds": seeds, "samples": args.samples, "sigma": args.sigma}
    result |= {f"{k}_{m}": v for m, r in med.items() for k, v in r.items()}
    result["ratio_epoch_speed"] = (
        med["snntorch"]["seconds_per_epoch"] / med["np"]["seconds_per_epoch"]
    )
    result["ratio_accuracy_at_budget"] = med["np"]["accuracy"] / med["snntorch"]["accuracy"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
