"""MLP builder, SIREN layers and Fourier-feature inputs."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn

from roughgrad.nn.activations import ACTIVATIONS, Sine


def mlp(
    widths: Sequence[int], activation: str = "relu", *, init: str = "default", **act_kwargs
) -> nn.Sequential:
    """Linear layers of ``widths`` (in, hidden..., out) with ``activation`` between them.

    Args:
        widths: layer sizes, e.g. (1, 512, 512, 1).
        activation: a key of ACTIVATIONS (relu, tanh, gelu, sigmoid, sin, snake, snake_b).
        init: "default" (PyTorch's) or "xavier_normal" (weights N(0, 2/(fan_in+fan_out)), zero
            biases; the write-up 001 setting).
        act_kwargs: passed to the activation (a for snake, omega0 for sin, ...).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; known: {', '.join(ACTIVATIONS)}")
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
        linear = nn.Linear(n_in, n_out)
        if init == "xavier_normal":
            nn.init.xavier_normal_(linear.weight)
            nn.init.zeros_(linear.bias)
        elif init != "default":
            raise ValueError(f"unknown init {init!r}; known: default, xavier_normal")
        layers.append(linear)
        if i < len(widths) - 2:
            layers.append(ACTIVATIONS[activation](**act_kwargs))
    return nn.Sequential(*layers)


class SirenLayer(nn.Module):
    """sin(omega0 (W x + b)) with SIREN's initialisation (Sitzmann et al. 2020).

    First layer: W ~ U(-1/n, 1/n); later layers: W ~ U(-sqrt(6/n)/omega0, sqrt(6/n)/omega0),
    n = fan-in.
    """

    def __init__(self, n_in: int, n_out: int, *, omega0: float = 30.0, first: bool = False):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        self.omega0 = omega0
        bound = 1.0 / n_in if first else math.sqrt(6.0 / n_in) / omega0
        with torch.no_grad():
            self.linear.weight.uniform_(-bound, bound)
        self.act = Sine(omega0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.linear(x))


def siren(widths: Sequence[int], *, omega0: float = 30.0) -> nn.Sequential:
    """A SIREN: SirenLayers for all but the last layer, which is linear."""
    layers: list[nn.Module] = [
        SirenLayer(a, b, omega0=omega0, first=(i == 0))
        for i, (a, b) in enumerate(itertools.pairwise(widths[:-1]))
    ]
    last = nn.Linear(widths[-2], widths[-1])
    bound = math.sqrt(6.0 / widths[-2]) / omega0
    with torch.no_grad():
        last.weight.uniform_(-bound, bound)
    return nn.Sequential(*layers, last)


class FourierFeatures(nn.Module):
    """x -> [sin(x B^T), cos(x B^T)] with frequencies B (m, d) (Tancik et al. 2020)."""

    def __init__(self, freqs: torch.Tensor, learnable: bool = False) -> None:
        super().__init__()
        freqs = torch.as_tensor(freqs, dtype=torch.float32)
        freqs = freqs[:, None] if freqs.ndim == 1 else freqs  # (m, d)
        if learnable:
            self.freqs = nn.Parameter(freqs)
        else:
            self.register_buffer("freqs", freqs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        phase = x @ self.freqs.T  # (..., m)
        return torch.cat([torch.sin(phase), torch.cos(phase)], dim=-1)


class SineSum(nn.Module):
    """y = offset + sum_k amplitude_k sin(freq_k x + phase_k); x (..., 1) -> y (..., 1).

    The one-parameter model of write-up 000 is SineSum(1) with amplitude 1 and phase 0 fixed.
    """

    def __init__(self, n_components: int = 1, *, learn_amplitude_phase: bool = True) -> None:
        super().__init__()
        self.freq = nn.Parameter(torch.randn(n_components))
        amp, phase = torch.ones(n_components), torch.zeros(n_components)
        if learn_amplitude_phase:
            self.amplitude, self.phase = nn.Parameter(amp), nn.Parameter(phase)
            self.offset = nn.Parameter(torch.zeros(()))
        else:
            self.register_buffer("amplitude", amp)
            self.register_buffer("phase", phase)
            self.register_buffer("offset", torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.offset + (torch.sin(x * self.freq + self.phase) * self.amplitude).sum(
            -1, keepdim=True
        )


class PeriodicMLP(nn.Module):
    """An MLP on Fourier features: y = head([sin(x B^T), cos(x B^T)]).

    Every function of the features is periodic in x with the periods of B, so the model
    extrapolates a periodic signal exactly once B holds its fundamental frequencies -- which
    [`roughgrad.periodic.spectral_model`][roughgrad.periodic.spectral_model] reads off a periodogram
    of the training data.

    With ``skip=True`` a linear layer on the features is added to the head's output,
    y = head(f) + skip(f): a sum of sines is then exactly representable (and can be written in
    by ``spectral_model``), and the head only learns what is not a sum of these sines.

    Args:
        freqs: (m,) or (m, d) angular frequencies of the features.
        hidden: widths of the head's hidden layers.
        activation: the head's activation (a key of ACTIVATIONS).
        out_features: output size.
        skip: add the linear path from the features to the output.
    """

    def __init__(
        self,
        freqs: torch.Tensor,
        hidden: Sequence[int] = (64, 64),
        *,
        activation: str = "tanh",
        out_features: int = 1,
        skip: bool = False,
    ) -> None:
        super().__init__()
        self.features = FourierFeatures(freqs)
        n_feat = 2 * self.features.freqs.shape[0]
        self.head = mlp((n_feat, *hidden, out_features), activation)
        self.skip = nn.Linear(n_feat, out_features) if skip else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(x)
        return self.head(f) if self.skip is None else self.head(f) + self.skip(f)


class Modulated(nn.Module):
    """y = carrier(x) * exp(g(x / scale)): a carrier times a positive envelope.

    ``g`` is a ReLU MLP, so outside the training range the log-envelope continues along a
    straight line: exponential decay or growth is extrapolated, and a constant envelope stays
    constant. With a [`PeriodicMLP`][roughgrad.nn.mlp.PeriodicMLP] carrier this follows decaying
    oscillations such as exp(-|x|/tau) sin(x) (write-up 001, "Fitting on a Decaying Signal").

    Args:
        carrier: the oscillating part (any module mapping x to y).
        hidden: widths of g's hidden layers.
        scale: x is divided by it before g, so g sees inputs of order one.
    """

    def __init__(self, carrier: nn.Module, hidden: Sequence[int] = (64,), *, scale: float = 1.0):
        super().__init__()
        if scale <= 0:
            raise ValueError(f"Modulated needs scale > 0, got {scale}")
        self.carrier = carrier
        self.log_envelope = mlp((1, *hidden, 1), "relu")
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.carrier(x) * torch.exp(self.log_envelope(x / self.scale))
