"""Layered LIF networks as snnTorch builds them: see ``roughgrad.neurons.layered``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from torch import Tensor

from roughgrad._types import Params
from roughgrad.neurons.backends import check_layered as _backend
from roughgrad.neurons.backends import get
from roughgrad.neurons.backends.layered import LayeredRequest


@dataclass(frozen=True)
class LIFNet:
    """steps per trial, membrane decay beta per step, threshold theta (snnTorch's defaults).

    backend: "torch" (tensor ops, any device) or "fused" (one compiled C loop per trial on the
    CPU, event-driven hidden -> output coupling; forward only, as the spikes give autodiff
    nothing anyway; ~10x faster for populations: ``roughgrad.neurons.fused``).
    """

    steps: int = 25
    beta: float = 0.95
    threshold: float = 1.0
    backend: Literal["torch", "fused"] = "torch"

    def __post_init__(self) -> None:
        _backend(self.backend, "lif")


def lif_forward(
    params: Params, x: Tensor, net: LIFNet, noise: dict[str, Tensor] | None = None
) -> tuple[Tensor, Tensor]:
    """Output spike counts (*lead, B, O) and the trial-mean hidden spikes (*lead, B, H).

    params: w1 (*lead, H, I), b1 (*lead, H), w2 (*lead, O, H), b2 (*lead, O); x (B, I);
    noise["hidden"] / noise["out"] (*lead, B, d): static offsets of z_h / z_o.
    """
    noise = noise or {}
    w1, b1, w2, b2 = params["w1"], params["b1"], params["w2"], params["b2"]
    z_h = x @ w1.transpose(-1, -2) + b1[..., None, :]
    if "hidden" in noise:
        z_h = z_h + noise["hidden"]
    b_o = b2[..., None, :] + noise["out"] if "out" in noise else b2[..., None, :]
    res = get(net.backend).run_layered(LayeredRequest("lif", net, z_h, w2, b_o))
    return res.readout, res.s_mean
