"""A feed-forward network of Hodgkin-Huxley neurons (input -> hidden -> output) as an objective.

    I_hidden(t) = x W1^T + b1,            hidden HH neurons, activity h(t) = sigmoid(V / 2 mV)
    s(t)        = graded synaptic trace of h (tau_syn),
    I_out(t)    = s(t) W2^T + b2,         output HH neurons, activity a(t) = sigmoid(V / 2 mV)
    L           = mean over (batch, time, outputs) of (a(t) - y)^2

Inputs are static (e.g. pixel intensities in [0, 1]) and the currents are in uA/cm^2. Everything
is differentiable, so autodiff (backpropagation through time) is available as the reference.
Node perturbation through time adds noise to I_hidden(t) and I_out(t) at every step
(RecurrentPerturbable), in the write-up's two variants: free-running, or from the clean state one
step at a time (then the hidden layer gets no signal: its effect on the output arrives through
the synapse one step later, past the scored step).
"""

from __future__ import annotations

from torch import Tensor

from roughgrad._types import Params
from roughgrad.neurons import HHParams
from roughgrad.neurons.layered import HHNet, hh_activity, hh_reset_activity
from roughgrad.objectives.base import Objective
from roughgrad.objectives.recurrent import RecurrentPerturbable


class SpikingNetObjective(Objective, RecurrentPerturbable):
    """Parameters: w1 (H, I), b1 (H,), w2 (O, H), b2 (O,); x (B, I), y (B, O) in [0, 1].

    The network is ``roughgrad.neurons.layered.hh_activity`` with currents in uA/cm^2
    (``scale=1``) and the activity sigmoid(V / 2 mV) (``midpoint=0``, ``r0=1``)."""

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
        self.net = HHNet(
            steps, dt, scale=1.0, tau_syn=tau_syn, hh=hh or HHParams(), midpoint=0.0, r0=1.0
        )

    def batch_steps(self) -> tuple[int, int]:
        return int(self.x.shape[0]), self.steps

    def node_weights(self) -> dict[str, tuple[tuple[str, str], ...]]:
        return {"hidden": (("w1", "x"),), "out": (("w2", "s"),)}

    def node_bias(self) -> dict[str, str]:
        return {"hidden": "b1", "out": "b2"}

    def __call__(self, params: Params) -> Tensor:
        return self._losses(hh_activity(params, self.x, self.net)[0]).sum()

    def perturbed_losses(
        self, params: Params, noise: dict[str, Tensor], *, reset: bool
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """Free-running: per-example losses (S, B) of the members (member 0 clean, by the
        callers' convention); reset: (S, T, B), each step scored from the clean state."""
        if reset:
            a, s_seq = hh_reset_activity(params, self.x, self.net, noise["out"])
            rows = (a - self.y).pow(2).sum(-1) / self.y.numel() / self.steps  # (S, T, B)
        else:
            size = noise["hidden"].shape[0]
            lead = {k: v.expand(size, *v.shape) for k, v in params.items()}
            a, s_seq = hh_activity(lead, self.x, self.net, noise)
            rows = self._losses(a)
        return rows, {"x": self.x.expand(self.steps, *self.x.shape), "s": s_seq}

    def _losses(self, a: Tensor) -> Tensor:
        """(T, *lead, B, O) activities -> (*lead, B): sum over steps and outputs of (a - y)^2
        over B T O, so that the losses of a batch sum to the mean squared error."""
        return (a - self.y).pow(2).sum(-1).sum(0) / (self.y.numel() * self.steps)
