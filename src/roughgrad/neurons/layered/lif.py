"""Layered LIF networks as snnTorch builds them: see ``roughgrad.neurons.layered``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from roughgrad._types import Params
from roughgrad.neurons.backends import check_layered as _backend
from roughgrad.neurons.fused import lif_fused


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
    if net.backend == "fused":
        lead = z_h.shape[:-2]
        batch, outputs = z_h.shape[-2], w2.shape[-2]
        members = int(torch.Size(lead).numel())
        counts, s_sum = lif_fused(
            z_h.reshape(members, batch, -1),
            b_o.expand(*lead, batch, outputs).reshape(members, batch, outputs),
            w2.expand(*lead, *w2.shape[-2:]).reshape(members, outputs, -1),
            net.steps, net.beta, net.threshold,
        )  # fmt: skip
        return counts.reshape(*lead, batch, outputs), s_sum.reshape(*lead, batch, -1) / net.steps
    w2t, theta, beta = w2.transpose(-1, -2), net.threshold, net.beta
    u_h, s_h = torch.zeros_like(z_h), torch.zeros_like(z_h)
    u_o = torch.zeros(*z_h.shape[:-1], w2.shape[-2], dtype=x.dtype, device=x.device)
    s_o, counts, s_sum = torch.zeros_like(u_o), torch.zeros_like(u_o), torch.zeros_like(z_h)
    for _ in range(net.steps):
        u_h = beta * u_h + z_h - theta * s_h
        s_h = (u_h > theta).to(x.dtype)
        u_o = beta * u_o + (s_h @ w2t + b_o) - theta * s_o
        s_o = (u_o > theta).to(x.dtype)
        counts = counts + s_o
        s_sum = s_sum + s_h
    return counts, s_sum / net.steps
