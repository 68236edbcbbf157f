"""Traub-Miles Hodgkin-Huxley neurons: the cortical HH model of the COBAHH benchmark."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch
from torch import Tensor

from roughgrad.neurons.hh import (
    V_RATE_MAX,
    HHParams,
    gate_step,
    linexp,
    steady_gates,
    upward_crossings,
    voltage_step,
)
from roughgrad.neurons.models.base import NeuronModel

# Brette et al. 2007, benchmark 3, per cm^2 (their 20,000 um^2 cell: 200 pF, 10 nS leak)
COBAHH_PARAMS = HHParams(g_na=100.0, g_k=30.0, g_l=0.05, e_na=50.0, e_k=-90.0, e_l=-60.0)


@dataclass(frozen=True)
class TraubMiles(NeuronModel):
    """C dV/dt = -gNa m^3 h (V - ENa) - gK n^4 (V - EK) - gL (V - EL) + I, with the rates of
    Traub & Miles (1991) as Brette et al. (2007, "Simulation of networks of spiking neurons",
    J. Comput. Neurosci. 23:349, benchmark 3 "COBAHH") and Brian2's example use them
    (u = V - v_t, mV; rates in 1/ms):

        alpha_m = 0.32 (13 - u) / (exp((13 - u) / 4) - 1)
        beta_m = 0.28 (u - 40) / (exp((u - 40) / 5) - 1)
        alpha_h = 0.128 exp((17 - u) / 18)
        beta_h = 4 / (1 + exp((40 - u) / 5))
        alpha_n = 0.032 (15 - u) / (exp((15 - u) / 5) - 1)
        beta_n = 0.5 exp((10 - u) / 40)

    State (..., N, 4) = [V, m, h, n]; a spike is an upward crossing of ``v_th`` (-20 mV, the
    benchmark's threshold; its 3 ms refractory period only keeps one spike from being
    counted twice, which a crossing never does). Staggered exponential Euler, as for
    ``HodgkinHuxley``: stable up to dt = 0.1 ms, the benchmark's step.
    """

    params: HHParams = field(default_factory=lambda: COBAHH_PARAMS)
    v_t: float = -63.0
    v_th: float = -20.0
    graded: ClassVar[bool] = True
    max_dt = 0.1

    def rates(self, v: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        """alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n (1/ms), finite at every V."""
        u = v.clamp(-V_RATE_MAX, V_RATE_MAX) - self.v_t
        a_m = 1.28 * linexp((u - 13.0) / 4.0)  # 0.32 * 4 * x / (1 - exp(-x)), x = (u - 13) / 4
        b_m = 1.4 * linexp((40.0 - u) / 5.0)
        a_h = 0.128 * torch.exp((17.0 - u) / 18.0)
        b_h = 4.0 * torch.sigmoid((u - 40.0) / 5.0)
        a_n = 0.16 * linexp((u - 15.0) / 5.0)
        b_n = 0.5 * torch.exp((10.0 - u) / 40.0)
        return a_m, b_m, a_h, b_h, a_n, b_n

    def init_state(
        self, shape: tuple[int, ...], *, dtype: torch.dtype, device: torch.device | None
    ) -> Tensor:
        """Every neuron at V = EL with its gates at their steady state there."""
        v = torch.full(shape, self.params.e_l, dtype=dtype, device=device)
        return torch.stack([v, *steady_gates(v, self.rates)], -1)

    def step(self, state: Tensor, current: Tensor, dt: float) -> tuple[Tensor, Tensor]:
        return self._step(state, current, dt, None)

    def step_conductance(
        self, state: Tensor, current: Tensor, conductance: Tensor, dt: float
    ) -> tuple[Tensor, Tensor]:
        return self._step(state, current, dt, conductance)

    def _step(
        self, state: Tensor, current: Tensor, dt: float, conductance: Tensor | None
    ) -> tuple[Tensor, Tensor]:
        v, m, h, n = state.unbind(-1)
        m, h, n = gate_step(v, m, h, n, dt, self.rates)  # the HH integrator, Traub's rates
        v_new = voltage_step(v, m, h, n, current, dt, self.params, conductance)
        return torch.stack([v_new, m, h, n], -1), upward_crossings(v, v_new, self.v_th)
