"""The layered classifiers' input currents: the static pre-activations and noise."""

from __future__ import annotations

from torch import Tensor


def layer_inputs(params, x: Tensor, noise: dict[str, Tensor]):
    """z_h (*lead, B, H), W2^T, b2 (*lead, 1 or B, O) with static noise added, and whether the
    noise is per step ((*lead, T, B, d): added by ``step_inputs`` instead)."""
    w1, b1, w2, b2 = params["w1"], params["b1"], params["w2"], params["b2"]
    z_h = x @ w1.transpose(-1, -2) + b1[..., None, :]  # (*lead, B, H)
    w2t, b2 = w2.transpose(-1, -2), b2[..., None, :]
    per_step = any(v.dim() == z_h.dim() + 1 for v in noise.values())
    if "hidden" in noise and not per_step:
        z_h = z_h + noise["hidden"]
    if "out" in noise and not per_step:
        b2 = b2 + noise["out"]  # a static offset of z_o
    return z_h, w2t, b2, per_step
