"""Population evaluation of the digits Hodgkin-Huxley network: in this process vs Ray actors.

One Gaussian-smoothing estimate (S = 20 perturbed networks + 1, a batch of 32 digits, 1000 steps
of dt = 0.1 ms, eager) evaluated in-process with all torch threads, then split across
``--actors`` Ray actors of one thread each (`roughgrad.objectives.distributed`). Prints a table
and, last, one JSON object; ``ratio_actors`` > 1 means the actors are faster. Run by hand:

    python benchmarks/population_on_ray.py [--actors 2] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from roughgrad.data import load_dataset
from roughgrad.estimators import GaussianSmoothing
from roughgrad.experiments.digits import common as _digits
from roughgrad.objectives import HHNet, PopulationPool, distributed


def median_seconds(est, objective, params, repeats: int) -> tuple[float, dict]:
    est(objective, params, generator=torch.Generator().manual_seed(0))  # warm-up
    times, grad = [], None
    for i in range(repeats):
        start = time.perf_counter()
        grad = est(objective, params, generator=torch.Generator().manual_seed(i)).grad
        times.append(time.perf_counter() - start)
    return statistics.median(times), grad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="200 steps instead of 1000")
    args = parser.parse_args()
    steps = 200 if args.quick else 1000
    data = load_dataset("digits", None, device=torch.device("cpu"))
    net = HHNet(steps=steps, dt=0.1, readout="membrane")
    problem = _digits.make_problem("bnn", 64, 100, "mse", 10.0, net)
    params = problem.init(torch.Generator().manual_seed(0), torch.device("cpu"))
    objective = problem.objective(data.x_train[:32], data.y_train[:32])
    est = GaussianSmoothing(sigma=0.05, num_samples=20)
    local, g_local = median_seconds(est, objective, params, 3)
    with PopulationPool(actors=args.actors) as pool:
        far, g_far = median_seconds(est, distributed(objective, pool), params, 3)
    diff = max(float((g_local[k] - g_far[k]).abs().max()) for k in g_local)
    print(f"{'where':<34}{'s / estimate':>14}")
    print(f"{f'in-process, {torch.get_num_threads()} threads':<34}{local:>14.3f}")
    print(f"{f'{args.actors} Ray actors x 1 thread':<34}{far:>14.3f}")
    print(f"largest difference between the two gradients: {diff:.3g}")
    result = {"steps": steps, "seconds_in_process": local, "seconds_actors": far}
    print(json.dumps({**result, "actors": args.actors, "ratio_actors": local / far}))


if __name__ == "__main__":
    main()
