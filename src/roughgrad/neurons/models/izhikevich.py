"""Izhikevich (2003) simple-model neurons: two variables, a quadratic voltage and a reset."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from roughgrad.neurons.models.base import NeuronModel


@dataclass(frozen=True)
class Izhikevich(NeuronModel):
    """dv/dt = 0.04 v^2 + 5 v + 140 - u + I,  du/dt = a (b v - u);  v >= v_peak: v <- c, u += d.

    State (..., N, 2) = [v, u]. The defaults are the regular-spiking cortical neuron
    (a, b, c, d) = (0.02, 0.2, -65, 8) of Izhikevich 2003 ("Simple model of spiking neurons",
    IEEE Trans. Neural Netw. 14:1569). Integrated by forward Euler, as in the paper's code
    (which takes two 0.5 ms half-steps for v); dt up to 0.5 ms.

    Its rest loses stability at a computable current (the rheobase). At rest u = b v, so the
    fixed point v* solves 0.04 v^2 + (5 - b) v + 140 + I = 0; the Jacobian
    [[0.08 v* + 5, -1], [a b, -a]] has trace 0.08 v* + 5 - a and determinant a (b - 0.08 v* - 5),
    so the rest turns unstable once v* > (min(a, b) - 5) / 0.08: through a Hopf bifurcation when
    a < b (the regular-spiking neuron: v* = -62.25 mV, I = 3.7975), a saddle-node otherwise.
    Above it the neuron fires at a low, non-zero rate (6 Hz just above the Hopf current) that
    grows with the current (22 Hz at I = 10); ``tests/test_neuron_models.py`` checks both.
    """

    a: float = 0.02
    b: float = 0.2
    c: float = -65.0
    d: float = 8.0
    v_peak: float = 30.0
    max_dt = 0.5

    @property
    def rheobase(self) -> float:
        """The current (model units) above which the resting state is no longer stable."""
        v = (min(self.a, self.b) - 5) / 0.08
        return -(0.04 * v * v + (5 - self.b) * v + 140)

    def init_state(
        self, shape: tuple[int, ...], *, dtype: torch.dtype, device: torch.device | None
    ) -> Tensor:
        # rest at I = 0: the lower root of the quadratic (the upper one is the saddle)
        disc = (5 - self.b) ** 2 - 4 * 0.04 * 140
        v0 = (-(5 - self.b) - disc**0.5) / (2 * 0.04)
        v = torch.full(shape, v0, dtype=dtype, device=device)
        return torch.stack([v, self.b * v], -1)

    def step(self, state: Tensor, current: Tensor, dt: float) -> tuple[Tensor, Tensor]:
        v, u = state.unbind(-1)
        v_new = v + dt * (0.04 * v * v + 5 * v + 140 - u + current)
        u_new = u + dt * self.a * (self.b * v - u)
        spiked = v_new >= self.v_peak
        v_new = torch.where(spiked, torch.full_like(v_new, self.c), v_new)
        u_new = torch.where(spiked, u_new + self.d, u_new)
        return torch.stack([v_new, u_new], -1), spiked
