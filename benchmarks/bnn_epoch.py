"""The write-up's 784-100-10 HH classifier at 100 ms: simulator throughput and one training epoch.

    python benchmarks/bnn_epoch.py [--quick] [--images N] [--batch B] [--threads T]

1. Throughput of a dense population (110 networks x 10 examples, 784-100-10, 1000 steps of
   0.1 ms, float32): roughgrad's fused C backend (``HHNet(backend="fused")``) against the plain
   C loop ``bnn_reference.c`` (the same network the straightforward way, gcc -O3 -march=native
   -ffast-math -fopenmp) and the torch backend (eager), in neuron-steps per second.
2. One node-perturbation estimate (S = 110 one-unit networks, every hidden and output unit
   once) of a batch of 32: seconds, and its rate in whole-network equivalents. One estimate
   of the write-up's regression (S = 100 whole networks, batch 10, sigma 0.15) for each
   layer: its W2 population shares the clean hidden layer (``HHClassifier.population``), whose
   peer is the same population simulated as whole networks.
3. One epoch of training on Fashion-MNIST's 60,000 training images (``--images`` fewer) with
   node perturbation at 100 ms, through ``roughgrad.train.fit`` with digits-bnn's settings
   (batch 32, sigma 0.01, membrane readout, cross-entropy; Adam lr 0.05, the rate chosen on
   validation for Fashion-MNIST); skipped without the data
   (``apt-get install dataset-fashion-mnist``).

The last line is JSON; ``ratio_*`` are roughgrad's figure over the peer's (> 1: ahead).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from roughgrad.data import DataError, load_dataset
from roughgrad.estimators import LocalRegression, NodePerturbation
from roughgrad.experiments.digits.problem import make_problem
from roughgrad.neurons.layered import HHNet, hh_forward
from roughgrad.objectives import Restricted
from roughgrad.train import fit

HERE = Path(__file__).resolve().parent
H, O, I = 100, 10, 784  # noqa: E741


def params(seed: int = 0) -> dict[str, torch.Tensor]:
    problem = make_problem("bnn", I, H, "cross_entropy", 10.0, HHNet())
    return problem.init(torch.Generator().manual_seed(seed), torch.device("cpu"))


def timed(fn, repeats: int) -> float:
    fn()  # warm-up (loads or compiles the kernel)
    return statistics.median(_once(fn) for _ in range(repeats))


def _once(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def c_loop(networks: int, steps: int, threads: int, build: Path) -> float:
    exe = build / "bnn_reference"
    if not exe.exists():
        subprocess.run(
            ["gcc", "-O3", "-march=native", "-ffast-math", "-fopenmp", "-DREAL=float",
             str(HERE / "bnn_reference.c"), "-o", str(exe), "-lm"],
            check=True,
        )  # fmt: skip
    args = [networks, H, O, steps, 0.1, threads]
    times = []
    for _ in range(4):  # a warm-up, then 3
        out = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True)
        times.append(float(out.stdout.split()[0]))
    return statistics.median(times[1:])


def throughput(steps: int, threads: int, build: Path) -> dict[str, float]:
    members, batch = 110, 10
    p = {k: v.expand(members, *v.shape) for k, v in params().items()}
    x = torch.rand(batch, I, generator=torch.Generator().manual_seed(1))
    work = members * batch * (H + O) * steps
    out = {}
    for backend, repeats in (("fused", 3), ("torch", 1)):
        net = HHNet(steps=steps, dt=0.1, readout="membrane", backend=backend)
        with torch.no_grad():
            out[backend] = work / timed(lambda net=net: hh_forward(p, x, net), repeats)
    out["c_loop"] = work / c_loop(members * batch, steps, threads, build)
    return out


def node_estimate(steps: int, batch: int) -> float:
    problem = make_problem(
        "bnn", I, H, "cross_entropy", 10.0, HHNet(steps=steps, dt=0.1, readout="membrane",
                                                  backend="fused")
    )  # fmt: skip
    x = torch.rand(batch, I, generator=torch.Generator().manual_seed(2))
    obj = problem.objective(x, torch.arange(batch) % 10)
    est = NodePerturbation(sigma=0.01, num_samples=110, directions="coordinates", layerwise=False)
    gen = torch.Generator().manual_seed(0)
    return timed(lambda: est(obj, params(), generator=gen), 3)


def regression_estimates(steps: int) -> dict[str, float]:
    """Seconds of one regression estimate per layer (S = 100, batch 10), and of W2's
    population written out as 100 whole networks (the peer of its shared-hidden-layer path)."""
    net = HHNet(steps=steps, dt=0.1, readout="membrane", backend="fused")
    problem = make_problem("bnn", I, H, "cross_entropy", 10.0, net)
    x = torch.rand(10, I, generator=torch.Generator().manual_seed(3))
    obj = problem.objective(x, torch.arange(10))
    est = LocalRegression(sigma=0.15, num_samples=100)
    p, gen = params(), torch.Generator().manual_seed(0)
    out = {}
    for layer in ("w1", "w2"):
        names = {layer, "b" + layer[1]}
        restricted = Restricted(obj, p)
        sub = {k: v for k, v in p.items() if k in names}
        out[layer] = timed(lambda r=restricted, s=sub: est(r, s, generator=gen), 3)
    deltas = {k: 0.15 * torch.randn(100, *p[k].shape, generator=gen) for k in ("w2", "b2")}
    whole = {k: p[k] + deltas[k] if k in deltas else p[k].expand(100, *p[k].shape) for k in p}
    with torch.no_grad():
        out["w2_whole"] = timed(lambda: obj.per_example(hh_forward(whole, x, net)[0]), 3)
    return out


def epoch(images: int, batch: int, steps: int) -> dict[str, float] | None:
    try:
        data = load_dataset("fashion-mnist", None, max_train=images)
    except DataError as err:
        print(f"epoch skipped: {err}")
        return None
    net = HHNet(steps=steps, dt=0.1, readout="membrane", backend="fused")
    problem = make_problem("bnn", I, H, "cross_entropy", 10.0, net)
    est = NodePerturbation(sigma=0.01, num_samples=110, directions="coordinates", layerwise=False)
    gen = torch.Generator().manual_seed(0)
    template = problem.objective(data.x_train[:1], data.y_train[:1])
    start = time.perf_counter()
    result = fit(
        template, params(), (data.x_train, data.y_train), estimator=est,
        optimizer=lambda ps: torch.optim.Adam(ps, lr=0.05), batch_size=batch, epochs=1.0,
        schedule="cosine", generator=gen,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    with torch.no_grad():
        acc = float(
            (problem.outputs(result.params, data.x_test).argmax(-1) == data.y_test).float().mean()
        )
    n = len(data.y_train)
    neuron_steps = (n * (H + H + 110 * O) + n * (H + O)) * steps  # estimates + clean passes
    return {"images": n, "seconds": seconds, "msteps": neuron_steps / seconds / 1e6, "test": acc}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100 steps, 600 images")
    ap.add_argument("--images", type=int, default=60_000, help="training images in the epoch")
    ap.add_argument("--batch", type=int, default=32, help="examples per update (digits-bnn: 32)")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    steps = 100 if args.quick else 1000
    images = 600 if args.quick else args.images
    with tempfile.TemporaryDirectory() as build:
        rates = throughput(steps, args.threads, Path(build))
    print(f"{'engine':<36}{'M neuron-steps/s':>18}")
    engines = {"fused": "roughgrad fused f32", "c_loop": "C loop f32 (bnn_reference.c)",
               "torch": "roughgrad torch f32 (eager)"}  # fmt: skip
    for name, label in engines.items():
        print(f"{label + f' x{args.threads}':<36}{rates[name] / 1e6:>18.1f}")
    est = node_estimate(steps, args.batch)
    dense_equivalent = 110 * args.batch * (H + O) * steps / est
    print(f"one node-perturbation estimate (S = 110, batch {args.batch}): {est:.3f} s "
          f"({dense_equivalent / 1e6:.0f} M whole-network neuron-steps/s)")  # fmt: skip
    reg = regression_estimates(steps)
    print(f"one regression estimate (S = 100, batch 10): W1 {reg['w1']:.3f} s, W2 "
          f"{reg['w2']:.3f} s; W2's population as whole networks {reg['w2_whole']:.3f} s "
          f"(ratio {reg['w2_whole'] / reg['w2']:.1f})")  # fmt: skip
    result = {
        "steps": steps,
        "threads": args.threads,
        "msteps_fused": rates["fused"] / 1e6,
        "msteps_c_loop": rates["c_loop"] / 1e6,
        "msteps_torch": rates["torch"] / 1e6,
        "ratio_vs_c_loop": rates["fused"] / rates["c_loop"],
        "ratio_vs_torch": rates["fused"] / rates["torch"],
        "estimate_seconds": est,
        "regression_w1_seconds": reg["w1"],
        "regression_w2_seconds": reg["w2"],
        "regression_w2_whole_seconds": reg["w2_whole"],
        "ratio_regression_w2_vs_whole": reg["w2_whole"] / reg["w2"],
    }
    ep = epoch(images, args.batch, steps)
    if ep is not None:
        print(f"one epoch, {ep['images']} images, batch {args.batch}, {steps * 0.1:g} ms: "
              f"{ep['seconds']:.0f} s ({ep['msteps']:.0f} M neuron-steps/s); test accuracy "
              f"after it {100 * ep['test']:.1f}%")  # fmt: skip
        result.update({f"epoch_{k}": v for k, v in ep.items()})
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
