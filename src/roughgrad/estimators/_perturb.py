"""Shared helpers: sample perturbations shaped like parameters, flatten and unflatten them."""

from __future__ import annotations

import torch
from torch import Tensor

from roughgrad._types import Params


def normal_like(params: Params, size: int, generator: torch.Generator) -> Params:
    """Independent N(0, 1) noise with a leading population dim: {k: (size, *v.shape)}."""
    return {
        k: torch.randn((size, *v.shape), generator=generator, dtype=v.dtype, device=v.device)
        for k, v in params.items()
    }


def flatten(deltas: Params) -> Tensor:
    """{k: (S, *shape)} -> (S, D), keys in dict order."""
    return torch.cat([v.reshape(v.shape[0], -1) for v in deltas.values()], dim=1)


def unflatten(flat: Tensor, like: Params) -> Params:
    """(S, D) or (D,) -> dict shaped like ``like`` (with the leading dim kept when present)."""
    out, start = {}, 0
    lead = flat.shape[:-1]
    for k, v in like.items():
        n = v.numel()
        out[k] = flat[..., start : start + n].reshape((*lead, *v.shape))  # a tuple: 0-d params too
        start += n
    return out


def numel(params: Params) -> int:
    return sum(v.numel() for v in params.values())


def antithetic(deltas: Params) -> Params:
    """Stack deltas and their negatives: (S, ...) -> (2S, ...), pairs are (s, s + S)."""
    return {k: torch.cat([v, -v]) for k, v in deltas.items()}


def refuse_uncovered(who: str, params: Params, covered: set) -> None:
    """A one-line ValueError naming the parameters a node-perturbation estimator cannot see."""
    uncovered = [k for k in params if k not in covered]
    if uncovered:
        raise ValueError(
            f"{who} estimates only the objective's node layers ({', '.join(sorted(covered))}); "
            f"it cannot estimate {', '.join(uncovered)}: pass those to another estimator "
            "or leave them out of params"
        )
