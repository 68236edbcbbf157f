"""Connectivity builders for the write-up's networks (row = postsynaptic neuron)."""

from __future__ import annotations

import torch
from torch import Tensor


def chain(n: int, w: float, *, dtype: torch.dtype = torch.float32) -> Tensor:
    """Neuron i drives neuron i+1 with weight w: (n, n), nonzero on the subdiagonal."""
    return torch.diag(torch.full((n - 1,), w, dtype=dtype), -1)


def complete_graph(n: int, w: float | Tensor, *, dtype: torch.dtype = torch.float32) -> Tensor:
    """Every neuron drives every neuron, itself included: (n, n) filled with w (or given w)."""
    if isinstance(w, Tensor):
        if w.shape != (n, n):
            raise ValueError(f"complete_graph needs w of shape {(n, n)}, got {tuple(w.shape)}")
        return w.to(dtype)
    return torch.full((n, n), float(w), dtype=dtype)


def feedforward(sizes: list[int], weights: list[Tensor]) -> Tensor:
    """Layers of ``sizes`` with weights[k] (sizes[k+1], sizes[k]) between them: a block matrix."""
    if len(weights) != len(sizes) - 1:
        raise ValueError(f"{len(sizes)} layers need {len(sizes) - 1} weight matrices")
    total = sum(sizes)
    w = torch.zeros(total, total, dtype=weights[0].dtype)
    start = 0
    for k, wk in enumerate(weights):
        rows = slice(start + sizes[k], start + sizes[k] + sizes[k + 1])
        if wk.shape != (sizes[k + 1], sizes[k]):
            raise ValueError(
                f"weights[{k}] must be {(sizes[k + 1], sizes[k])}, got {tuple(wk.shape)}"
            )
        w[rows, start : start + sizes[k]] = wk
        start += sizes[k]
    return w
