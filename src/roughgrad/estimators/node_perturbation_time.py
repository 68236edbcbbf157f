"""Node perturbation through time for recurrent (and, by extension, spiking) networks.

Write-up 003 ("SNN/BNN/Time-Varying Case"): the loss integrates over time, so the weight gradient
is a sum over steps of (dL/da_t)^T x_t, with a_t the pre-activation at step t and x_t its input
then. dL/da_t is estimated from noise xi_t on a_t, in the write-up's two variants:

  * free (default): every perturbed network runs freely with noise at every step;
    g_t = E[(L(xi) - L(0)) xi_t] / sigma^2 is unbiased for the total derivative dL/da_t,
    including the effect through later states (credit assignment through time), at the price
    of T times more noise dimensions;
  * reset: each step is perturbed from the clean state and only that step's loss is scored;
    this estimates the immediate derivative d l_t / d a_t (the gradient of truncated BPTT
    with a one-step window), with much lower variance, but it cannot see memory effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from roughgrad._types import Params
from roughgrad.estimators._perturb import refuse_uncovered
from roughgrad.estimators.base import Estimate, Estimator
from roughgrad.objectives.base import Objective
from roughgrad.objectives.recurrent import RecurrentPerturbable


@dataclass(frozen=True)
class NodePerturbationThroughTime(Estimator):
    """Per-time-step node perturbation for a RecurrentPerturbable objective.

    Args:
        sigma: noise std on every pre-activation; num_samples: S perturbed networks (plus the
            clean one); mode: "free" or "reset" (see the module docstring).
    """

    requires = RecurrentPerturbable
    sigma: float = 0.01
    num_samples: int = 100
    mode: Literal["free", "reset"] = "free"

    def __post_init__(self) -> None:
        if self.sigma <= 0 or self.num_samples < 1 or self.mode not in ("free", "reset"):
            raise ValueError("needs sigma > 0, num_samples >= 1, mode 'free' or 'reset'")

    def _estimate(
        self, objective: Objective, params: Params, generator: torch.Generator
    ) -> Estimate:
        assert isinstance(objective, RecurrentPerturbable)
        weights, biases = objective.node_weights(), objective.node_bias()
        covered = {w for pairs in weights.values() for w, _ in pairs} | set(biases.values())
        refuse_uncovered(type(self).__name__, params, covered)
        ref = params[weights["hidden"][0][0]]
        b, steps = objective.batch_steps()
        units = {node: params[w[0][0]].shape[0] for node, w in weights.items()}
        xi = {
            n: self.sigma
            * torch.randn(
                self.num_samples,
                steps,
                b,
                u,
                generator=generator,
                dtype=ref.dtype,
                device=ref.device,
            )
            for n, u in units.items()
        }
        clean = {n: torch.zeros_like(v[:1]) for n, v in xi.items()}
        both = {n: torch.cat([clean[n], xi[n]]) for n in xi}
        losses, inputs = objective.perturbed_losses(params, both, reset=self.mode == "reset")
        delta = losses[1:] - losses[:1]  # free: (S, B); reset: (S, T, B)
        grad = {k: torch.zeros_like(v) for k, v in params.items()}
        for node, pairs in weights.items():
            if self.mode == "free":
                g = torch.einsum("sb,stbj->tbj", delta, xi[node])  # (T, B, units)
            else:
                g = torch.einsum("stb,stbj->tbj", delta, xi[node])
            g = g / (self.num_samples * self.sigma**2)
            for w_name, inp in pairs:
                if w_name in grad:
                    grad[w_name] = torch.einsum("tbj,tbi->ji", g, inputs[inp])
            if biases[node] in grad:
                grad[biases[node]] = g.sum((0, 1))
        # Whole-network equivalents (see estimators.base): free runs S + 1 rollouts; reset runs
        # one clean rollout plus S x T single steps, which are S rollouts' worth of steps.
        return Estimate(grad, num_evals=self.num_samples + 1, loss=float(losses[0].sum()))
