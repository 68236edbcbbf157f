"""Hodgkin-Huxley simulation speed: roughgrad against Brian2 and a plain fused C loop.

    python benchmarks/hh_vs_brian2.py [--quick] [--brian2-python PATH] [--threads 2]

Neuron-steps per second (dt = 0.01 ms, 10,000 steps; --quick: 2,000) for the same model,
parameters and noise (roughgrad.neurons.hh; a fresh N(0, 2^2) uA/cm^2 current every step on a
6.5 uA/cm^2 drive, so neurons fire irregularly near onset and the rates are a sensitive check):

  a. one network of N = 100, 1,000, 10,000 independent noisy neurons (--quick: 1,000);
  b. N = 1,000 neurons coupled all-to-all (0.01 uA/cm^2 per spike, tau_syn 5 ms) (not in --quick);
  c. a population of B = 100 independent 100-neuron all-to-all networks (0.1 uA/cm^2 per
     spike), the case estimators need (--quick: B = 20).

roughgrad runs ``simulate("hh", ..., backend="fused")`` in float32 (and the torch backend for (c),
for scale). Brian2 2.9 runs in its own environment (it needs numpy < 2): ``--brian2-python``, else
$ROUGHGRAD_BRIAN2_PYTHON, else a venv made once in benchmarks/.venv-brian2 (``pip install
brian2==2.9.0 "numpy<2"``). Brian2's configurations: cpp_standalone in float64 and float32 on 1
and ``--threads`` OpenMP threads (--quick: float64 on ``--threads`` only; cython if standalone
does not build), populations merged into
one group with block-diagonal synapses; its fastest is the peer. The C loop
(benchmarks/hh_reference.c, gcc -O3 -march=native -ffast-math) is this machine's practical limit
in each precision. Medians of 3 runs after a warm-up; firing rates beside each as a check that
all simulate the same thing. Last line: one JSON object with the ``ratio_*`` fields.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from roughgrad.neurons import CurrentSynapse, Network, Readout, simulate

HERE = Path(__file__).resolve().parent
DRIVE, NOISE, TAU_SYN, DT = 6.5, 2.0, 5.0, 0.01


def cases(quick: bool) -> list[dict]:
    steps = 2000 if quick else 10_000
    sizes = (1000,) if quick else (100, 1000, 10_000)
    out = [dict(name=f"a N={n}", networks=1, size=n, coupled=False, weight=0.0) for n in sizes]
    if not quick:  # each case costs Brian2 a build of ~15 s: --quick keeps two
        out.append(dict(name="b N=1000 coupled", networks=1, size=1000, coupled=True,
                        weight=0.01))  # fmt: skip
    b = 20 if quick else 100
    out.append(dict(name=f"c B={b} x 100", networks=b, size=100, coupled=True, weight=0.1))
    for c in out:
        c.update(steps=steps, dt=DT, drive=DRIVE, noise_std=NOISE, tau_syn=TAU_SYN)
    return out


def timed(fn, repeats: int) -> tuple[float, float]:
    """Median seconds of ``repeats`` calls after a warm-up, and the last call's rate (Hz)."""
    fn()
    times, rate = [], 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        rate = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), rate


def roughgrad_run(case: dict, backend: str, dtype=torch.float32):
    b, n = case["networks"], case["size"]
    w_in = torch.ones(b, n, dtype=dtype)
    w_rec = None
    if case["coupled"]:
        w_rec = (case["weight"] * (1 - torch.eye(n, dtype=dtype))).expand(b, n, n).contiguous()
    gen = torch.Generator().manual_seed(0)

    def run() -> float:
        network = Network(
            w_rec, CurrentSynapse(tau=case["tau_syn"], kind="spike"),
            readout=Readout(tau=case["tau_syn"]), noise_std=case["noise_std"],
        )  # fmt: skip
        with torch.no_grad():
            res = simulate(
                "hh", network, w_in * case["drive"], steps=case["steps"], dt=case["dt"],
                generator=gen, backend=backend,
            )  # fmt: skip
        return float(res.spike_counts.mean()) / (case["steps"] * case["dt"] / 1000)

    return run


def c_loop(case: dict, real: str, threads: int, build: Path):
    exe = build / f"hh_reference_{real}"
    if not exe.exists():
        subprocess.run(
            ["gcc", "-O3", "-march=native", "-ffast-math", "-fopenmp", f"-DREAL={real}",
             str(HERE / "hh_reference.c"), "-o", str(exe), "-lm"],
            check=True,
        )  # fmt: skip
    args = [case[k] for k in ("networks", "size")] + [int(case["coupled"]), case["steps"]]
    args += [case[k] for k in ("dt", "drive", "noise_std", "weight", "tau_syn")] + [threads]
    seconds, rates = [], []
    for _ in range(4):  # a warm-up, then 3
        out = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True)
        s, r = out.stdout.split()
        seconds.append(float(s))
        rates.append(float(r))
    return statistics.median(seconds[1:]), rates[-1]


def brian2_python(given: str | None) -> str:
    if given or os.environ.get("ROUGHGRAD_BRIAN2_PYTHON"):
        return given or os.environ["ROUGHGRAD_BRIAN2_PYTHON"]
    venv = HERE / ".venv-brian2"
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} for Brian2 (once) ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "brian2==2.9.0", "numpy<2"], check=True
        )
    return str(python)


def brian2_run(python: str, case: dict, device: str, threads: int, precision: str):
    spec = {**case, "device": device, "threads": threads, "repeats": 3, "precision": precision}
    proc = subprocess.run(
        [python, str(HERE / "_brian2_hh.py"), json.dumps(spec)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        print(f"  Brian2 {device} {precision} x{threads} failed: {tail}", file=sys.stderr)
        return None
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["median"], out["rate_hz"]


def exp_ceiling() -> float:
    """Neuron-steps/s if a step cost only its 10 float32 exponentials: torch.exp over a
    cache-resident tensor of 2^18 elements (a large fused elementwise op), into a preallocated
    output, at the current thread count."""
    x, y = torch.rand(2**18) * -10, torch.empty(2**18)
    torch.exp(x, out=y)
    start, rounds = time.perf_counter(), 200
    for _ in range(rounds):
        torch.exp(x, out=y)
    return rounds * x.numel() / (time.perf_counter() - start) / 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 steps, smaller N and B")
    parser.add_argument("--brian2-python", help="a Python with brian2 2.9 and numpy < 2")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    python = brian2_python(args.brian2_python)
    thread_options = [args.threads] if args.quick else sorted({1, args.threads})
    rows, best = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases(args.quick):
            work = case["networks"] * case["size"] * case["steps"]
            print(f"{case['name']} ...", file=sys.stderr, flush=True)

            def add(engine, seconds_rate, case=case, work=work):
                if seconds_rate is not None:
                    seconds, rate = seconds_rate
                    rows.append((case["name"], engine, seconds, work / seconds / 1e6, rate))
                    best.setdefault(case["name"], {})[engine] = work / seconds

            add(f"roughgrad fused f32 x{args.threads}", timed(roughgrad_run(case, "fused"), 3))
            if case["name"].startswith("c"):
                add(f"roughgrad torch f32 x{args.threads}", timed(roughgrad_run(case, "torch"), 3))
            for real, tag in (("float", "f32"), ("double", "f64")):
                add(f"C loop {tag} x{args.threads}", c_loop(case, real, args.threads, Path(tmp)))
            for precision in ("float64",) if args.quick else ("float64", "float32"):
                for th in thread_options:
                    res = brian2_run(python, case, "cpp_standalone", th, precision)
                    add(f"Brian2 cpp_standalone f{precision[5:]} x{th}", res)
            if not any(k.startswith("Brian2") for k in best[case["name"]]):
                add("Brian2 cython f64 x1", brian2_run(python, case, "cython", 1, "float64"))
    print(f"{'case':<20}{'engine':<34}{'median s':>10}{'M neuron-steps/s':>18}{'rate Hz':>9}")
    reference = {name: rate for name, engine, _, _, rate in rows if engine.startswith("C loop f64")}
    for name, engine, seconds, mps, rate in rows:
        off = abs(rate - reference[name]) > 0.2 * reference[name]
        print(f"{name:<20}{engine:<34}{seconds:>10.3f}{mps:>18.1f}{rate:>9.1f}"
              + ("  <- rate differs from the C loop's by > 20%" if off else ""))  # fmt: skip
    ceiling = exp_ceiling()
    print(f"exp-bound ceiling (10 float32 torch.exp per step, {args.threads} threads): "
          f"{ceiling / 1e6:.0f} M neuron-steps/s")  # fmt: skip
    result = {"steps": cases(args.quick)[0]["steps"], "threads": args.threads,
              "exp_ceiling_msteps": ceiling / 1e6}  # fmt: skip
    for name, engines in best.items():
        ours = engines[f"roughgrad fused f32 x{args.threads}"]
        peer = max((v for k, v in engines.items() if k.startswith("Brian2")), default=None)
        cpp = max((v for k, v in engines.items() if "cpp_standalone" in k), default=None)
        c32 = engines[f"C loop f32 x{args.threads}"]
        key = name.split()[0] + ("_" + name.split()[1].split("=")[1] if " N=" in name else "")
        result[f"msteps_{key}"] = ours / 1e6
        result[f"ratio_{key}_vs_brian2"] = ours / peer if peer else None
        result[f"ratio_{key}_vs_c_loop"] = ours / c32
        if name.startswith("c"):
            result["ratio_population"] = ours / peer if peer else None
            result["ratio_population_vs_c_loop"] = ours / c32
        if name.startswith("a"):  # the largest N run: 10,000 in the full run
            result["ratio_single_10k"] = ours / cpp if cpp else None
            result["ratio_single_10k_vs_c_loop"] = ours / c32
    print(json.dumps(result))


if __name__ == "__main__":
    main()
