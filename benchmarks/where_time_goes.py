"""Where each experiment's default run spends its time: Python and dispatch overhead, or arithmetic.

    python benchmarks/where_time_goes.py [--quick] [--seconds S] [--only a,b] [--profile P]

Each experiment runs as a user runs it (``roughgrad run NAME --profile default``) while py-spy
samples it and every worker process it starts, native frames included, for its first
``--seconds`` (default 60; the whole run if it ends sooner); the run is then stopped. Each
sample where a thread is computing is classified by its innermost frame:

* arithmetic: a BLAS / oneDNN / vectorised ATen kernel, libm, or one of roughgrad's own C
  kernels;
* torch overhead: the rest of libtorch / libc10 (the dispatcher, autograd bookkeeping, tensor
  allocation and metadata);
* Python: the interpreter (a Python frame, or libpython).

Idle samples (waiting on a lock, a worker, I/O) and start-up samples (importing modules) are
counted apart and left out of the three shares. An experiment is "arithmetic"
when arithmetic takes over half its computing samples, "overhead" when Python and torch
overhead together do. The matmul peak of this machine (float32, torch, its threads) is measured
in the same run, and the achieved FLOP/s of one full-batch training step of the snake family's
512-wide MLP (the largest block of the default reproduce), against it.

Limits: only each run's first ``--seconds`` are sampled (start-up and the first parts, not
necessarily where a long run spends most of its time), and a kernel py-spy cannot name (an
unsymbolised address inside libtorch_cpu, where MKL lives, or inside a compiled kernel) counts
as torch overhead, so the arithmetic share is a lower bound; the classification has not been
checked against runs of known make-up. The snake step's FLOP/s against the matmul peak is the
direct measure.

Needs py-spy (``pip install py-spy``). The last line is JSON; ``ratio_snake_step_vs_peak`` is
the snake step's FLOP/s over the matmul peak.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import torch

ARITHMETIC = re.compile(
    r"gemm|gemv|mkl_|dnnl|onednn|jit_|blas|Sleef|sleef|vectoriz|cpu_kernel|_kernel_|"
    r"VectorizedLoop|basic_loop|reduce|__exp|__log|__sin|__cos|__tanh|expf|logf|sinf|cosf|"
    r"stk_burn|stk_window|hh_run|hhl_run|hhu_run|lif_run|cobahh_run|"
    r"addmm|baddbmm|bmm_out|mm_out|conv|pow_tensor|mul_kernel|add_kernel|sigmoid_kernel",
    re.IGNORECASE,
)
IDLE = re.compile(
    r"futex|pthread_cond|sem_wait|poll|select|epoll|nanosleep|clock_nanosleep|read \(|"
    r"__libc_recv|recv|accept|sched_yield|_PyMutex|take_gil|PyThread_acquire_lock|"
    r"wait \(|do_futex_wait|__GI___poll|GOMP_barrier|gomp_team_barrier_wait|gomp_barrier",
    re.IGNORECASE,
)
PYTHON_FRAME = re.compile(r"\(\S*:\d+\)$")  # "function (file.py:12)", "<frozen ...>:729)"
STARTUP = re.compile(r"importlib\._bootstrap|<frozen importlib")
TORCH_LIB = re.compile(r"libtorch|libc10|_C\.cpython|torch/lib", re.IGNORECASE)


def classify(stack: str) -> str:
    """'arithmetic', 'torch', 'python', 'startup' or 'idle' from a py-spy collapsed stack
    (leaf last); 'torch' is the runtime's overhead: libtorch, libc10 and libc."""
    leaf = stack.rsplit(";", 1)[-1]
    if IDLE.search(leaf):
        return "idle"
    if STARTUP.search(stack):
        return "startup"
    if ARITHMETIC.search(leaf):
        return "arithmetic"
    if PYTHON_FRAME.search(leaf) or "libpython" in leaf or "_PyEval" in leaf or "Py" in leaf[:3]:
        return "python"
    if TORCH_LIB.search(leaf) or "at::" in leaf or "c10::" in leaf or "torch::" in leaf:
        return "torch"
    return "python" if "python" in leaf.lower() else "torch"


def sample(name: str, seconds: float, profile: str, out: Path) -> tuple[Counter, float, bool]:
    """Run ``name`` under py-spy for up to ``seconds``; returns the class counts, the seconds
    sampled and whether the run finished within them."""
    raw = out / f"{name}.txt"
    argv = [sys.executable, "-m", "roughgrad.cli", "run", name, "--profile", profile,
            "--no-progress", "--out", str(out / "runs")]  # fmt: skip
    run = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    spy = subprocess.Popen(
        [_py_spy(), "record", "--pid", str(run.pid), "--native", "--subprocesses", "--idle",
         "--rate", "50", "--duration", str(int(seconds)), "--format", "raw", "-o", str(raw)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    start = time.monotonic()
    finished = False
    while time.monotonic() - start < seconds + 5:
        if run.poll() is not None:
            finished = True
            break
        time.sleep(0.5)
    elapsed = time.monotonic() - start
    if run.poll() is None:
        run.send_signal(signal.SIGTERM)
    run.wait()
    spy.wait()
    counts: Counter = Counter()
    if raw.exists():
        for line in raw.read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            if n.isdigit():
                counts[classify(stack)] += int(n)
    return counts, elapsed, finished


def _py_spy() -> str:
    """py-spy from PATH, else beside this Python (a virtual environment's bin)."""
    return shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))


def matmul_peak(n: int = 1024, repeats: int = 20) -> float:
    """float32 GFLOP/s of an n x n matmul with torch's threads (best of ``repeats``)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def snake_step(hidden: int = 512, points: int = 900, repeats: int = 20) -> float:
    """GFLOP/s of one full-batch Adam step of the snake family's default MLP (1 -> 512 -> 512
    -> 1, Snake a = 30) on 900 training points: 6 flops per weight per point (forward,
    backward to inputs and to weights)."""
    from roughgrad.nn import mlp

    model = mlp([1, hidden, hidden, 1], "snake", a=30.0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x, y = torch.randn(points, 1), torch.randn(points, 1)
    weights = hidden + hidden * hidden + hidden
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()
        best = min(best, time.perf_counter() - start)
    return 6 * points * weights / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s per experiment")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--profile", default="default")
    parser.add_argument("--only", default="", help="comma-separated experiment names")
    args = parser.parse_args()
    if not Path(_py_spy()).exists():
        sys.exit("where_time_goes.py needs py-spy: pip install py-spy")
    from roughgrad import _catalog

    names = [n for n in args.only.split(",") if n] or list(_catalog.MODULES)
    seconds = 10.0 if args.quick else args.seconds
    peak, step = matmul_peak(), snake_step()
    threads = torch.get_num_threads()
    print(f"matmul peak {peak:.1f} GFLOP/s; snake MLP training step {step:.1f} GFLOP/s "
          f"({100 * step / peak:.0f}% of peak); torch threads {threads}")  # fmt: skip
    print(f"{'experiment':24} {'sampled s':>9} {'arith %':>8} {'torch %':>8} {'python %':>9}"
          f" {'startup %':>10} {'idle %':>7}  bound by")  # fmt: skip
    result: dict[str, object] = {"matmul_peak_gflops": peak, "snake_step_gflops": step}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            counts, elapsed, finished = sample(name, seconds, args.profile, Path(tmp))
            busy = counts["arithmetic"] + counts["torch"] + counts["python"]
            total = busy + counts["idle"] + counts["startup"]
            if not busy:
                print(f"{name:24} no samples")
                continue
            share = {k: counts[k] / busy for k in ("arithmetic", "torch", "python")}
            bound = "arithmetic" if share["arithmetic"] > 0.5 else "overhead"
            print(f"{name:24} {elapsed:8.0f}{'*' if finished else ' '} "
                  f"{100 * share['arithmetic']:8.0f} {100 * share['torch']:8.0f} "
                  f"{100 * share['python']:9.0f} {100 * counts['startup'] / total:10.0f} "
                  f"{100 * counts['idle'] / total:7.0f}  {bound}",
                  flush=True)  # fmt: skip
            result[name] = {
                **share,
                "startup": counts["startup"] / total,
                "idle": counts["idle"] / total,
                "bound": bound,
            }
    print("(* the run finished within the sampled time)")
    result["ratio_snake_step_vs_peak"] = step / peak
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
