"""The Brian2 side of hh_vs_brian2.py (runs in Brian2's own environment: Brian2 2.9 needs numpy<2).

    <brian2 python> benchmarks/_brian2_hh.py '<json case>'

The case: {"networks": B, "size": N, "coupled": bool, "steps": T, "dt": ms, "drive": uA/cm^2,
"noise_std": uA/cm^2, "weight": uA/cm^2 per spike, "tau_syn": ms, "threads": k,
"device": "cpp_standalone" | "cython", "precision": "float64" | "float32", "repeats": r}.

B networks of N neurons are merged into one NeuronGroup; coupling is all-to-all without
self-connections inside each network (block-diagonal synapses). The model is roughgrad's
(roughgrad.neurons.hh): the classic squid parameters at rest -65 mV, a spike is an upward
crossing of -30 mV, each spike adds ``weight`` to the postsynaptic current, which decays with
tau_syn; the current noise is a fresh N(0, noise_std^2) value every step (randn(), constant over
dt). Brian2 integrates it with its exponential Euler (all variables at once; roughgrad staggers
gates then V).

Prints one JSON object: seconds per run (simulation only, from Brian2's own timer; build and
compile excluded), the median, and the mean firing rate (Hz) as a check.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time

import brian2 as b2
import numpy as np
from brian2 import cm, ms, msiemens, mV, uA, ufarad

EQS = """
dv/dt = (I_drive + I_syn + I_noise - I_ion)/Cm : volt
I_ion = gNa*m**3*h*(v - ENa) + gK*n**4*(v - EK) + gL*(v - EL) : amp/meter**2
dm/dt = alpham*(1 - m) - betam*m : 1
dh/dt = alphah*(1 - h) - betah*h : 1
dn/dt = alphan*(1 - n) - betan*n : 1
alpham = 1/exprel(-(v + 40*mV)/(10*mV))/ms : Hz
betam = 4*exp(-(v + 65*mV)/(18*mV))/ms : Hz
alphah = 0.07*exp(-(v + 65*mV)/(20*mV))/ms : Hz
betah = 1/(1 + exp(-(v + 35*mV)/(10*mV)))/ms : Hz
alphan = 0.1/exprel(-(v + 55*mV)/(10*mV))/ms : Hz
betan = 0.125*exp(-(v + 65*mV)/(80*mV))/ms : Hz
dI_syn/dt = -I_syn/tau_syn : amp/meter**2
I_noise = noise_std*randn() : amp/meter**2 (constant over dt)
I_drive : amp/meter**2 (constant)
"""


def build(case: dict) -> tuple[b2.Network, b2.SpikeMonitor]:
    b, n = case["networks"], case["size"]
    ns = {
        "gNa": 120 * msiemens / cm**2, "gK": 36 * msiemens / cm**2, "gL": 0.3 * msiemens / cm**2,
        "ENa": 50 * mV, "EK": -77 * mV, "EL": -54.4 * mV, "Cm": 1 * ufarad / cm**2,
        "tau_syn": case["tau_syn"] * ms, "noise_std": case["noise_std"] * uA / cm**2,
    }  # fmt: skip
    group = b2.NeuronGroup(
        b * n, EQS, threshold="v > -30*mV", refractory="v > -30*mV",
        method="exponential_euler", namespace=ns,
    )  # fmt: skip
    # rest at -65 mV with the gates at their steady state (as roughgrad.neurons.resting_state)
    group.v = -65 * mV
    group.m, group.h, group.n = 0.05293248525724958, 0.5961207535084603, 0.3176769140606974
    group.I_drive = case["drive"] * uA / cm**2
    objects = [group]
    if case["coupled"]:
        syn = b2.Synapses(group, group, on_pre=f"I_syn_post += {case['weight']}*uA/cm**2")
        syn.connect(condition=f"i != j and i // {n} == j // {n}")
        objects.append(syn)
    monitor = b2.SpikeMonitor(group, record=False)
    return b2.Network(*objects, monitor), monitor


def timed_runs(case: dict, build, prefix: str, collect):
    """Set Brian2 up for ``case`` (precision, dt, device, threads), build the network with
    ``build(case)`` and run it ``repeats`` + 1 times; the seconds of each run after the
    first (the warm-up; the one run if repeats = 0) and ``collect(monitor)`` of the last run
    (read before a standalone build directory, which holds the monitor's data, is removed).
    Standalone times are Brian2's own (build and compile excluded)."""
    if case.get("precision") == "float32":
        b2.prefs.core.default_float_dtype = np.float32
    b2.defaultclock.dt = case["dt"] * ms
    b2.seed(case.get("seed", 0))
    duration = case["steps"] * case["dt"] * ms
    times = []
    if case["device"] == "cpp_standalone":
        build_dir = tempfile.mkdtemp(prefix=prefix)
        b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = case["threads"]
        net, monitor = build(case)
        net.run(duration)
        b2.device.build(directory=build_dir, run=False, compile=True)  # not ./output
        for _ in range(case["repeats"] + 1):
            b2.device.run()
            times.append(b2.device._last_run_time)
        collected = collect(monitor)
        shutil.rmtree(build_dir, ignore_errors=True)
    else:
        b2.prefs.codegen.target = "cython"
        net, monitor = build(case)
        net.store()
        for _ in range(case["repeats"] + 1):
            net.restore()
            start = time.perf_counter()
            net.run(duration)
            times.append(time.perf_counter() - start)
        collected = collect(monitor)
    return times[1:] or times, collected


def main() -> None:
    case = json.loads(sys.argv[1])
    times, count = timed_runs(case, build, "brian2-hh-", lambda m: int(m.num_spikes))
    rate = count / (case["networks"] * case["size"]) / (case["steps"] * case["dt"] / 1000)
    print(json.dumps({"seconds": times, "median": statistics.median(times), "rate_hz": rate}))


if __name__ == "__main__":
    main()
