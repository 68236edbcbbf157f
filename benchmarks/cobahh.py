"""COBAHH (Brette et al. 2007, benchmark 3): roughgrad against Brian2 (and BrainPy) in one run.

    python benchmarks/cobahh.py [--quick] [--threads 2] [--brian2-python PATH]
                                [--brainpy-python PATH]
    python benchmarks/cobahh.py --reference   # rewrite tests/data/cobahh_brian2.json

The network of ``roughgrad.neurons.cobahh`` (Traub-Miles HH neurons, 80% excitatory, 2% random
connectivity, conductance-based exponential synapses, no input; dt = 0.1 ms) at N = 4,000 (1 s,
10,000 steps) and N = 32,000 (0.2 s, 2,000 steps); --quick: 4,000 for 0.2 s only.

Engines, each timed in this run on the same machine (simulation only: build, compile and
network construction excluded; medians of 2 runs after a warm-up):
  * roughgrad ``simulate(...)`` on the fused backend (``_cobahh_fused.c``) in float32 and
    float64, and on the torch backend in float32;
  * Brian2 2.9 cpp_standalone (its fastest CPU device) in float64 and float32 on 1 and
    ``--threads`` OpenMP threads, running Brian2's own COBAHH example (``_brian2_cobahh.py``);
  * BrainPy (``_brainpy_cobahh.py``) where it installs and runs (``--brainpy-python``, else
    $ROUGHGRAD_BRAINPY_PYTHON, else skipped with the reason).

Each row gives neuron-steps per second and the network's mean firing rate and CV of
inter-spike intervals as a check that the engines simulate the same thing (their networks are
different random draws, so rates agree in distribution, not exactly). The ceiling line is the
exp-bound estimate of hh_vs_brian2.py: a step needs 10 exponentials per neuron (6 rates, 3
gates, V), so 10 torch.exp per neuron-step is a floor on its cost. Last line: one JSON object
with the ``ratio_*`` fields (roughgrad's fastest over the fastest peer, per size).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from roughgrad.neurons import simulate
from roughgrad.neurons.cobahh import DT, cobahh, spike_statistics

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent / "tests" / "data" / "cobahh_brian2.json"
REFERENCE_CASE = {"size": 1000, "steps": 5000, "dt": DT}  # what tests/test_network.py runs
REFERENCE_SEEDS = range(5)


def cases(quick: bool) -> list[dict]:
    if quick:
        return [{"size": 4000, "steps": 2000, "dt": DT}]
    return [{"size": 4000, "steps": 10_000, "dt": DT}, {"size": 32_000, "steps": 2000, "dt": DT}]


def roughgrad_run(case: dict, dtype: torch.dtype, backend: str) -> tuple[float, dict]:
    """Median seconds of 2 timed runs after a warm-up, and the last run's spike statistics
    (recorded in a separate, untimed run)."""
    model, network, inputs, state = cobahh(
        case["size"], generator=torch.Generator().manual_seed(0), dtype=dtype
    )

    def run(record=()):
        with torch.no_grad():
            return simulate(model, network, inputs, steps=case["steps"], dt=case["dt"],
                            state=state, record=record, backend=backend)  # fmt: skip

    run()
    times = []
    for _ in range(2):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    stats = spike_statistics(run(["spikes"]).spikes, case["dt"])
    return statistics.median(times), stats


def peer_python(given: str | None, env: str, venv: str, packages: list[str]) -> str | None:
    """A peer's Python: ``given``, else $env, else a venv made once in benchmarks/; None (with
    the reason on stderr) if it cannot be made."""
    if given or os.environ.get(env):
        return given or os.environ[env]
    python = HERE / venv / "bin" / "python"
    if not python.exists():
        print(f"creating {HERE / venv} (once) ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(HERE / venv)], check=True)
        pip = subprocess.run([str(python), "-m", "pip", "install", "-q", *packages],
                             capture_output=True, text=True)  # fmt: skip
        if pip.returncode != 0:
            print(f"  cannot install {packages}: {pip.stderr.strip()[-300:]}", file=sys.stderr)
            return None
    return str(python)


def peer_run(python: str, script: str, spec: dict) -> dict | None:
    proc = subprocess.run(
        [python, str(HERE / script), json.dumps(spec)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        print(f"  {script} {spec.get('device', '')} failed: {tail}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def reference(brian2: str) -> None:
    """Brian2's spike statistics on REFERENCE_CASE for REFERENCE_SEEDS, into REFERENCE."""
    runs = []
    for seed in REFERENCE_SEEDS:
        spec = {**REFERENCE_CASE, "seed": seed, "threads": 1, "device": "cpp_standalone",
                "precision": "float64", "repeats": 0, "statistics": True}  # fmt: skip
        out = peer_run(brian2, "_brian2_cobahh.py", spec)
        if out is None:
            sys.exit("Brian2 failed; the reference is unchanged")
        runs.append({k: out[k] for k in ("rate_hz", "cv_isi", "active")})
        print(f"seed {seed}: {runs[-1]}", file=sys.stderr)
    REFERENCE.write_text(json.dumps({
        "made_by": "python benchmarks/cobahh.py --reference",
        "engine": "Brian2 2.9.0 cpp_standalone float64, its COBAHH example",
        **REFERENCE_CASE, "seconds": REFERENCE_CASE["steps"] * DT / 1000,
        "runs": runs,
    }, indent=1) + "\n")  # fmt: skip
    print(f"wrote {REFERENCE}")


def main() -> None:
    from hh_vs_brian2 import exp_ceiling  # the same ceiling estimate (this directory)

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 4,000 for 0.2 s only")
    parser.add_argument("--reference", action="store_true", help="rewrite the test reference")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--brian2-python", help="a Python with brian2 2.9 and numpy < 2")
    parser.add_argument("--brainpy-python", help="a Python with brainpy")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    brian2 = peer_python(args.brian2_python, "ROUGHGRAD_BRIAN2_PYTHON", ".venv-brian2",
                         ["brian2==2.9.0", "numpy<2"])  # fmt: skip
    if args.reference:
        if brian2 is None:
            sys.exit("Brian2 is needed for --reference")
        return reference(brian2)
    brainpy = peer_python(args.brainpy_python, "ROUGHGRAD_BRAINPY_PYTHON", ".venv-brainpy",
                          ["brainpy", "jax", "numba"])  # fmt: skip
    rows, result = [], {"threads": args.threads}
    for case in cases(args.quick):
        n, work = case["size"], case["size"] * case["steps"]
        print(f"N={n} ...", file=sys.stderr, flush=True)
        engines: dict[str, tuple[float, dict]] = {}
        for backend, dtype, tag in (
            ("fused", torch.float32, "f32"), ("fused", torch.float64, "f64"),
            ("torch", torch.float32, "f32"),
        ):  # fmt: skip
            name = f"roughgrad {backend} {tag} x{args.threads}"
            engines[name] = roughgrad_run(case, dtype, backend)
        for precision in ("float64", "float32"):
            for threads in sorted({1, args.threads}):
                spec = {**case, "seed": 0, "threads": threads, "device": "cpp_standalone",
                        "precision": precision, "repeats": 2, "statistics": True}  # fmt: skip
                out = brian2 and peer_run(brian2, "_brian2_cobahh.py", spec)
                if out:
                    engines[f"Brian2 cpp_standalone f{precision[5:]} x{threads}"] = (
                        out["median"], out)  # fmt: skip
        if brainpy:
            spec = {**case, "seed": 0, "repeats": 2, "threads": args.threads}
            out = peer_run(brainpy, "_brainpy_cobahh.py", spec)
            if out:
                engines[f"BrainPy f32 x{args.threads}"] = (out["median"], out)
        for engine, (seconds, stats) in engines.items():
            rows.append((n, engine, seconds, work / seconds / 1e6, stats))
        ours = max(work / s for e, (s, _) in engines.items() if e.startswith("roughgrad"))
        peers = {e: work / s for e, (s, _) in engines.items() if not e.startswith("roughgrad")}
        result[f"msteps_{n}"] = ours / 1e6
        for name in ("Brian2", "BrainPy"):
            best = max((v for e, v in peers.items() if e.startswith(name)), default=None)
            result[f"ratio_{n}_vs_{name.lower()}"] = ours / best if best else None
    print(f"{'N':>6}  {'engine':<32}{'median s':>10}{'M neuron-steps/s':>18}"
          f"{'rate Hz':>9}{'CV ISI':>8}")  # fmt: skip
    for n, engine, seconds, mps, stats in rows:
        print(f"{n:>6}  {engine:<32}{seconds:>10.3f}{mps:>18.1f}"
              f"{stats['rate_hz']:>9.1f}{stats['cv_isi']:>8.2f}")  # fmt: skip
    ceiling = exp_ceiling()
    result["exp_ceiling_msteps"] = ceiling / 1e6
    for case in cases(args.quick):
        n = case["size"]
        result[f"ratio_{n}_vs_exp_ceiling"] = result[f"msteps_{n}"] * 1e6 / ceiling
    print(f"exp-bound ceiling (10 float32 torch.exp per neuron-step, {args.threads} threads): "
          f"{ceiling / 1e6:.0f} M neuron-steps/s")  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
