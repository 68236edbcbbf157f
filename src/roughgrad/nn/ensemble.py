"""Train several independently initialised copies of one architecture as one batched model.

Seeds (or any population of same-shaped models) become a leading tensor dimension: the members'
parameters are stacked, the forward pass is ``torch.func.vmap`` over them, and one optimiser
steps all of them. Because the loss is the *sum* of the members' losses and Adam/SGD act
elementwise, each member follows exactly the trajectory it would follow alone.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap


class Ensemble:
    """E same-architecture modules evaluated together: ``ensemble(x)`` -> (E, *model(x).shape).

    Args:
        members: modules with identical structure (e.g. one per seed); their current parameters
            and buffers are copied into stacked leaf tensors (``parameters()``).
    """

    def __init__(self, members: Sequence[nn.Module]) -> None:
        if not members:
            raise ValueError("an Ensemble needs at least one member")
        names = [tuple(n for n, _ in m.named_parameters()) for m in members]
        if any(n != names[0] for n in names):
            raise ValueError("Ensemble members must share one architecture")
        self.params, self.buffers = stack_module_state(list(members))
        self._template = copy.deepcopy(members[0]).to("meta")
        self.size = len(members)

    def parameters(self) -> list[torch.Tensor]:
        return list(self.params.values())

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.apply(self._template, x)

    def apply(self, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Evaluate ``module`` -- the template or a part of it sharing parameter names, such as
        ``template[:-1]`` of a Sequential -- with every member's parameters."""
        names = {n for n, _ in module.named_parameters()} | {n for n, _ in module.named_buffers()}
        params = {k: v for k, v in self.params.items() if k in names}
        buffers = {k: v for k, v in self.buffers.items() if k in names}

        def one(p: dict, b: dict, inp: torch.Tensor) -> torch.Tensor:
            return functional_call(module, (p, b), (inp,))

        return vmap(one, in_dims=(0, 0, None))(params, buffers, x)

    def member(self, i: int) -> nn.Module:
        """A standalone copy of member ``i`` with its current parameters."""
        if not 0 <= i < self.size:
            raise IndexError(f"member {i} out of range for an ensemble of {self.size}")
        module = copy.deepcopy(self._template).to_empty(device=self._device())
        state = {k: v[i].detach().clone() for k, v in {**self.params, **self.buffers}.items()}
        module.load_state_dict(state)
        return module

    def _device(self) -> torch.device:
        return next(iter(self.params.values())).device


def fit_ensemble(
    ensemble: Ensemble,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    steps: int,
    lr: float,
    callback: Callable[[int, Ensemble], None] | None = None,
    every: int = 0,
    track: Callable[[Iterable[int]], Iterable[int]] | None = None,
) -> torch.Tensor:
    """Full-batch Adam on each member's MSE; returns the (steps, E) training-loss history.

    ``callback(step, ensemble)`` runs before the first step and every ``every`` steps after it
    (e.g. to record frames of the fit); ``every=0`` disables it. ``track`` wraps the step
    iterator (e.g. a progress bar).
    """
    opt = torch.optim.Adam(ensemble.parameters(), lr=lr)
    # kept on the members' device: one transfer at the end, no host sync per step
    history = torch.empty(steps, ensemble.size, device=x.device)
    for step in (track or iter)(range(steps)):
        if callback is not None and every and step % every == 0:
            callback(step, ensemble)
        opt.zero_grad(set_to_none=True)
        per_member = ((ensemble(x) - y) ** 2).flatten(1).mean(1)
        per_member.sum().backward()
        opt.step()
        history[step] = per_member.detach()
    if callback is not None and every:
        callback(steps, ensemble)
    return history.cpu()
