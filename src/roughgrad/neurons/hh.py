"""Hodgkin-Huxley neurons: parameters, rate functions free of 0/0, and one integration step.

Units: V in mV, t in ms, currents in uA/cm^2, conductances in mS/cm^2, C in uF/cm^2.
Classic squid-axon parameters (Hodgkin & Huxley 1952, shifted so rest is about -65 mV):

    C dV/dt = I - gNa m^3 h (V - ENa) - gK n^4 (V - EK) - gL (V - EL)
    dx/dt = alpha_x(V) (1 - x) - beta_x(V) x,   x in {m, n, h}

Integrator: staggered exponential Euler (default). For fixed V each gate is linear in itself,
so x <- x_inf + (x - x_inf) exp(-dt / tau_x) is exact over a step and can never leave [0, 1];
the gates are advanced first, then V, which is linear in V for the new gates, is advanced the
same way towards V_inf = (gNa m^3 h ENa + gK n^4 EK + gL EL + I) / g_total. Measured against
an LSODA reference (tests/data): RMS 0.06 mV over 50 ms at dt = 0.01 ms and 0.015 mV at
0.005 (second order), where updating V and the gates simultaneously gives 5.8 mV and forward
Euler 3.9 mV at dt = 0.01. It is stable for any dt; dt is capped at 0.1 ms (the write-up's longest
timeframe) for accuracy. Forward Euler, limited by the fastest time constant (C / g_total
~ 0.03 ms at a spike's peak), needs dt <= 0.025 ms.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

MAX_DT = {"exponential": 0.1, "euler": 0.025}  # ms; see the module docstring
# mV: an upward crossing is a spike. Low enough to count the small spikes of strongly driven
# neurons until depolarisation block; the layered classifiers' activity midpoint too.
SPIKE_TH = -30.0


@dataclass(frozen=True)
class HHParams:
    """Conductances (mS/cm^2), reversal potentials (mV) and capacitance (uF/cm^2)."""

    g_na: float = 120.0
    g_k: float = 36.0
    g_l: float = 0.3
    e_na: float = 50.0
    e_k: float = -77.0
    e_l: float = -54.4
    c_m: float = 1.0


class SimulationError(RuntimeError):
    """A bad dt or a state that stopped being finite; the message says what to change."""


def linexp(u: Tensor) -> Tensor:
    """u / (1 - exp(-u)), finite with a finite gradient everywhere (-> 1 + u/2 at u = 0).

    The double ``where`` keeps the unused branch from producing 0/0 in the backward pass.
    """
    small = u.abs() < 1e-4
    safe = torch.where(small, torch.ones_like(u), u)
    return torch.where(small, 1 + u / 2 + u * u / 12, safe / -torch.expm1(-safe))


V_RATE_MAX = 800.0  # mV: the rates are evaluated at V clipped to +-V_RATE_MAX


def rates(v: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n (1/ms) at V (mV).

    V is clipped to +-V_RATE_MAX mV first: beyond it (a neuron driven by thousands of
    uA/cm^2, far outside physiology) the exponentials overflow float32 and the gates' steady
    states become inf / inf; the fused C kernel clips at the same value, so both backends stay
    finite and agree there.
    """
    v = v.clamp(-V_RATE_MAX, V_RATE_MAX)
    a_m = linexp((v + 40.0) / 10.0)  # 0.1 (V+40) / (1 - exp(-(V+40)/10))
    b_m = 4.0 * torch.exp(-(v + 65.0) / 18.0)
    a_h = 0.07 * torch.exp(-(v + 65.0) / 20.0)
    b_h = torch.sigmoid((v + 35.0) / 10.0)  # 1 / (1 + exp(-(V+35)/10))
    a_n = 0.1 * linexp((v + 55.0) / 10.0)  # 0.01 (V+55) / (1 - exp(-(V+55)/10))
    b_n = 0.125 * torch.exp(-(v + 65.0) / 80.0)
    return a_m, b_m, a_h, b_h, a_n, b_n


def resting_state(
    shape: tuple[int, ...],
    p: HHParams = HHParams(),
    *,
    v0: float | None = None,
    dtype: torch.dtype = torch.float32,
    device=None,
) -> Tensor:
    """(..., 4) state [V, m, h, n] with the gates at their steady state for V = v0.

    v0 defaults to the resting potential of ``p`` (``rest_potential``); for the standard
    parameters that is -65 mV (their rest to 3e-4 mV), used as written, the write-up's start.
    """
    if v0 is None:
        v0 = -65.0 if p == HHParams() else rest_potential(p)
    v = torch.full(shape, v0, dtype=dtype, device=device)
    return torch.stack([v, *steady_gates(v)], -1)


def steady_gates(v: Tensor, rate_fn=rates) -> tuple[Tensor, Tensor, Tensor]:
    """The gates' steady states (m, h, n) at a held voltage v: alpha / (alpha + beta), with
    the rates of ``rate_fn`` (default: the squid axon's ``rates``)."""
    a_m, b_m, a_h, b_h, a_n, b_n = rate_fn(v)
    return a_m / (a_m + b_m), a_h / (a_h + b_h), a_n / (a_n + b_n)


@functools.cache
def rest_potential(p: HHParams = HHParams()) -> float:
    """The membrane potential (mV) where the steady-state ionic current of ``p`` is zero,
    searched between -100 and -40 mV (float64 bisection); a SimulationError if none is there."""

    def current(v: float) -> float:
        m, h, n = steady_gates(torch.tensor(v, dtype=torch.float64))
        i = p.g_na * m**3 * h * (v - p.e_na) + p.g_k * n**4 * (v - p.e_k) + p.g_l * (v - p.e_l)
        return float(i)

    lo, hi = -100.0, -40.0
    if not current(lo) < 0 < current(hi):
        raise SimulationError(f"{p} has no resting potential between {lo:g} and {hi:g} mV")
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if current(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


def check_dt(dt: float, method: Literal["exponential", "euler"]) -> None:
    """Refuse a dt the integrator can't handle, naming one that works."""
    if method not in MAX_DT:
        raise SimulationError(f"unknown method {method!r}; use 'exponential' or 'euler'")
    if not 0 < dt <= MAX_DT[method]:
        raise SimulationError(
            f"dt={dt:g} ms is outside the stable range of the {method} integrator "
            f"(0, {MAX_DT[method]:g}] ms; use dt={min(0.01, MAX_DT[method]):g} ms"
            + (" or method='exponential'" if method == "euler" else "")
        )


def step(
    state: Tensor,
    current: Tensor,
    dt: float,
    p: HHParams = HHParams(),
    method: Literal["exponential", "euler"] = "exponential",
    conductance: Tensor | None = None,
) -> Tensor:
    """Advance (..., 4) states [V, m, h, n] by dt under external current (...,) uA/cm^2,
    and a synaptic conductance (...,) mS/cm^2 whose reversal potentials are in ``current``
    (it adds sum g_k E_k to the current and sum g_k to the membrane's conductance)."""
    v, m, h, n = state.unbind(-1)
    if method == "euler":
        a_m, b_m, a_h, b_h, a_n, b_n = rates(v)
        g_tot, v_inf = _membrane(m, h, n, current, p, conductance)
        v_new = v + dt * (g_tot * (v_inf - v)) / p.c_m
        m = m + dt * (a_m * (1 - m) - b_m * m)
        h = h + dt * (a_h * (1 - h) - b_h * h)
        n = n + dt * (a_n * (1 - n) - b_n * n)
        return torch.stack([v_new, m, h, n], -1)
    return torch.stack(exponential_step(v, m, h, n, current, dt, p, conductance), -1)


def exponential_step(
    v: Tensor,
    m: Tensor,
    h: Tensor,
    n: Tensor,
    current: Tensor,
    dt: float | Tensor,
    p: HHParams,
    conductance: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The exponential-Euler step on separate state tensors: the one torch HH step.

    Staggered: the gates relax first with the rates at V_n, then V relaxes towards its
    instantaneous steady state with the new gates (exact for frozen conductances). ``dt`` may be
    a 0-d tensor, so that ``torch.compile``'d callers are not specialised on its value.
    """
    m, h, n = gate_step(v, m, h, n, dt)
    return voltage_step(v, m, h, n, current, dt, p, conductance), m, h, n


def gate_step(
    v: Tensor, m: Tensor, h: Tensor, n: Tensor, dt: float | Tensor, rate_fn=rates
) -> tuple[Tensor, Tensor, Tensor]:
    """The gates after one step, each relaxing exactly for the rates (of ``rate_fn``,
    default: the squid axon's ``rates``) at the held V."""
    a_m, b_m, a_h, b_h, a_n, b_n = rate_fn(v)
    return relax(m, a_m, b_m, dt), relax(h, a_h, b_h, dt), relax(n, a_n, b_n, dt)


def voltage_step(
    v: Tensor,
    m: Tensor,
    h: Tensor,
    n: Tensor,
    current: Tensor,
    dt: float | Tensor,
    p: HHParams,
    conductance: Tensor | None = None,
) -> Tensor:
    """V after one step with the (new) gates m, h, n and the synaptic conductance frozen:
    exact relaxation towards V_inf."""
    g_tot, v_inf = _membrane(m, h, n, current, p, conductance)
    return v_inf + (v - v_inf) * torch.exp(-dt * g_tot / p.c_m)


def _membrane(
    m: Tensor, h: Tensor, n: Tensor, current: Tensor, p: HHParams, conductance: Tensor | None
) -> tuple[Tensor, Tensor]:
    """The membrane's total conductance and the potential V_inf it relaxes to, for ``p``'s
    m^3 h sodium and n^4 potassium channels (Hodgkin-Huxley, Traub-Miles)."""
    g_na = p.g_na * m**3 * h
    g_k = p.g_k * n**4
    g_tot = g_na + g_k + p.g_l
    if conductance is not None:
        g_tot = g_tot + conductance
    v_inf = (g_na * p.e_na + g_k * p.e_k + p.g_l * p.e_l + current) / g_tot
    return g_tot, v_inf


def upward_crossings(v_prev: Tensor, v: Tensor, threshold: float) -> Tensor:
    """Where V crossed ``threshold`` upwards between two steps: the spikes of models
    without a reset (the one definition every simulator uses)."""
    return (v_prev < threshold) & (v >= threshold)


def relax(x: Tensor, a: Tensor, b: Tensor, dt: float | Tensor) -> Tensor:
    """A gate x after dt with rates a (opening) and b (closing) held: exact."""
    k = a + b
    x_inf = a / k
    return x_inf + (x - x_inf) * torch.exp(-dt * k)
