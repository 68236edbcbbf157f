"""The Brian2 side of cobahh.py: Brette et al. (2007) benchmark 3, as Brian2's own example
(examples/COBAHH.py) builds it. Runs in Brian2's environment (Brian2 2.9 needs numpy < 2).

    <brian2 python> benchmarks/_brian2_cobahh.py '<json case>'

The case: {"size": N, "steps": T, "dt": ms, "seed": s, "threads": k, "device":
"cpp_standalone" | "cython", "precision": "float64" | "float32", "repeats": r,
"statistics": bool}.

N Traub-Miles HH neurons (20,000 um^2), the first 80% excitatory; every ordered pair is
connected with probability 2% (self-connections included, as ``connect(p=0.02)`` does);
an excitatory spike adds 6 nS to the postsynaptic ge (tau 5 ms, E 0 mV), an inhibitory one
67 nS to gi (tau 10 ms, E -80 mV); threshold -20 mV with a 3 ms refractory period; initial
v = EL + (5 randn - 5) mV, ge = (1.5 randn + 4) 10 nS, gi = (12 randn + 20) 10 nS, gates 0.

Prints one JSON object: seconds per run (simulation only, Brian2's own timer for standalone;
build and compile excluded), their median, and with "statistics" the spike statistics of the
last run (mean rate in Hz, mean CV of inter-spike intervals over neurons with >= 3 spikes, the
fraction of neurons that spiked).
"""

from __future__ import annotations

import json
import statistics
import sys

import brian2 as b2
import numpy as np
from _brian2_hh import timed_runs  # this directory: the same device set-up and timing
from brian2 import ms, mV, siemens, ufarad, umetre

AREA = 20000 * umetre**2
NAMESPACE = {
    "Cm": (1 * ufarad * b2.cm**-2) * AREA,
    "gl": (5e-5 * siemens * b2.cm**-2) * AREA,
    "El": -60 * mV,
    "EK": -90 * mV,
    "ENa": 50 * mV,
    "g_na": (100 * b2.msiemens * b2.cm**-2) * AREA,
    "g_kd": (30 * b2.msiemens * b2.cm**-2) * AREA,
    "VT": -63 * mV,
    "taue": 5 * ms,
    "taui": 10 * ms,
    "Ee": 0 * mV,
    "Ei": -80 * mV,
}
EQS = """
dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v)-g_na*(m*m*m)*h*(v-ENa)-g_kd*(n*n*n*n)*(v-EK))/Cm : volt
dm/dt = alpha_m*(1-m)-beta_m*m : 1
dn/dt = alpha_n*(1-n)-beta_n*n : 1
dh/dt = alpha_h*(1-h)-beta_h*h : 1
dge/dt = -ge*(1./taue) : siemens
dgi/dt = -gi*(1./taui) : siemens
alpha_m = 0.32*(mV**-1)*4*mV/exprel((13*mV-v+VT)/(4*mV))/ms : Hz
beta_m = 0.28*(mV**-1)*5*mV/exprel((v-VT-40*mV)/(5*mV))/ms : Hz
alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
alpha_n = 0.032*(mV**-1)*5*mV/exprel((15*mV-v+VT)/(5*mV))/ms : Hz
beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
"""


def build(case: dict) -> tuple[b2.Network, b2.SpikeMonitor]:
    n = case["size"]
    group = b2.NeuronGroup(
        n, EQS, threshold="v>-20*mV", refractory=3 * ms, method="exponential_euler",
        namespace=NAMESPACE,
    )  # fmt: skip
    n_exc = int(0.8 * n)
    ce = b2.Synapses(group[:n_exc], group, on_pre="ge+=6*nS")
    ci = b2.Synapses(group[n_exc:], group, on_pre="gi+=67*nS")
    ce.connect(p=0.02)
    ci.connect(p=0.02)
    group.v = "El + (randn() * 5 - 5)*mV"
    group.ge = "(randn() * 1.5 + 4) * 10.*nS"
    group.gi = "(randn() * 12 + 20) * 10.*nS"
    monitor = b2.SpikeMonitor(group, record=bool(case.get("statistics")))
    return b2.Network(group, ce, ci, monitor), monitor


def spike_statistics(i: np.ndarray, t: np.ndarray, n: int, seconds: float) -> dict:
    """Mean rate (Hz), mean CV of ISIs (neurons with >= 3 spikes), fraction that spiked."""
    order = np.lexsort((t, i))
    i, t = i[order], t[order]
    cvs = []
    for k in np.unique(i):
        isi = np.diff(t[i == k])
        if len(isi) >= 2:
            cvs.append(isi.std() / isi.mean())
    return {
        "rate_hz": len(i) / n / seconds,
        "cv_isi": float(np.mean(cvs)) if cvs else float("nan"),
        "active": len(np.unique(i)) / n,
    }


def main() -> None:
    case = json.loads(sys.argv[1])
    seconds = case["steps"] * case["dt"] / 1000

    def collect(monitor) -> dict:
        if not case.get("statistics"):
            return {}
        i, t = np.asarray(monitor.i), np.asarray(monitor.t / ms) / 1000
        return spike_statistics(i, t, case["size"], seconds)

    runs, stats = timed_runs(case, build, "brian2-cobahh-", collect)
    out = {"seconds": runs, "median": statistics.median(runs), **stats}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
