"""The write-up 002 recurrent network as an objective, with node noise per time step.

    a_t = W_in x_t + W_rec r_{t-1} + b,   r_t = sigmoid(a_t),   z_t = W_out r_t + c,
    L = mean over (batch, time, outputs) of (z_t - y_t)^2.

The capability [`RecurrentPerturbable`][roughgrad.objectives.recurrent.RecurrentPerturbable] lets
node perturbation add noise to the pre-activations a_t and z_t at every time step, in the write-up's
two variants: the perturbed networks run freely (noise at every step, trajectories diverge), or
every step is perturbed from the clean state and only that step's loss is measured ("returned to the
unperturbed state at every step").
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import Tensor

from roughgrad._types import Params
from roughgrad.objectives.base import Objective

NODES = {"hidden": (("w_in", "x"), ("w_rec", "r_prev")), "out": (("w_out", "r"),)}
BIASES = {"hidden": "b", "out": "c"}


class RecurrentPerturbable(ABC):
    """Capability: per-time-step node noise on a recurrent network."""

    @abstractmethod
    def batch_steps(self) -> tuple[int, int]:
        """(B, T): examples and time steps, each of which gets its own noise."""

    @abstractmethod
    def perturbed_losses(
        self, params: Params, noise: dict[str, Tensor], *, reset: bool
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """Per-example losses and each weight's presynaptic inputs (T, B, d_in) along the clean
        trajectory.

        noise[node]: (S, T, B, units). reset=False: losses (S, B) of freely running perturbed
        networks (member s gets noise[s] at every step). reset=True: losses (S, T, B), member s
        perturbed at step t only, from the clean state, scoring only step t's loss.
        """

    @abstractmethod
    def node_weights(self) -> dict[str, tuple[tuple[str, str], ...]]:
        """node -> ((weight param, input name), ...); bias names from node_bias()."""

    @abstractmethod
    def node_bias(self) -> dict[str, str]:
        """node -> bias param name."""


class RNNObjective(Objective, RecurrentPerturbable):
    """MSE of the write-up 002 RNN on sequences x (B, T, I) -> y (B, T, O).

    Args:
        x: inputs.
        y: targets.
        h0: optional initial hidden state (B, H) (zeros by default).
    Parameters (names): w_in (H, I), w_rec (H, H), b (H,), w_out (O, H), c (O,).
    """

    def __init__(self, x: Tensor, y: Tensor, h0: Tensor | None = None) -> None:
        self.x, self.y, self.h0 = x, y, h0

    def _h0(self, params: Params) -> Tensor:
        if self.h0 is not None:
            return self.h0
        return self.x.new_zeros(self.x.shape[0], params["w_rec"].shape[0])

    def __call__(self, params: Params) -> Tensor:
        r = self._h0(params)
        err = []
        for t in range(self.x.shape[1]):  # time is sequential
            r = torch.sigmoid(self.x[:, t] @ params["w_in"].T + r @ params["w_rec"].T + params["b"])
            err.append(r @ params["w_out"].T + params["c"] - self.y[:, t])
        return torch.stack(err, 1).pow(2).mean()

    def batch_steps(self) -> tuple[int, int]:
        return int(self.x.shape[0]), int(self.x.shape[1])

    def node_weights(self) -> dict[str, tuple[tuple[str, str], ...]]:
        return NODES

    def node_bias(self) -> dict[str, str]:
        return BIASES

    def perturbed_losses(
        self, params: Params, noise: dict[str, Tensor], *, reset: bool
    ) -> tuple[Tensor, dict[str, Tensor]]:
        b, steps, _ = self.x.shape
        o = self.y.shape[-1]
        # the clean trajectory: presynaptic inputs for every weight
        r = self._h0(params)
        prev, rs, pre = [], [], []
        for t in range(steps):
            prev.append(r)
            a = self.x[:, t] @ params["w_in"].T + r @ params["w_rec"].T + params["b"]
            pre.append(a)
            r = torch.sigmoid(a)
            rs.append(r)
        inputs = {
            "x": self.x.transpose(0, 1),
            "r_prev": torch.stack(prev),
            "r": torch.stack(rs),
        }  # each (T, B, d)
        scale = 1.0 / (b * steps * o)  # per-example share of the mean
        if reset:  # every (member, step) perturbed from the clean state: all in parallel
            a = torch.stack(pre) + noise["hidden"]  # (S, T, B, H)
            z = torch.sigmoid(a) @ params["w_out"].T + params["c"] + noise["out"]
            losses = (z - self.y.transpose(0, 1)).pow(2).sum(-1) * scale  # (S, T, B)
            return losses, inputs
        size = noise["hidden"].shape[0]
        r = self._h0(params).expand(size, b, -1)
        total = self.x.new_zeros(size, b)
        for t in range(steps):  # the S perturbed networks run freely, side by side
            a = self.x[:, t] @ params["w_in"].T + r @ params["w_rec"].T + params["b"]
            r = torch.sigmoid(a + noise["hidden"][:, t])
            z = r @ params["w_out"].T + params["c"] + noise["out"][:, t]
            total = total + (z - self.y[:, t]).pow(2).sum(-1) * scale
        return total, inputs
