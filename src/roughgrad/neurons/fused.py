"""Fused CPU kernels for forward simulations: Hodgkin-Huxley populations, LIF classifiers.

``simulate(..., backend="fused")`` runs the same model and integrator as the default torch
backend (staggered exponential Euler, event-driven "spike" synapses, the "trace" output) with the
whole time loop of a block of neurons in one C loop (``_hh_fused.c``): the state stays in
registers and L1 cache instead of ~50 tensor kernels per step, and the exponentials are
vectorised (AVX2 / AVX-512 where the CPU has them). Blocks of independent neurons, or the members
of a population of networks, run on ``torch.get_num_threads()`` OpenMP threads.

It is forward only: no autograd graph (a tensor that requires grad is refused). That is what the
no-backprop estimators need: a population of perturbed networks evaluated as fast as the CPU
allows. The current noise comes from a counter-based generator seeded from ``generator`` (same
statistics as torch.randn, not the same numbers), so a noisy run matches the torch backend in
distribution, a noise-free one to rounding (tested).

``lif_fused`` is the same idea for ``LIFNet(backend="fused")`` (``_lif_fused.c``): one trial of
the two-layer LIF classifier per loop, hidden spikes adding rows of W2 (event-driven).

The kernels are compiled on first use with the system's C compiler (``$CC``, else ``cc``) and
cached in ``$ROUGHGRAD_CACHE`` (default ``~/.cache/roughgrad``), keyed by the source, flags,
compiler and CPU (``-march=native`` code must not run on another CPU model sharing the home
directory); without a compiler, ``FusedUnavailable`` says so and the torch backend still works.
"""

from __future__ import annotations

import ctypes
from functools import cache
from pathlib import Path

import torch
from torch import Tensor

from roughgrad._native import build, compiler
from roughgrad._native import cache_dir as cache_dir
from roughgrad.neurons.hh import HHParams, SimulationError, resting_state

SOURCE = Path(__file__).with_name("_hh_fused.c")
LIF_SOURCE = Path(__file__).with_name("_lif_fused.c")
COBAHH_SOURCE = Path(__file__).with_name("_cobahh_fused.c")


class FusedUnavailable(SimulationError):
    """The fused kernel could not be built (no C compiler, or it failed)."""


class _Params(ctypes.Structure):
    _fields_ = [(n, ctypes.c_double) for n in ("g_na", "g_k", "g_l", "e_na", "e_k", "e_l", "c_m")]


def _compiler() -> list[str]:
    """The compiler command: ``$CC`` split like a shell would (``CC="ccache gcc"``), else cc."""
    return compiler(
        "backend='fused' needs a C compiler (set $CC or install gcc); use backend='torch' instead",
        FusedUnavailable,
    )


def available() -> bool:
    """Whether both fused kernels build and load here (tests skip the fused checks otherwise)."""
    return unavailable_reason() is None


def unavailable_reason() -> str | None:
    """Why the fused kernels cannot run here (no C compiler, a failed build), or None."""
    try:
        library()
        lif_library()
        cobahh_library()
    except FusedUnavailable as exc:
        return str(exc)
    return None


def _build(source: Path) -> ctypes.CDLL:
    """Compile ``source`` once per source/flags/compiler into the cache, then load it."""
    return build(source, _compiler(), FusedUnavailable)


I64, PTR, I32 = ctypes.c_int64, ctypes.c_void_p, ctypes.c_int
REALS = {torch.float32: ("f32", ctypes.c_float), torch.float64: ("f64", ctypes.c_double)}


@cache
def library() -> ctypes.CDLL:
    """The compiled HH kernel (built once per source/flags/compiler, then from the cache)."""
    return _declare(
        _build(SOURCE),
        "hh_run",
        lambda real: [
            *(I64, I64, PTR, PTR, PTR, PTR, PTR, PTR, I32, PTR, PTR, I64, real, real),
            *(ctypes.c_uint32, real, real, I64, ctypes.POINTER(_Params), I32),
        ],
    )


@cache
def layered_library() -> ctypes.CDLL:
    """The compiled HH kernel with the layered classifiers' entry points declared."""
    lib = library()
    dense = [I64, I64, I64, I64, PTR, PTR, PTR, I32, I64]
    units = [I64, I64, I64, I64, I64, I64, PTR, PTR, PTR, PTR, PTR, PTR, I32, I64]

    def tail(real):
        return [*(real,) * 6, I32, PTR, PTR, ctypes.POINTER(_Params), *(real,) * 4, I32]

    _declare(lib, "hhl_run", lambda real: [*dense, *tail(real)])
    return _declare(lib, "hhu_run", lambda real: [*units, *tail(real)])


@cache
def lif_library() -> ctypes.CDLL:
    """The compiled two-layer LIF classifier kernel (``_lif_fused.c``)."""
    return _declare(
        _build(LIF_SOURCE),
        "lif_run",
        lambda real: [I64, I64, I64, I64, I64, real, real, PTR, PTR, PTR, PTR, PTR, I32],
    )


class _TraubParams(ctypes.Structure):
    _fields_ = [
        (n, ctypes.c_double) for n in ("g_na", "g_k", "g_l", "e_na", "e_k", "e_l", "c_m", "v_t")
    ]


@cache
def cobahh_library() -> ctypes.CDLL:
    """The compiled sparse conductance-network kernel (``_cobahh_fused.c``)."""
    return _declare(
        _build(COBAHH_SOURCE),
        "cobahh_run",
        lambda real: [
            *(I64, I64, *(PTR,) * 14, I64, real, real, real, real, real, real, real, I64),
            *(ctypes.POINTER(_TraubParams), I32),
        ],
    )


def simulate_cobahh_fused(
    inputs: Tensor,
    steps: int,
    dt: float,
    *,
    weights,
    inhibitory: Tensor | None,
    synapse,
    model,
    neurons: Tensor | None,
    synapses: tuple[Tensor, Tensor] | None,
    trace_tau: float,
    transient: int,
    record_spikes: bool,
) -> tuple[Tensor, Tensor, Tensor, tuple[Tensor, Tensor], Tensor | None]:
    """Spike counts and mean trace (both (..., N)), the final neuron (..., N, 4) and synapse
    states, and the (T, ..., N) spike raster if recorded, of a sparse conductance network of
    ``model`` (TraubMiles) neurons. Called by the fused backend, which checked the request."""
    check_inputs([inputs], "backend='fused'")
    shape, dtype = inputs.shape, inputs.dtype
    n = shape[-1]
    batch = int(torch.Size(shape[:-1]).numel())
    x = model.init_state(shape, dtype=dtype, device=None) if neurons is None else neurons
    v, m, h, nn = (c.to(dtype).reshape(batch, n).contiguous() for c in x.unbind(-1))
    zero = torch.zeros(batch, n, dtype=dtype)
    g = (torch.zeros(shape), torch.zeros(shape)) if synapses is None else synapses
    ge, gi = (t.to(dtype).expand(shape).reshape(batch, n).contiguous() for t in g)
    drive = inputs.reshape(batch, n).contiguous()
    inh = torch.zeros(n, dtype=torch.uint8) if inhibitory is None else inhibitory.to(torch.uint8)
    start, post = weights.start.contiguous(), weights.post.contiguous()
    value = weights.value.to(dtype).contiguous()
    counts, out_sum = zero.clone(), zero.clone()
    raster = torch.zeros(steps, batch, n, dtype=torch.uint8) if record_spikes else None

    def decay(tau: float) -> float:  # in the kernel's precision, as the torch backend has it
        return float(torch.exp(torch.tensor(-dt / tau, dtype=dtype)))

    p = model.params
    params = _TraubParams(p.g_na, p.g_k, p.g_l, p.e_na, p.e_k, p.e_l, p.c_m, model.v_t)
    fn = getattr(cobahh_library(), f"cobahh_run_{REALS[dtype][0]}")
    fn(
        batch, n, v.data_ptr(), m.data_ptr(), h.data_ptr(), nn.data_ptr(), ge.data_ptr(),
        gi.data_ptr(), drive.data_ptr(), start.data_ptr(), post.data_ptr(), value.data_ptr(),
        inh.contiguous().data_ptr(), counts.data_ptr(), out_sum.data_ptr(),
        None if raster is None else raster.data_ptr(), steps, dt, decay(synapse.tau_e),
        decay(synapse.tau_i), synapse.e_e, synapse.e_i, decay(trace_tau), model.v_th,
        transient, ctypes.byref(params), torch.get_num_threads(),
    )  # fmt: skip
    final = torch.stack([v, m, h, nn], -1).reshape(*shape, 4)
    spikes = None if raster is None else raster.bool().reshape(steps, *shape)
    return (
        counts.reshape(shape),
        (out_sum / (steps - transient)).reshape(shape),
        final,
        (ge.reshape(shape), gi.reshape(shape)),
        spikes,
    )


def _declare(lib: ctypes.CDLL, name: str, argtypes) -> ctypes.CDLL:
    """Give ``name``_f32 / ``name``_f64 their signatures, argtypes(real) for each real type."""
    for suffix, real in REALS.values():
        fn = getattr(lib, f"{name}_{suffix}")
        fn.restype = None
        fn.argtypes = argtypes(real)
    return lib


def check_inputs(tensors: list[Tensor], what: str) -> None:
    """The fused kernels' common preconditions: no autograd, float32/64 on the CPU."""
    if any(t.requires_grad for t in tensors):
        raise SimulationError(
            f"{what} is forward only; call it under torch.no_grad() or detach the inputs, "
            "or use backend='torch' for autograd"
        )
    if any(t.device.type != "cpu" or t.dtype not in REALS for t in tensors):
        t = tensors[0]
        raise SimulationError(
            f"{what} runs float32/float64 tensors on the CPU, got {t.dtype} on {t.device}; "
            "use backend='torch' there"
        )


def lif_fused(
    z_h: Tensor, z_o: Tensor, w2: Tensor, steps: int, beta: float, theta: float
) -> tuple[Tensor, Tensor]:
    """Output spike counts (M, B, O) and summed hidden spikes (M, B, H) of M members x B
    examples; z_h (M, B, H) hidden currents, z_o (M, B, O) static output offsets,
    w2 (M, O, H). See ``roughgrad.objectives.lif_classifier``."""
    check_inputs([z_h, z_o, w2], "backend='fused'")
    members, batch, hidden = z_h.shape
    outputs, dtype = w2.shape[-2], z_h.dtype
    z_h, z_o = z_h.to(dtype).contiguous(), z_o.to(dtype).expand(members, batch, outputs)
    z_o = z_o.contiguous()
    w2t = w2.to(dtype).transpose(-1, -2).contiguous()  # a hidden spike adds one row
    counts = torch.zeros(members, batch, outputs, dtype=dtype)
    s_sum = torch.zeros(members, batch, hidden, dtype=dtype)
    fn = getattr(lif_library(), f"lif_run_{REALS[dtype][0]}")
    fn(
        members * batch, batch, hidden, outputs, steps, beta, theta, z_h.data_ptr(),
        z_o.data_ptr(), w2t.data_ptr(), counts.data_ptr(), s_sum.data_ptr(),
        torch.get_num_threads(),
    )  # fmt: skip
    return counts, s_sum


def simulate_fused(
    inputs: Tensor,
    steps: int,
    dt: float,
    *,
    w_rec: Tensor | None,
    noise_std: float,
    generator: torch.Generator | None,
    tau_syn: float,
    v_th: float,
    transient: int,
    params: HHParams,
    state: Tensor | None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Spike counts, mean trace output (both (..., N)) and the final (..., N, 4) state.

    inputs (..., N): the static input current; w_rec (N, N) or (..., N, N); noise_std: the
    per-step std. Called by the fused backend (``roughgrad.neurons.backends.fused``), which
    has checked the request.
    """
    given = (inputs, w_rec, state)
    check_inputs([t for t in given if isinstance(t, Tensor)], "backend='fused'")
    shape, dtype = inputs.shape, inputs.dtype
    n = shape[-1]
    batch = int(torch.Size(shape[:-1]).numel())
    drive = inputs.reshape(batch, n).contiguous()
    x = resting_state(shape, params, dtype=dtype) if state is None else state.to(dtype)
    v, m, h, nn = (c.reshape(batch, n).contiguous() for c in x.unbind(-1))
    wt, batched = None, 0
    if w_rec is not None:
        if w_rec.dim() > 2:
            batched = 1
            wt = w_rec.to(dtype).expand(*shape[:-1], n, n).reshape(batch, n, n)
        else:
            wt = w_rec.to(dtype)
        wt = wt.transpose(-1, -2).contiguous()  # presynaptic-major rows
    counts = torch.zeros(batch, n, dtype=dtype)
    out_sum = torch.zeros(batch, n, dtype=dtype)
    seed = 0
    if noise_std:
        seed = int(torch.randint(0, 2**32, (1,), generator=generator, dtype=torch.int64))
    decay = float(torch.exp(torch.tensor(-dt / tau_syn, dtype=torch.float64)))
    p = _Params(*(getattr(params, f[0]) for f in _Params._fields_))
    fn = getattr(library(), f"hh_run_{REALS[dtype][0]}")
    fn(
        batch, n, v.data_ptr(), m.data_ptr(), h.data_ptr(), nn.data_ptr(), drive.data_ptr(),
        None if wt is None else wt.data_ptr(), batched, counts.data_ptr(), out_sum.data_ptr(),
        steps, dt, noise_std, seed, decay, v_th, transient, ctypes.byref(p),
        torch.get_num_threads(),
    )  # fmt: skip
    final = torch.stack([v, m, h, nn], -1).reshape(*shape, 4)
    return counts.reshape(shape), (out_sum / (steps - transient)).reshape(shape), final


READOUTS = {"voltage": 0, "membrane": 1, "spikes": 2}


def _layered_tail(net, dtype: torch.dtype, out_sum: Tensor, s_sum: Tensor) -> list:
    """The arguments the layered kernels share: the time grid, the synapse, the readout,
    the outputs, the HH parameters, the resting state and the thread count."""
    from roughgrad.neurons.hh import SPIKE_TH

    rest = resting_state((1,), net.hh, dtype=torch.float64)[0].tolist()
    p = _Params(*(getattr(net.hh, f[0]) for f in _Params._fields_))
    return [
        net.steps, net.dt, net.scale, net.rise(), net.midpoint, net.r0, SPIKE_TH,
        READOUTS[net.readout], out_sum.data_ptr(), s_sum.data_ptr(), ctypes.byref(p), *rest,
        torch.get_num_threads(),
    ]  # fmt: skip


def layered_fused(z_h: Tensor, z_o: Tensor, w2: Tensor, net) -> tuple[Tensor, Tensor]:
    """Readout sums (*lead, B, O) and trace sums (*lead, B, H) over ``net.steps`` of the
    layered HH classifier (``roughgrad.neurons.layered.hh``): z_h (*lead, B, H) static hidden
    pre-activations, z_o (*lead, B, O) static output offsets (b2 plus noise), w2 (O, H) or
    (*lead, O, H). Every (member, example) network runs in one C loop."""
    check_inputs([z_h, z_o, w2], "backend='fused'")
    dtype, (batch, hidden), outputs = z_h.dtype, z_h.shape[-2:], w2.shape[-2]
    lead = torch.broadcast_shapes(z_h.shape[:-2], z_o.shape[:-2], w2.shape[:-2])
    z_h = z_h.to(dtype).expand(*lead, batch, hidden).contiguous()
    z_o = z_o.to(dtype).expand(*lead, batch, outputs).contiguous()
    batched = w2.dim() > 2
    w2 = (w2.to(dtype).expand(*lead, outputs, hidden) if batched else w2.to(dtype)).contiguous()
    out_sum = torch.zeros(*lead, batch, outputs, dtype=dtype)
    s_sum = torch.zeros(*lead, batch, hidden, dtype=dtype)
    fn = getattr(layered_library(), f"hhl_run_{REALS[dtype][0]}")
    fn(
        int(torch.Size(lead).numel()) * batch, batch, hidden, outputs, z_h.data_ptr(),
        z_o.data_ptr(), w2.data_ptr(), int(batched), *_layered_tail(net, dtype, out_sum, s_sum),
    )  # fmt: skip
    return out_sum, s_sum


def per_member_output_layer(w2: Tensor, b2: Tensor, members: int, perturbed: int) -> bool:
    """Whether w2 (members, O, H) and b2 (members, O) give each of ``members`` one-unit
    networks its own output layer (else w2 (O, H), b2 (O,) are shared); per-member layers
    admit no perturbed hidden unit (``perturbed`` must be 0). A ValueError names a mismatch."""
    if w2.dim() == 2:
        return False
    if perturbed or w2.shape[0] != members or b2.shape != (members, w2.shape[1]):
        raise ValueError(
            f"per-member w2 {tuple(w2.shape)} and b2 {tuple(b2.shape)} need {members} members "
            f"and no perturbed hidden unit (got {perturbed})"
        )
    return True


def units_fused(
    z_h: Tensor,
    z_p: Tensor,
    index: Tensor,
    offset: Tensor,
    w2: Tensor,
    b2: Tensor,
    *,
    first: int,
    net,
) -> tuple[Tensor, Tensor]:
    """Readout sums (members, B, O) and the clean trace sum (B, H) of ``members`` networks
    that each perturb one unit (``roughgrad.neurons.layered.hh_units``): z_h (B, H) clean
    hidden pre-activations, z_p (n, B) the perturbed hidden units' pre-activations, standing
    for unit ``index`` (n, B) of members first..first+n-1, offset (members, B, O) static
    output offsets on top of b2 (O,), w2 (O, H). w2 (members, O, H) with b2 (members, O) gives
    each member its own output layer (then no hidden unit may be perturbed: n = 0)."""
    check_inputs([z_h, z_p, offset, w2, b2], "backend='fused'")
    dtype, (batch, hidden), (members, _, outputs) = z_h.dtype, z_h.shape, offset.shape
    batched = per_member_output_layer(w2, b2, members, z_p.shape[0])
    tensors = [t.to(dtype).contiguous() for t in (z_h, z_p, offset, b2)]
    index = index.to(torch.int64).contiguous()
    w2 = w2.to(dtype).contiguous()
    out_sum = torch.zeros(members, batch, outputs, dtype=dtype)
    s_sum = torch.zeros(batch, hidden, dtype=dtype)
    z_h, z_p, offset, b2 = tensors
    fn = getattr(layered_library(), f"hhu_run_{REALS[dtype][0]}")
    fn(
        batch, hidden, outputs, members, z_p.shape[0], first, z_h.data_ptr(), z_p.data_ptr(),
        index.data_ptr(), offset.data_ptr(), w2.data_ptr(), b2.data_ptr(), int(batched),
        *_layered_tail(net, dtype, out_sum, s_sum),
    )  # fmt: skip
    return out_sum, s_sum
