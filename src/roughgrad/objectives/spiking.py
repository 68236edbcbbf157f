"""A feed-forward network of Hodgkin-Huxley neurons (input -> hidden -> output) as an objective.

    I_hidden(t) = x W1^T + b1,            hidden HH neurons, activity h(t) = sigmoid(V / 2 mV)
    s(t)        = graded synaptic trace of h (tau_syn),
    I_out(t)    = s(t) W2^T + b2,         output HH neurons, activity a(t) = sigmoid(V / 2 mV)
    L           = mean over (batch, time, outputs) of (a(t) - y)^2

Inputs are static (e.g. pixel intensities in [0, 1]) and the currents are in uA/cm^2. Everything
is differentiable, so autodiff (backpropagation through time) is available as the reference.
Node perturbation through time adds noise to I_hidden(t) and I_out(t) at every step
(RecurrentPerturbable), in the seed's two variants: free-running, or from the clean state one
step at a time (then the hidden layer gets no signal: its effect on the output arrives through
the synapse one step later, past the scored step).
"""

from __future__ import annotations

import torch
from torch import Tensor

from roughgrad._types import Params
from roughgrad.neurons import HHParams, resting_state, step
from roughgrad.objectives.base import Objective
from roughgrad.objectives.recurrent import RecurrentPerturbable


class SpikingNetObjective(Objective, RecurrentPerturbable):
    """Parameters: w1 (H, I), b1 (H,), w2 (O, H), b2 (O,); x (B, I), y (B, O) in [0, 1]."""

    def __init__(
        self,
        x: Tensor,
        y: Tensor,
        steps: int,
        dt: float = 0.01,
        tau_syn: float = 5.0,
        hh: HHParams | None = None,
    ) -> None:
        self.x, self.y, self.steps, self.dt = x, y, steps, dt
        self.decay = float(torch.exp(torch.tensor(-dt / tau_syn)))
        self.hh = hh or HHParams()

    def batch_steps(self) -> tuple[int, int]:
        return int(self.x.shape[0]), self.steps

    def node_weights(self) -> dict[str, tuple[tuple[str, str], ...]]:
        return {"hidden": (("w1", "x"),), "out": (("w2", "s"),)}

    def node_bias(self) -> dict[str, str]:
        return {"hidden": "b1", "out": "b2"}

    def __call__(self, params: Params) -> Tensor:
        losses, _ = self._run(params, None, lead=())
        return losses.sum()

    def perturbed_losses(
        self, params: Params, noise: dict[str, Tensor], *, reset: bool
    ) -> tuple[Tensor, dict[str, Tensor]]:
        if not reset:
            size = noise["hidden"].shape[0]
            losses, inputs = self._run(params, noise, lead=(size,))
            return losses, inputs
        return self._reset(params, noise)

    def _run(self, params: Params, noise: dict[str, Tensor] | None, lead: tuple[int, ...]):
        """Per-example losses (*lead, B) and the clean inputs (T, B, d) of each weight."""
        b, n_out = self.y.shape
        dtype = self.x.dtype
        hid = resting_state((*lead, b, params["w1"].shape[0]), self.hh, dtype=dtype)
        out = resting_state((*lead, b, n_out), self.hh, dtype=dtype)
        syn = torch.zeros(hid.shape[:-1], dtype=dtype)
        i_hid = self.x @ params["w1"].T + params["b1"]  # (B, H), static
        total = torch.zeros((*lead, b), dtype=dtype)
        seen = []
        for t in range(self.steps):  # time is sequential
            seen.append(syn)
            cur_h = i_hid + (noise["hidden"][:, t] if noise is not None else 0.0)
            cur_o = syn @ params["w2"].T + params["b2"]
            cur_o = cur_o + (noise["out"][:, t] if noise is not None else 0.0)
            hid = step(hid, cur_h, self.dt, self.hh)
            out = step(out, cur_o, self.dt, self.hh)
            syn = syn * self.decay + (1 - self.decay) * torch.sigmoid(hid[..., 0] / 2.0)
            a = torch.sigmoid(out[..., 0] / 2.0)
            total = total + (a - self.y).pow(2).sum(-1) / (b * self.steps * n_out)
        s_clean = torch.stack(seen)
        if lead:
            s_clean = s_clean[:, 0]  # member 0 is the clean network by the callers' convention
        inputs = {"x": self.x.expand(self.steps, *self.x.shape), "s": s_clean}
        return total, inputs

    def _reset(self, params: Params, noise: dict[str, Tensor]):
        """Each step perturbed from the clean state; only that step's loss is scored."""
        b, n_out = self.y.shape
        dtype = self.x.dtype
        hid = resting_state((b, params["w1"].shape[0]), self.hh, dtype=dtype)
        out = resting_state((b, n_out), self.hh, dtype=dtype)
        syn = torch.zeros(hid.shape[:-1], dtype=dtype)
        i_hid = self.x @ params["w1"].T + params["b1"]
        rows, seen = [], []
        scale = 1.0 / (b * self.steps * n_out)
        for t in range(self.steps):
            seen.append(syn)
            cur_o = syn @ params["w2"].T + params["b2"]
            noisy_out = step(
                out.expand(noise["out"].shape[0], *out.shape),
                cur_o + noise["out"][:, t],
                self.dt,
                self.hh,
            )  # (S, B, O, 4)
            a = torch.sigmoid(noisy_out[..., 0] / 2.0)
            rows.append((a - self.y).pow(2).sum(-1) * scale)  # (S, B); hidden noise: no effect
            hid = step(hid, i_hid, self.dt, self.hh)
            out = step(out, cur_o, self.dt, self.hh)
            syn = syn * self.decay + (1 - self.decay) * torch.sigmoid(hid[..., 0] / 2.0)
        inputs = {"x": self.x.expand(self.steps, *self.x.shape), "s": torch.stack(seen)}
        return torch.stack(rows, 1), inputs  # (S, T, B)
