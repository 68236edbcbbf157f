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


class CParams(ctypes.Structure):
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


def build_kernel(source: Path) -> ctypes.CDLL:
    """Compile ``source`` once per source/flags/compiler into the cache, then load it."""
    return build(source, _compiler(), FusedUnavailable)


I64, PTR, I32 = ctypes.c_int64, ctypes.c_void_p, ctypes.c_int
REALS = {torch.float32: ("f32", ctypes.c_float), torch.float64: ("f64", ctypes.c_double)}


@cache
def library() -> ctypes.CDLL:
    """The compiled HH kernel (built once per source/flags/compiler, then from the cache)."""
    return declare(
        build_kernel(SOURCE),
        "hh_run",
        lambda real: [
            *(I64, I64, PTR, PTR, PTR, PTR, PTR, PTR, I32, PTR, PTR, I64, real, real),
            *(ctypes.c_uint32, real, real, I64, ctypes.POINTER(CParams), I32),
        ],
    )


@cache
def layered_library() -> ctypes.CDLL:
    """The compiled HH kernel with the layered classifiers' entry points declared."""
    lib = library()
    dense = [I64, I64, I64, I64, PTR, PTR, PTR, I32, I64]
    units = [I64, I64, I64, I64, I64, I64, PTR, PTR, PTR, PTR, PTR, PTR, I32, I64]

    def tail(real):
        return [*(real,) * 6, I32, PTR, PTR, ctypes.POINTER(CParams), *(real,) * 4, I32]

    declare(lib, "hhl_run", lambda real: [*dense, *tail(real)])
    return declare(lib, "hhu_run", lambda real: [*units, *tail(real)])


@cache
def lif_library() -> ctypes.CDLL:
    """The compiled two-layer LIF classifier kernel (``_lif_fused.c``)."""
    return declare(
        build_kernel(LIF_SOURCE),
        "lif_run",
        lambda real: [I64, I64, I64, I64, I64, real, real, PTR, PTR, PTR, PTR, PTR, I32],
    )


class TraubParams(ctypes.Structure):
    _fields_ = [
        (n, ctypes.c_double) for n in ("g_na", "g_k", "g_l", "e_na", "e_k", "e_l", "c_m", "v_t")
    ]


@cache
def cobahh_library() -> ctypes.CDLL:
    """The compiled sparse conductance-network kernel (``_cobahh_fused.c``)."""
    return declare(
        build_kernel(COBAHH_SOURCE),
        "cobahh_run",
        lambda real: [
            *(I64, I64, *(PTR,) * 14, I64, real, real, real, real, real, real, real, I64),
            *(ctypes.POINTER(TraubParams), I32),
        ],
    )


def declare(lib: ctypes.CDLL, name: str, argtypes) -> ctypes.CDLL:
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
    p = CParams(*(getattr(params, f[0]) for f in CParams._fields_))
    fn = getattr(library(), f"hh_run_{REALS[dtype][0]}")
    fn(
        batch, n, v.data_ptr(), m.data_ptr(), h.data_ptr(), nn.data_ptr(), drive.data_ptr(),
        None if wt is None else wt.data_ptr(), batched, counts.data_ptr(), out_sum.data_ptr(),
        steps, dt, noise_std, seed, decay, v_th, transient, ctypes.byref(p),
        torch.get_num_threads(),
    )  # fmt: skip
    final = torch.stack([v, m, h, nn], -1).reshape(*shape, 4)
    return counts.reshape(shape), (out_sum / (steps - transient)).reshape(shape), final
