"""Populations of perturbed networks on digits: roughgrad against EvoTorch, in one run.

1. Forward evaluations per second of a population of P perturbed copies of the digits ANN
   (64-100-10, sigmoid after both layers, cross-entropy on 10 x outputs; one minibatch of 100):
   roughgrad's ``MLPObjective.population`` (matrix products over the population, as the
   estimators call it: under no_grad, so with a reused workspace and in-place activations;
   the digits experiments' objective), EvoTorch's default
   supervised-learning path (``SupervisedNE``, one network at a time) and EvoTorch with a
   vectorised objective (``Problem(vectorized=True)`` over the same vmapped forward pass).
   Median of ``--repeats`` timed calls after a warm-up, for P = 100 and 1000 (``--quick``: 100).
2. Wall time to 90% and 95% digits test accuracy with each library's best no-backprop method:
   roughgrad's node perturbation (digits-ann's fast setting: S = 10, batch 64, Adam with a cosine
   schedule) and EvoTorch's SNES on the vectorised problem (popsize 100, a fresh minibatch of 100
   per generation; SNES is what EvoTorch's MNIST example uses), within ``--budget`` seconds.

Prints one table and, last, one JSON object: ``ratio_default`` and ``ratio_vectorised`` are
roughgrad's evaluations per second over EvoTorch's at the largest P (> 1: roughgrad ahead);
``ratio_time_to_90`` is EvoTorch's seconds over roughgrad's (inf: EvoTorch never got there).

    pip install -c constraints.txt -e ".[bench]"
    python benchmarks/population_vs_evotorch.py [--quick]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import statistics
import time
from collections.abc import Callable

import torch
from torch.func import functional_call, vmap
from torch.utils.data import TensorDataset

from roughgrad.experiments import EXPERIMENTS, Context
from roughgrad.experiments.digits import common as _digits
from roughgrad.experiments.digits.ann import fast_config


def median_seconds(call: Callable[[], object], repeats: int) -> float:
    call()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def setup():
    config = fast_config(EXPERIMENTS["digits-ann"].config("default"))
    data = _digits.load_data(config, Context())
    problem = _digits.make_problem("ann", 64, 100, "cross_entropy", config.ce_gain)
    params = problem.init(torch.Generator().manual_seed(0), torch.device("cpu"))
    return config, data, problem, params


def vectorised_loss(problem, params, x, y):
    """(N, D) flat parameter vectors -> (N,) losses on (x, y), the vmapped forward pass."""
    shapes = [(k, v.shape, v.numel()) for k, v in params.items()]

    def loss(flat: torch.Tensor) -> torch.Tensor:
        parts, start = {}, 0
        for name, shape, n in shapes:
            parts[name] = flat[:, start : start + n].reshape(flat.shape[0], *shape)
            start += n
        one = lambda p: problem.criterion(functional_call(problem.module, p, (x,)), y)  # noqa: E731
        return vmap(one)(parts)

    return loss, sum(n for *_, n in shapes)


def throughput(problem, params, data, size: int, repeats: int) -> dict:
    """Evaluations per second of P = ``size`` perturbed networks, for all three paths."""
    from evotorch import Problem
    from evotorch.neuroevolution import SupervisedNE

    xb, yb = data.x_train[:100], data.y_train[:100]
    objective = problem.objective(xb, yb)
    gen = torch.Generator().manual_seed(size)
    deltas = {k: 0.01 * torch.randn(size, *v.shape, generator=gen) for k, v in params.items()}
    ours = median_seconds(lambda: objective.population(params, deltas), repeats)
    default = SupervisedNE(
        TensorDataset(data.x_train, data.y_train),
        lambda: problem.module,
        problem.criterion,
        minibatch_size=100,
        common_minibatch=True,
    )
    batch = default.generate_batch(size)
    evo_default = median_seconds(lambda: default.evaluate(batch), max(1, repeats // 2))
    loss, dim = vectorised_loss(problem, params, xb, yb)
    vectorised = Problem(
        "min", loss, solution_length=dim, vectorized=True, initial_bounds=(-0.1, 0.1)
    )
    vbatch = vectorised.generate_batch(size)
    evo_vec = median_seconds(lambda: vectorised.evaluate(vbatch), repeats)
    return {
        "P": size,
        "roughgrad": size / ours,
        "evotorch_default": size / evo_default,
        "evotorch_vectorised": size / evo_vec,
    }


def ours_to_accuracy(config, data, problem) -> dict:
    cfg = dataclasses.replace(config, methods=("node_perturbation",))
    trace, _ = _digits.train(problem, "node_perturbation", cfg, data, Context(), seed=0)
    return {"t90": trace.time_to(0.90), "t95": trace.time_to(0.95), "best": max(trace.accuracy)}


def evotorch_to_accuracy(data, problem, params, budget: float) -> dict:
    from evotorch import Problem
    from evotorch.algorithms import SNES

    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)  # SNES samples from torch's global generator

    def loss(flat: torch.Tensor) -> torch.Tensor:  # a fresh minibatch per generation
        idx = torch.randint(len(data.x_train), (100,), generator=gen)
        fn, _ = vectorised_loss(problem, params, data.x_train[idx], data.y_train[idx])
        return fn(flat)

    dim = sum(v.numel() for v in params.values())
    center = torch.cat([v.flatten() for v in params.values()])
    evo = Problem("min", loss, solution_length=dim, vectorized=True, initial_bounds=(-0.1, 0.1))
    searcher = SNES(evo, stdev_init=0.05, popsize=100, center_init=center)
    out, clock, best = {"t90": math.inf, "t95": math.inf}, 0.0, 0.0
    while clock < budget:
        start = time.perf_counter()
        for _ in range(10):
            searcher.step()
        clock += time.perf_counter() - start
        acc = accuracy(problem, params, torch.as_tensor(searcher.status["center"]), data)
        best = max(best, acc)
        for level, key in ((0.90, "t90"), (0.95, "t95")):
            if acc >= level and math.isinf(out[key]):
                out[key] = clock
        if acc >= 0.95:
            break
    return {**out, "best": best, "seconds": clock}


def accuracy(problem, params, flat: torch.Tensor, data) -> float:
    parts, start = {}, 0
    for name, v in params.items():
        parts[name] = flat[start : start + v.numel()].reshape(v.shape)
        start += v.numel()
    # the validation split, as roughgrad's loop measures it (the test split is not looked at)
    return _digits.accuracy(problem, parts, data.x_val, data.y_val)


def matmul_gflops() -> float:
    """This machine's float32 matrix-product throughput (median of 5 1024^3 products)."""
    a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)
    a @ b
    times = []
    for _ in range(5):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * 1024**3 / statistics.median(times) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="P = 100 only, budget 20 s")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget", type=float, default=None, help="seconds for EvoTorch's SNES")
    args = parser.parse_args()
    import evotorch  # noqa: F401  (configures its logger on import; quiet it afterwards)

    logging.getLogger("evotorch").setLevel(logging.ERROR)
    sizes = (100,) if args.quick else (100, 1000)
    budget = args.budget or (20.0 if args.quick else 120.0)
    config, data, problem, params = setup()
    rows = [throughput(problem, params, data, size, args.repeats) for size in sizes]
    ours = ours_to_accuracy(config, data, problem)
    evo = evotorch_to_accuracy(data, problem, params, budget)
    print(f"threads: {torch.get_num_threads()}   evaluations per second (median of {args.repeats})")
    print(f"{'P':>6}{'roughgrad':>12}{'EvoTorch default':>18}{'EvoTorch vectorised':>21}")
    for r in rows:
        print(
            f"{r['P']:>6}{r['roughgrad']:>12.0f}{r['evotorch_default']:>18.0f}"
            f"{r['evotorch_vectorised']:>21.0f}"
        )
    flops = 2 * 100 * (64 * 100 + 100 * 10)  # one evaluation: two layers on 100 examples
    peak = matmul_gflops()
    print(
        f"machine limit: a 1024^3 float32 matmul runs at {peak:.0f} GFLOP/s; roughgrad's "
        f"population at P = {rows[-1]['P']} does {rows[-1]['roughgrad'] * flops / 1e9:.1f} "
        f"GFLOP/s of layer products ({rows[-1]['roughgrad'] * flops / 1e9 / peak:.0%} of it)"
    )
    print(
        f"time to 90% / 95% test accuracy (s): roughgrad node perturbation "
        f"{ours['t90']:.2f} / {ours['t95']:.2f} (best {ours['best']:.1%}); EvoTorch SNES "
        f"{evo['t90']:.2f} / {evo['t95']:.2f} (best {evo['best']:.1%} in {evo['seconds']:.0f} s)"
    )
    last = rows[-1]
    result = {
        "P": last["P"],
        "ratio_default": last["roughgrad"] / last["evotorch_default"],
        "ratio_vectorised": last["roughgrad"] / last["evotorch_vectorised"],
        "ratio_time_to_90": evo["t90"] / ours["t90"],
        "ratio_time_to_95": evo["t95"] / ours["t95"],
        "matmul_gflops": peak,
        "roughgrad_gflops": last["roughgrad"] * flops / 1e9,
        "throughput": rows,
        "roughgrad_to_accuracy": ours,
        "evotorch_to_accuracy": evo,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
