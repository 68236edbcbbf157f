"""Leaky integrate-and-fire neurons, integrated exactly between steps."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from roughgrad.neurons.models.base import NeuronModel


@dataclass(frozen=True)
class LIF(NeuronModel):
    """tau_m dV/dt = -(V - v_rest) + I / g_l; at V >= v_th a spike, and V resets to v_reset.

    State (..., N, 1). With the current held over a step, V relaxes exactly towards
    v_rest + I / g_l, so the step is stable for any dt (capped at 1 ms for resolution).
    """

    tau_m: float = 10.0  # ms
    g_l: float = 0.1  # mS/cm^2: 10 uA/cm^2 drive -> V_inf = v_rest + 100 mV
    v_rest: float = -65.0
    v_th: float = -50.0
    v_reset: float = -65.0
    max_dt = 1.0

    def init_state(
        self, shape: tuple[int, ...], *, dtype: torch.dtype, device: torch.device | None
    ) -> Tensor:
        return torch.full((*shape, 1), self.v_rest, dtype=dtype, device=device)

    def step(self, state: Tensor, current: Tensor, dt: float) -> tuple[Tensor, Tensor]:
        v = state[..., 0]
        v_inf = self.v_rest + current / self.g_l
        decay = torch.exp(torch.tensor(-dt / self.tau_m, dtype=v.dtype))
        v = v_inf + (v - v_inf) * decay
        spiked = v >= self.v_th
        v = torch.where(spiked, torch.full_like(v, self.v_reset), v)
        return v[..., None], spiked
