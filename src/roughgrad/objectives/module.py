"""ModuleObjective: any torch module + criterion + a batch, as a pure function of parameters."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.func import functional_call

from roughgrad._types import Params
from roughgrad.objectives.base import Batched, NodePerturbable, Objective, Stochastic


class ModuleObjective(Objective, NodePerturbable, Batched):
    """loss(params) = criterion(model(inputs; params), targets), via functional_call.

    Node perturbation works for any model built from ``nn.Linear`` layers: forward hooks add
    noise to each linear layer's output and record its input, with the population folded into
    the batch dimension (inputs repeated S times), so S perturbed networks cost one forward
    pass of batch S * B.

    Args:
        model: the module; its own parameters are not modified.
        criterion: (output, target) -> scalar, e.g. ``nn.functional.mse_loss``; it must be
            vmappable (torch's losses are), and for node perturbation the batch loss must be
            the mean of per-example losses (true of torch's losses with reduction="mean").
        inputs: (B, ...) batch; targets: (B, ...) matching the criterion.
        per_example: optional (outputs (N, ...), targets (N, ...)) -> (N,) per-example losses
            whose mean is ``criterion``'s value (e.g. ``cross_entropy(..., reduction="none")``);
            node perturbation then scores all S * B examples in one call instead of a double
            vmap of ``criterion`` (measured: about 2x fewer milliseconds per estimate on a
            64-100-10 MLP).

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
        >>> obj = ModuleObjective(model, nn.functional.cross_entropy, torch.randn(16, 4),
        ...                       torch.randint(3, (16,)))
        >>> loss = obj(dict(model.named_parameters()))
    """

    def __init__(
        self,
        model: nn.Module,
        criterion: Callable[[Tensor, Tensor], Tensor],
        inputs: Tensor,
        targets: Tensor,
        per_example: Callable[[Tensor, Tensor], Tensor] | None = None,
    ) -> None:
        self.model, self.criterion, self.per_example = model, criterion, per_example
        self.inputs, self.targets = inputs, targets

    batch_fields = ("inputs", "targets")

    def __call__(self, params: Params) -> Tensor:
        return self.criterion(functional_call(self.model, params, (self.inputs,)), self.targets)

    def node_batch_size(self) -> int:
        return int(self.inputs.shape[0])

    def node_layers(self) -> dict[str, tuple[str, str | None, int]]:
        out: dict[str, tuple[str, str | None, int]] = {}
        for name, mod in self.model.named_modules():
            if isinstance(mod, nn.Linear):
                prefix = f"{name}." if name else ""
                bias = f"{prefix}bias" if mod.bias is not None else None
                out[name] = (f"{prefix}weight", bias, mod.out_features)
        return out

    def node_population(
        self, params: Params, noise: dict[str, Tensor]
    ) -> tuple[Tensor, dict[str, Tensor]]:
        size = next(iter(noise.values())).shape[0]
        batch = self.inputs.shape[0]
        inputs_seen: dict[str, Tensor] = {}
        modules = dict(self.model.named_modules())

        def hook(name: str):
            def add_noise(mod: nn.Module, args: tuple[Tensor, ...], out: Tensor) -> Tensor:
                # args[0]: (S*B, d_in); keep member 0's copy (all members share the unperturbed
                # input at the first noised layer; deeper inputs carry upstream noise)
                inputs_seen[name] = args[0][:batch]
                if name in noise:
                    return out + noise[name].reshape(size * batch, -1)
                return out

            return add_noise

        handles = [modules[n].register_forward_hook(hook(n)) for n in self.node_layers()]
        try:
            x = self.inputs.repeat(size, *([1] * (self.inputs.dim() - 1)))  # (S*B, ...)
            out = functional_call(self.model, params, (x,))
        finally:
            for h in handles:
                h.remove()
        if self.per_example is not None:
            targets = self.targets.repeat(size, *([1] * (self.targets.dim() - 1)))
            losses = self.per_example(out, targets).reshape(size, batch) / batch
            return losses, inputs_seen  # (S, B)
        out = out.reshape(size, batch, *out.shape[1:])

        def example_loss(o: Tensor, t: Tensor) -> Tensor:
            return self.criterion(o[None], t[None]) / batch

        per_example = torch.func.vmap(torch.func.vmap(example_loss), in_dims=(0, None))
        return per_example(out, self.targets), inputs_seen  # (S, B)


class MinibatchObjective(Stochastic):
    """A module's loss on a random minibatch of a data set: the noise is the batch's indices.

    ``__call__`` (noise None) evaluates the whole data set; ``draw_noise`` picks ``batch_size``
    indices, so averaging over trials is averaging over independent minibatches.
    """

    def __init__(
        self,
        model: nn.Module,
        criterion: Callable[[Tensor, Tensor], Tensor],
        inputs: Tensor,
        targets: Tensor,
        batch_size: int,
    ) -> None:
        if not 1 <= batch_size <= len(inputs):
            raise ValueError(f"batch_size must be in [1, {len(inputs)}], got {batch_size}")
        self.model, self.criterion = model, criterion
        self.inputs, self.targets, self.batch_size = inputs, targets, batch_size

    def draw_noise(self, generator: torch.Generator) -> Tensor:
        return torch.randint(
            len(self.inputs), (self.batch_size,), generator=generator, device=self.inputs.device
        )

    def evaluate(self, params: Params, noise: Tensor | None) -> Tensor:
        x, y = (
            (self.inputs, self.targets)
            if noise is None
            else (self.inputs[noise], self.targets[noise])
        )
        return self.criterion(functional_call(self.model, params, (x,)), y)
