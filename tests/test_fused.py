"""simulate(backend="fused"): the compiled C loop against the torch backend."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from roughgrad.neurons import (
    BACKENDS,
    NEURONS,
    CurrentSynapse,
    HHNet,
    HodgkinHuxley,
    LIFNet,
    Network,
    Readout,
    SimulationError,
    simulate,
)
from roughgrad.neurons import fused as fused_mod
from roughgrad.neurons.layered import hh_forward, hh_forward_units

needs_cc = pytest.mark.skipif(
    not fused_mod.available(), reason="the fused kernels do not build here (compiler or OpenMP)"
)


def _net(dtype, batched: bool):
    gen = torch.Generator().manual_seed(0)
    w_in = torch.rand(3, 40, generator=gen, dtype=dtype) * 1.5 + 0.8
    shape = (3, 40, 40) if batched else (40, 40)
    w_rec = torch.randn(*shape, generator=gen, dtype=dtype) * 0.4
    return w_in, w_rec


@needs_cc
@pytest.mark.slow
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("batched", [True, False])
def test_noise_free_run_matches_the_torch_backend(dtype, batched):
    w_in, w_rec = _net(dtype, batched)
    kw = dict(steps=3000, dt=0.01, transient=300)
    net = Network(w_rec, CurrentSynapse(kind="spike"))
    ours = simulate("hh", net, w_in * 10.0, backend="fused", **kw)
    ref = simulate("hh", net, w_in * 10.0, **kw)
    assert ref.spike_counts.sum() > 100  # the network fires, so the comparison means something
    assert torch.equal(ours.spike_counts, ref.spike_counts)
    tol = 1e-9 if dtype == torch.float64 else 1e-4
    torch.testing.assert_close(ours.output_mean, ref.output_mean, atol=tol, rtol=tol)


@needs_cc
@pytest.mark.slow
def test_independent_neurons_span_several_blocks_and_keep_their_drive():
    w_in = torch.linspace(0.0, 2.0, 700, dtype=torch.float64)  # > 2 blocks of 256
    ours = simulate("hh", None, w_in * 10.0, steps=2000, dt=0.01, backend="fused")
    ref = simulate("hh", None, w_in * 10.0, steps=2000, dt=0.01)
    assert torch.equal(ours.spike_counts, ref.spike_counts)
    assert ours.spike_counts[0] == 0 and ours.spike_counts[-1] >= 2


@needs_cc
@pytest.mark.slow
def test_noise_has_the_torch_backend_statistics_and_does_not_depend_on_threads():
    w_in = torch.full((3000,), 0.65)  # 6.5 uA/cm^2: near onset, firing set by the noise

    def run(backend, seed, threads=None):
        old = torch.get_num_threads()
        torch.set_num_threads(threads or old)
        try:
            gen = torch.Generator().manual_seed(seed)
            return simulate("hh", Network(noise_std=2.0), w_in * 10.0, steps=3000, dt=0.01,
                            generator=gen, backend=backend)  # fmt: skip
        finally:
            torch.set_num_threads(old)

    ours, ref = run("fused", 0).spike_counts, run("torch", 0).spike_counts
    assert ref.mean() > 0.5
    assert abs(float(ours.mean() - ref.mean())) < 4 * float(ref.std()) / 3000**0.5
    assert abs(float(ours.std() / ref.std()) - 1) < 0.1
    assert torch.equal(run("fused", 0, threads=1).spike_counts, ours)
    assert not torch.equal(run("fused", 1).spike_counts, ours)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            dict(model="lif"),
            r"HodgkinHuxley neurons with method='exponential' \(or TraubMiles .*\) only; use "
            "backend='torch'",
        ),
        (dict(model=HodgkinHuxley(method="euler")), "method='exponential' "),
        (dict(network=Network(readout=Readout("sigmoid"))), "readout kind='trace' only"),
        (dict(network=Network(torch.zeros(4, 4))), r"CurrentSynapse\(kind='spike'\) only"),
        (dict(record=["v"]), "does not record"),
        (dict(backend="gpu"), "unknown backend 'gpu'; known: torch, compile, fused, auto"),
        (dict(backend="compile"), "layered HH classifiers only"),
    ],
)
def test_unsupported_options_are_refused_in_one_line(kwargs, message):
    kwargs = {"backend": "fused", "model": "hh", "network": None, **kwargs}
    with pytest.raises(SimulationError, match=message) as caught:
        simulate(inputs=torch.ones(4), steps=10, dt=0.01, **kwargs)
    assert "\n" not in str(caught.value)


@needs_cc
def test_a_model_instance_brings_its_own_settings_to_the_fused_backend():
    """simulate(model=HodgkinHuxley(...), backend="fused") uses the instance's threshold,
    parameters and integrator, as the torch backend does, instead of simulate's arguments."""
    from roughgrad.neurons import HHParams, HodgkinHuxley

    drive = torch.linspace(0.5, 1.5, 8, dtype=torch.float64) * 12.0
    neuron = HodgkinHuxley(HHParams(g_k=30.0), v_th=0.0)
    ours = simulate(neuron, None, drive, steps=3000, dt=0.01, backend="fused")
    ref = simulate(neuron, None, drive, steps=3000, dt=0.01)
    assert ref.spike_counts.sum() > 0 and torch.equal(ours.spike_counts, ref.spike_counts)
    default = simulate("hh", None, drive, steps=3000, dt=0.01, backend="fused")
    assert not torch.equal(ours.spike_counts, default.spike_counts)


@pytest.mark.parametrize(
    ("net", "message"),
    [
        (
            lambda: HHNet(backend="fused", autograd_backend="fused"),
            "autograd_backend='fused' is not differentiable",
        ),
        (lambda: LIFNet(backend="compile"), r"networks of 'lif' neurons \(it runs: hh\); use"),
        (lambda: HHNet(backend="gpu"), "unknown backend 'gpu'; known: torch, compile, fused"),
    ],
)
def test_a_layered_network_refuses_a_backend_that_cannot_run_it(net, message):
    with pytest.raises(SimulationError, match=message):
        net()


def test_every_backend_declares_what_it_runs():
    for key, b in BACKENDS.items():
        assert b.name == key and b.summary and set(b.layered) <= set(NEURONS)


def test_autograd_inputs_are_refused():
    w = torch.ones(4, requires_grad=True)
    with pytest.raises(SimulationError, match="forward only"):
        simulate("hh", None, w, steps=10, dt=0.01, backend="fused")


def test_missing_compiler_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    monkeypatch.setenv("ROUGHGRAD_CACHE", str(tmp_path))
    fused_mod.library.cache_clear()
    fused_mod.layered_library.cache_clear()
    try:
        with pytest.raises(fused_mod.FusedUnavailable, match="needs a C compiler"):
            simulate("hh", None, torch.ones(4), steps=10, dt=0.01, backend="fused")
        with pytest.raises(fused_mod.FusedUnavailable, match="needs a C compiler"):
            params = _classifier(torch.float32, ())
            hh_forward(params, torch.ones(2, 6), HHNet(steps=5, backend="fused"))
    finally:
        fused_mod.library.cache_clear()
        fused_mod.layered_library.cache_clear()
    assert list(tmp_path.iterdir()) == []  # nothing half-written


@needs_cc
@pytest.mark.slow
def test_loading_and_running_the_kernels_keeps_subnormals():
    # A -ffast-math link would add crtfastmath.o, turning on flush-to-zero process-wide; the
    # kernels flush subnormals while they run and must restore every thread's MXCSR after. Run
    # in a fresh interpreter so that nothing else this process loaded can mask it.
    code = (
        "import numpy, torch\n"
        "from roughgrad.neurons import fused, simulate\n"
        "from roughgrad.neurons.layered import HHNet, hh_forward, hh_forward_units\n"
        "fused.library(); fused.lif_library()\n"
        "torch.set_num_threads(2)\n"
        "p = {'w1': torch.randn(3, 8, 6), 'b1': torch.zeros(3, 8), 'w2': torch.randn(3, 10, 8),"
        " 'b2': torch.zeros(3, 10)}\n"
        "net = HHNet(steps=50, dt=0.1, readout='membrane', backend='fused')\n"
        "hh_forward(p, torch.rand(4, 6), net)\n"
        "hh_forward_units({k: v[0] for k, v in p.items()}, torch.rand(4, 6), net, {}, 2)\n"
        "simulate('hh', None, torch.rand(2, 5), steps=50, dt=0.05, backend='fused')\n"
        "assert numpy.float64(1e-310) * 1.0 == 1e-310, 'numpy float64 flushed'\n"
        "assert numpy.float32(1e-40) * numpy.float32(1.0) != 0, 'numpy float32 flushed'\n"
        "assert float(torch.tensor(1e-40) * 1.0) != 0.0, 'torch float32 flushed'\n"
        "big = torch.full((1 << 20,), 1e-40) * 1.0  # on torch's worker threads too\n"
        "assert bool((big != 0).all()), 'torch float32 flushed on a worker thread'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_cc_with_arguments_is_split(monkeypatch, tmp_path):
    monkeypatch.setenv("CC", "env cc")  # a wrapper plus the compiler, like CC="ccache gcc"
    assert fused_mod._compiler() == ["env", "cc"]


def test_failed_build_is_fused_unavailable(monkeypatch, tmp_path):
    fake = tmp_path / "cc"
    fake.write_text("#!/bin/sh\necho 'error: no OpenMP here' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CC", str(fake))
    monkeypatch.setenv("ROUGHGRAD_CACHE", str(tmp_path / "cache"))
    fused_mod.library.cache_clear()
    fused_mod.lif_library.cache_clear()
    try:
        with pytest.raises(fused_mod.FusedUnavailable, match="no OpenMP here"):
            fused_mod.library()
        assert not fused_mod.available()
    finally:
        fused_mod.library.cache_clear()
        fused_mod.layered_library.cache_clear()
        fused_mod.lif_library.cache_clear()
    assert list((tmp_path / "cache").iterdir()) == []  # nothing half-written


def test_cache_key_names_the_architecture():
    from roughgrad._native import cpu

    assert cpu().splitlines()[0] == __import__("platform").machine()


# ---- layered HH classifiers (HHNet(backend="fused")) ----------------------------------------


def _classifier(dtype, lead: tuple[int, ...], hidden: int = 12, inputs: int = 6, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)

    def r(*shape, scale=1.0):
        return torch.randn(*lead, *shape, generator=gen, dtype=dtype) * scale

    return {"w1": r(hidden, inputs), "b1": r(hidden, scale=0.1), "w2": r(10, hidden, scale=0.7),
            "b2": r(10, scale=0.1)}  # fmt: skip


@needs_cc
@pytest.mark.parametrize("readout", ["membrane", "voltage", "spikes"])
def test_layered_fused_matches_torch_for_a_population_with_static_noise(readout):
    params = _classifier(torch.float64, (3,))
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(4, 6, generator=gen, dtype=torch.float64)
    noise = {
        "hidden": 0.2 * torch.randn(3, 4, 12, generator=gen, dtype=torch.float64),
        "out": 0.2 * torch.randn(3, 4, 10, generator=gen, dtype=torch.float64),
    }
    net = HHNet(steps=400, dt=0.1, readout=readout)
    o_ref, s_ref, _ = hh_forward(params, x, net, noise)
    o, s, _ = hh_forward(params, x, HHNet(steps=400, dt=0.1, readout=readout, backend="fused"),
                         noise)  # fmt: skip
    assert o_ref.std() > 0.05  # the outputs differ between members and examples
    torch.testing.assert_close(o, o_ref, rtol=0, atol=1e-9)
    torch.testing.assert_close(s, s_ref, rtol=0, atol=1e-9)


@needs_cc
@pytest.mark.parametrize("readout", ["membrane", "spikes"])
def test_layered_fused_one_unit_populations_match_torch(readout):
    params = _classifier(torch.float64, ())
    gen = torch.Generator().manual_seed(2)
    x = torch.rand(3, 6, generator=gen, dtype=torch.float64)
    units = {
        "hidden": (1, torch.randint(0, 12, (12, 3), generator=gen),
                   0.5 * torch.randn(12, 3, generator=gen, dtype=torch.float64)),
        "out": (13, torch.randint(0, 10, (10, 3), generator=gen),
                0.5 * torch.randn(10, 3, generator=gen, dtype=torch.float64)),
    }  # fmt: skip
    members = 24  # member 0 and the last are clean
    o_ref, s_ref = hh_forward_units(params, x, HHNet(steps=400, dt=0.1, readout=readout), units,
                                    members)  # fmt: skip
    net = HHNet(steps=400, dt=0.1, readout=readout, backend="fused")
    o, s = hh_forward_units(params, x, net, units, members)
    assert (o_ref[1:-1] != o_ref[0]).any()  # perturbations change the readout
    torch.testing.assert_close(o, o_ref, rtol=0, atol=1e-9)
    torch.testing.assert_close(s, s_ref, rtol=0, atol=1e-9)


@needs_cc
def test_layered_fused_float32_stays_finite_under_strong_inhibition():
    """Outputs driven thousands of mV below rest: neither backend's exponentials overflow
    (the rates see V clipped to +-800 mV in both)."""
    params = _classifier(torch.float32, (2,))
    params["w2"] = params["w2"] * 8
    x = torch.rand(3, 6, generator=torch.Generator().manual_seed(3))
    ref = hh_forward(params, x, HHNet(steps=300, dt=0.1, readout="membrane"))[0]
    got = hh_forward(params, x, HHNet(steps=300, dt=0.1, readout="membrane", backend="fused"))[0]
    assert ref.min() < -100  # mean potential below -2000 mV somewhere: rates clipped (both)
    assert torch.isfinite(ref).all() and torch.isfinite(got).all()
    torch.testing.assert_close(got, ref, rtol=1e-3, atol=1e-3)


@needs_cc
def test_layered_fused_runs_gradients_on_its_autograd_backend():
    params = {k: v.requires_grad_() for k, v in _classifier(torch.float64, ()).items()}
    x = torch.rand(2, 6, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    grads = []
    for backend in ("torch", "fused"):
        net = HHNet(steps=100, dt=0.05, readout="membrane", backend=backend,
                    autograd_backend="torch")  # fmt: skip
        o = hh_forward(params, x, net)[0]
        grads.append(torch.autograd.grad(o.sum(), params["w1"])[0])
    assert grads[0].abs().max() > 0
    torch.testing.assert_close(grads[1], grads[0])
    with torch.no_grad():  # the same call without autograd runs in C
        with pytest.raises(fused_mod.SimulationError, match="float32/float64 tensors on the CPU"):
            hh_forward({k: v.half() for k, v in params.items()}, x.half(), net)


def test_auto_falls_back_to_torch_with_one_notice_where_no_kernel_builds(monkeypatch):
    from roughgrad.neurons import fused
    from roughgrad.neurons.backends import FusedFallback, resolve_layered

    monkeypatch.setattr(fused, "unavailable_reason", lambda: None)
    assert resolve_layered("auto", "hh") == "fused"
    auto = simulate("hh", None, torch.ones(3) * 10, steps=100, dt=0.01, backend="auto")
    izh = simulate("izhikevich", None, torch.ones(3) * 10, steps=100, dt=0.01, backend="auto")
    assert auto.state.synapses is None and izh.state.synapses is not None  # fused; torch
    why = "backend='fused' needs a C compiler (set $CC or install gcc); use backend='torch'"
    monkeypatch.setattr(fused, "unavailable_reason", lambda: why)
    with pytest.warns(FusedFallback) as caught:
        assert resolve_layered("auto", "hh") == "torch"
    (notice,) = caught
    message = str(notice.message)
    assert "\n" not in message and "needs a C compiler" in message and "torch" in message
    assert resolve_layered("fused", "hh") == "fused"  # explicit: checked where it is used
    with pytest.warns(FusedFallback):
        simulate("hh", None, torch.ones(3) * 10, steps=100, dt=0.01, backend="auto")


def test_without_a_compiler_the_kernel_says_why(tmp_path):
    """A machine without a C compiler: the fused kernel reports why (and `auto` falls back)."""
    import os
    import subprocess
    import sys

    code = "from roughgrad.neurons import fused; print(fused.unavailable_reason())"
    env = {**os.environ, "CC": str(tmp_path / "no-such-cc"), "ROUGHGRAD_CACHE": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert "needs a C compiler" in out.stdout, out.stdout + out.stderr
