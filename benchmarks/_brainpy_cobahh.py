"""The BrainPy side of cobahh.py: the COBAHH network built from BrainPy's own blocks (its
Traub-Miles channels ``INa_TM1991`` and a Traub K channel, ``Expon`` synapses with ``COBA``
outputs on event-driven CSR connections), as BrainPy's examples build it. Runs in its own
environment (``pip install brainpy jax numba``: numba runs BrainPy's event-driven CPU kernels).

    <brainpy python> benchmarks/_brainpy_cobahh.py '<json case>'

The case: {"size": N, "steps": T, "dt": ms, "seed": s, "repeats": r}. Units per cm^2 (the
synaptic weights 0.03 and 0.335 mS/cm^2 are 6 and 67 nS on the 20,000 um^2 cell); 2%
connectivity between and within the excitatory (80%) and inhibitory populations; initial V
uniform in [-70, -50] mV (BrainPy's example; Brian2's is normal around -65). Prints one JSON
object: seconds per run (the jitted loop, compilation excluded), their median, and the spike
statistics of the last run.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import brainpy as bp
import brainpy.math as bm
import numpy as np


class IK(bp.dyn.IonChannel):
    """The Traub-Miles delayed-rectifier K current, n^4."""

    master_type = bp.dyn.HHTypedNeuron

    def __init__(self, size, E=-90.0, g_max=30.0, V_sh=-63.0, method="exp_auto"):
        super().__init__(size)
        self.g_max, self.E, self.V_sh = g_max, E, V_sh
        self.p = bm.Variable(bm.zeros(size))
        self.integral = bp.odeint(self.dp, method=method)

    def dp(self, p, t, V):
        tmp = V - self.V_sh - 15.0
        alpha = 0.032 * tmp / (1.0 - bm.exp(-tmp / 5.0))
        beta = 0.5 * bm.exp(-(V - self.V_sh - 10.0) / 40.0)
        return alpha * (1.0 - p) - beta * p

    def update(self, V):
        self.p.value = self.integral(self.p, bp.share["t"], V)

    def current(self, V):
        return self.g_max * self.p**4 * (self.E - V)


class HH(bp.dyn.CondNeuGroupLTC):
    def __init__(self, size):
        super().__init__(size, V_initializer=bp.init.Uniform(-70.0, -50.0), V_th=-20.0)
        self.IK = IK(size)
        self.INa = bp.dyn.INa_TM1991(size, g_max=100.0, V_sh=-63.0)
        self.IL = bp.dyn.IL(size, E=-60.0, g_max=0.05)


class ExponSyn(bp.Projection):
    def __init__(self, pre, post, g_max, tau, E):
        super().__init__()
        self.proj = bp.dyn.ProjAlignPostMg2(
            pre, None,
            bp.dnn.EventCSRLinear(bp.conn.FixedProb(0.02, pre=pre.num, post=post.num), g_max),
            bp.dyn.Expon.desc(post.num, tau=tau), bp.dyn.COBA.desc(E=E), post,
        )  # fmt: skip


class COBAHH(bp.DynSysGroup):
    def __init__(self, n):
        super().__init__()
        n_exc = int(0.8 * n)
        self.E, self.I = HH(n_exc), HH(n - n_exc)
        self.E2E = ExponSyn(self.E, self.E, 0.03, 5.0, 0.0)
        self.E2I = ExponSyn(self.E, self.I, 0.03, 5.0, 0.0)
        self.I2E = ExponSyn(self.I, self.E, 0.335, 10.0, -80.0)
        self.I2I = ExponSyn(self.I, self.I, 0.335, 10.0, -80.0)

    def update(self):
        self.E2E()
        self.E2I()
        self.I2E()
        self.I2I()
        self.E()
        self.I()
        return bm.concatenate([self.E.spike.value, self.I.spike.value])


def main() -> None:
    case = json.loads(sys.argv[1])
    bm.set_platform("cpu")
    bm.set_dt(case["dt"])
    bm.random.seed(case.get("seed", 0))
    net = COBAHH(case["size"])
    runner = bp.DSRunner(net, monitors={}, progress_bar=False)
    times, spikes = [], None
    for _ in range(case["repeats"] + 1):  # the first run compiles
        start = time.perf_counter()
        spikes = runner.run(case["steps"] * case["dt"])
        bm.as_numpy(spikes)  # wait for the result
        times.append(time.perf_counter() - start)
    raster = np.asarray(spikes, dtype=bool)  # (T, N)
    step, neuron = np.nonzero(raster)
    cvs = []
    for k in np.unique(neuron):
        isi = np.diff(step[neuron == k])
        if len(isi) >= 2:
            cvs.append(isi.std() / isi.mean())
    seconds = case["steps"] * case["dt"] / 1000
    runs = times[1:] or times
    print(json.dumps({
        "seconds": runs, "median": statistics.median(runs),
        "rate_hz": len(step) / case["size"] / seconds,
        "cv_isi": float(np.mean(cvs)) if cvs else float("nan"),
        "active": len(np.unique(neuron)) / case["size"],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
