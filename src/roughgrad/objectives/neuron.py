"""One Hodgkin-Huxley neuron's mean output as a stochastic objective of its input weight."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from roughgrad._types import Params
from roughgrad.neurons import Network, Readout, simulate
from roughgrad.objectives.base import Stochastic


class NeuronObjective(Stochastic):
    """L(w) = mean_t a(t) of one neuron driven by w * i0 for ``steps`` steps of dt.

    The noise is a seed: each trial draws one, and every population member then gets its own
    independent current noise from that seed (the write-up's N_trials). ``noise=None`` is the
    noiseless neuron. The simulator is batched, so populations are one simulation, not a vmap.
    """

    def __init__(
        self,
        i0: float,
        steps: int,
        dt: float,
        noise_std: float,
        output: Literal["trace", "sigmoid"] = "sigmoid",
    ) -> None:
        self.i0, self.steps, self.dt = i0, steps, dt
        self.noise_std, self.output = noise_std, output

    def draw_noise(self, generator: torch.Generator) -> Tensor:
        return torch.randint(2**62, (), generator=generator)

    def evaluate(self, params: Params, noise: Tensor | None) -> Tensor:
        return self._simulate(params["w"].reshape(1), noise)[0]

    def population(
        self, params: Params, deltas: Params, *, chunk_size: int | None = None
    ) -> Tensor:
        return self.evaluate_population(params, deltas, None)

    def evaluate_population(
        self, params: Params, deltas: Params, noise: Tensor | None, *, chunk_size: int | None = None
    ) -> Tensor:
        w = (params["w"] + deltas["w"]).reshape(-1)  # (S,)
        return self._simulate(w, noise)

    def _simulate(self, w: Tensor, noise: Tensor | None) -> Tensor:
        noisy = noise is not None and self.noise_std > 0
        gen = None
        if noise is not None and self.noise_std > 0:
            gen = torch.Generator(device=w.device).manual_seed(int(noise))
        network = Network(readout=Readout(self.output), noise_std=self.noise_std if noisy else 0.0)
        res = simulate("hh", network, w * self.i0, steps=self.steps, dt=self.dt, generator=gen)
        return res.output_mean
