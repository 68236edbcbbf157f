"""P independently initialised recurrent models of one cell, trained as one batched model.

``StackedRecurrent(members)`` copies the parameters of P same-shaped ``SigmoidRNN``s, GRUs or
LSTMs (``recurrent_model``) into leaf tensors with a leading member dimension and runs all P in
one time loop: each step is one batched matrix product per weight instead of P. The cells are
written out (torch's GRU and LSTM equations, its gate order and parameter layout), so a member's
forward pass equals its own module's to float rounding (bmm against addmm, tested).

``train_tbptt_stacked`` is ``train_tbptt`` for it: one Adam step for all members, on the *sum*
of the members' losses, with each member's gradient norm clipped on its own -- so each member
follows the trajectory it would follow alone (up to that rounding; tested on one member against
its unbatched run).

The no-gradient burn-in (``burn_in``) of members with different burn-in lengths runs in a C loop
(``_stacked_fused.c``, compiled on first use like the spiking kernels; each member runs exactly
its own length) or, without a C compiler, in the torch loop with each member's state frozen
after its length.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from roughgrad.nn import _stacked_fused
from roughgrad.nn._stacked_fused import State
from roughgrad.nn.recurrent import GatedRNN, SigmoidRNN


def _layout(module: nn.Module) -> tuple[str, dict[str, Tensor]]:
    """The cell name and the member's parameters under the stacked names."""
    if isinstance(module, SigmoidRNN):
        return "rnn", {
            "w_ih": module.inp.weight,  # (H, I)
            "b_ih": module.inp.bias,  # (H,)
            "w_hh": module.rec.weight,  # (H, H)
            "w_out": module.out.weight,  # (O, H)
            "b_out": module.out.bias,  # (O,)
        }
    if isinstance(module, GatedRNN) and isinstance(module.rnn, (nn.GRU, nn.LSTM)):
        rnn = module.rnn
        if rnn.num_layers != 1 or not rnn.batch_first or rnn.bidirectional or not rnn.bias:
            raise ValueError("StackedRecurrent stacks one-layer, batch-first, biased GRU/LSTMs")
        params = dict(rnn.named_parameters())
        return "gru" if isinstance(rnn, nn.GRU) else "lstm", {
            "w_ih": params["weight_ih_l0"],  # (G H, I), G = 3 (GRU: r, z, n), 4 (LSTM: i, f, g, o)
            "b_ih": params["bias_ih_l0"],
            "w_hh": params["weight_hh_l0"],  # (G H, H)
            "b_hh": params["bias_hh_l0"],
            "w_out": module.out.weight,
            "b_out": module.out.bias,
        }
    raise TypeError(
        f"StackedRecurrent stacks SigmoidRNN or GatedRNN members, got {type(module).__name__}"
    )


class StackedRecurrent:
    """P recurrent models of one cell as one: ``model(x, state)`` with x (P, B, T, I) returns
    (y (P, B, T, O), state).

    Args:
        members: ``SigmoidRNN`` or ``GatedRNN`` modules of one cell and shape (e.g. one per seed);
            their current parameters are copied.

    Example:
        >>> members = [recurrent_model("gru", 8) for _ in range(3)]
        >>> y, h = StackedRecurrent(members)(torch.zeros(3, 4, 10, 1))  # y: (3, 4, 10, 1)
    """

    def __init__(self, members: Sequence[nn.Module]) -> None:
        if not members:
            raise ValueError("StackedRecurrent needs at least one member")
        layouts = [_layout(m) for m in members]
        self.cell = layouts[0][0]
        shapes = [(c, {k: v.shape for k, v in p.items()}) for c, p in layouts]
        if any(s != shapes[0] for s in shapes):
            raise ValueError("StackedRecurrent members must share one cell and shape")
        self.params = {
            k: torch.stack([p[k].detach() for _, p in layouts]).clone().requires_grad_()
            for k in layouts[0][1]
        }
        self.hidden = self.params["w_hh"].shape[-1]
        self.size = len(members)
        self._template = copy.deepcopy(members[0])

    def parameters(self) -> list[Tensor]:
        return list(self.params.values())

    def zero_state(self, batch: int, like: Tensor) -> State:
        h = like.new_zeros(self.size, batch, self.hidden)
        return (h, h.clone()) if self.cell == "lstm" else h

    def step(self, gi: Tensor, state: State) -> State:
        """One step from the input part ``gi`` (P, B, G H) of the gates."""
        p = self.params
        if self.cell == "rnn":
            assert isinstance(state, Tensor)
            return torch.sigmoid(gi + torch.bmm(state, p["w_hh"].transpose(1, 2)))
        h = state[0] if isinstance(state, tuple) else state
        gh = torch.baddbmm(p["b_hh"][:, None], h, p["w_hh"].transpose(1, 2))  # (P, B, G H)
        if self.cell == "gru":
            i_r, i_z, i_n = gi.chunk(3, -1)
            h_r, h_z, h_n = gh.chunk(3, -1)
            r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
            n = torch.tanh(i_n + r * h_n)
            return n + z * (h - n)  # (1 - z) n + z h
        assert isinstance(state, tuple)
        i, f, g, o = (gi + gh).chunk(4, -1)
        c = torch.sigmoid(f) * state[1] + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c

    def input_gates(self, x: Tensor) -> Tensor:
        """The input part of every step's gates at once: (P, B, T, I) -> (P, B, T, G H)."""
        p = self.params
        return torch.einsum("pbti,pgi->pbtg", x, p["w_ih"]) + p["b_ih"][:, None, None]

    def __call__(self, x: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        if x.dim() != 4 or x.shape[0] != self.size:
            raise ValueError(f"x must be (members={self.size}, B, T, I), got {tuple(x.shape)}")
        state = self.zero_state(x.shape[1], x) if state is None else state
        gi = self.input_gates(x)
        hs = []
        for t in range(x.shape[2]):  # the recurrence is sequential
            state = self.step(gi[:, :, t], state)
            hs.append(state[0] if isinstance(state, tuple) else state)
        p = self.params
        y = (
            torch.einsum("pbth,poh->pbto", torch.stack(hs, 2), p["w_out"])
            + p["b_out"][:, None, None]
        )
        return y, state

    def burn_in(self, x: Tensor, lengths: Tensor, state: State | None = None) -> State:
        """Run member m for its first ``lengths[m]`` steps of x (P, B, K, I) without gradient;
        the state after them (a member with length 0 keeps ``state``)."""
        state = self.zero_state(x.shape[1], x) if state is None else state
        with torch.no_grad():
            if _stacked_fused.supports(self, x):
                return _stacked_fused.burn_in(self, x, lengths, state)
            gi = self.input_gates(x)
            for t in range(int(lengths.max()) if lengths.numel() else 0):
                live = (t < lengths).view(-1, 1, 1)  # (P, 1, 1): members still burning in
                new = self.step(gi[:, :, t], state)
                if isinstance(state, tuple) and isinstance(new, tuple):
                    state = (
                        torch.where(live, new[0], state[0]),
                        torch.where(live, new[1], state[1]),
                    )
                elif isinstance(state, Tensor) and isinstance(new, Tensor):
                    state = torch.where(live, new, state)
        return state

    def member(self, i: int) -> nn.Module:
        """A standalone module with member ``i``'s current parameters."""
        if not 0 <= i < self.size:
            raise IndexError(f"member {i} out of range for {self.size} members")
        module = copy.deepcopy(self._template)
        with torch.no_grad():
            for name, target in _layout(module)[1].items():
                target.copy_(self.params[name][i])
        return module


@dataclass(frozen=True)
class StackedWindow:
    """One update's data for every member: x (P, B, T, I), y (P, B, T, O); ``reset`` the state
    first; an optional burn-in (P, B, K, I) of which member m runs ``burn_lengths[m]`` steps."""

    x: Tensor
    y: Tensor
    reset: bool
    burn_in: Tensor | None = None
    burn_lengths: Tensor | None = None  # (P,) int64


def clip_per_member(params: Iterable[Tensor], clip: float) -> Tensor:
    """Scale each member's gradient (the slices [m] of every parameter) to norm <= ``clip``,
    as ``nn.utils.clip_grad_norm_`` would on the member alone; returns the (P,) norms."""
    grads = [p.grad for p in params if p.grad is not None]
    norms = torch.stack([g.flatten(1).pow(2).sum(1) for g in grads]).sum(0).sqrt()  # (P,)
    coef = (clip / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.view(-1, *[1] * (g.dim() - 1)))
    return norms


def train_tbptt_stacked(
    model: StackedRecurrent,
    optimizer: torch.optim.Optimizer,
    windows: Iterable[StackedWindow],
    *,
    clip: float | None = 1.0,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None,
) -> Tensor:
    """``train_tbptt`` for every member at once; returns the (updates, P) losses.

    ``loss_fn(pred, y)`` returns each member's loss (P,); the optimiser steps on their sum, so
    member m's gradient is its own loss's. The default, each member's MSE, runs forward and
    backward in the C kernel where it builds (float32 on the CPU), else through autograd.
    """
    state: Any = None
    losses = []
    for w in windows:
        if w.reset:
            state = None
        if w.burn_in is not None and w.burn_lengths is not None and w.burn_in.shape[2] > 0:
            state = model.burn_in(w.burn_in, w.burn_lengths, state)
        optimizer.zero_grad()
        if loss_fn is None and _stacked_fused.supports(model, w.x):
            start = model.zero_state(w.x.shape[1], w.x) if state is None else state
            per_member, new_state, grads = _stacked_fused.window(model, w.x, w.y, start)
            for name, value in model.params.items():
                value.grad = grads[name]
        else:
            pred, new_state = model(w.x, state)
            per_member = (loss_fn or _mse)(pred, w.y)  # (P,)
            per_member.sum().backward()
        if clip is not None:
            clip_per_member(model.parameters(), clip)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        state = (
            tuple(s.detach() for s in new_state)
            if isinstance(new_state, tuple)
            else new_state.detach()
        )
        losses.append(per_member.detach())
    return torch.stack(losses) if losses else torch.zeros(0, model.size)


def _mse(pred: Tensor, y: Tensor) -> Tensor:
    return ((pred - y) ** 2).flatten(1).mean(1)
