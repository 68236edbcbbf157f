"""The neuron-model interface: what the batched simulator needs from a model, nothing more."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import torch
from torch import Tensor


class NeuronModel(ABC):
    """A point-neuron model integrated with a fixed step; implementations are frozen dataclasses
    holding the model's parameters.

    A state is a tensor (..., N, K): K state variables per neuron, voltage (mV) first.
    ``step`` advances it by dt ms under an input current (..., N) in uA/cm^2; ``spiked`` says
    which neurons emitted a spike on that step. Models with a reset apply it inside ``step``
    and report the spike from the pre-reset voltage. ``graded`` models have a smooth spike
    waveform, so a sigmoid of their voltage is a differentiable activity; reset models pass
    their spikes as the activity instead.
    """

    graded: ClassVar[bool] = False
    max_dt: ClassVar[float] = 0.1  # ms: larger steps are refused

    @abstractmethod
    def init_state(
        self, shape: tuple[int, ...], *, dtype: torch.dtype, device: torch.device | None
    ) -> Tensor:
        """(*shape, K) resting state."""

    @abstractmethod
    def step(self, state: Tensor, current: Tensor, dt: float) -> tuple[Tensor, Tensor]:
        """(next state (..., N, K), spiked (..., N) bool) after dt ms under ``current``."""

    def step_conductance(
        self, state: Tensor, current: Tensor, conductance: Tensor, dt: float
    ) -> tuple[Tensor, Tensor]:
        """``step`` under the input current - conductance x V (conductance-based synapses:
        current = sum_k g_k E_k, conductance = sum_k g_k, mS/cm^2).

        This default evaluates the conductance term at the step's starting voltage (explicit);
        models with an exponential integrator fold it into their exact voltage relaxation.
        """
        return self.step(state, current - conductance * state[..., 0], dt)

    def check_dt(self, dt: float) -> None:
        """Refuse a step the integrator cannot take, naming one that works."""
        from roughgrad.neurons.hh import SimulationError

        if not 0 < dt <= self.max_dt:
            raise SimulationError(
                f"dt={dt:g} ms is outside the stable range (0, {self.max_dt:g}] ms of "
                f"{type(self).__name__}; use dt={min(0.01, self.max_dt):g} ms"
            )
