"""Recurrent models with one interface, model(x, state) -> (y, state), and a TBPTT trainer.

* ``SigmoidRNN``: write-up 002's network, r_t = sigmoid(W_in x_t + W_rec r_{t-1} + b),
  z_t = W_out r_t + c.
* ``GatedRNN``: torch's GRU or LSTM with a linear read-out.
* ``train_tbptt``: truncated backpropagation through time for any such model: windows of
  ``window`` steps are backpropagated; the hidden state is carried across consecutive windows
  (detached between them) or reset; an optional burn-in runs extra forward steps without
  gradient before a window, so the state a window starts from is not the reset one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn


class SigmoidRNN(nn.Module):
    """r_t = sigmoid(W_in x_t + W_rec r_{t-1} + b), z_t = W_out r_t + c (write-up 002).

    ``init="default"`` keeps PyTorch's Linear initialisation (W_rec small: the state forgets
    within a few steps and gradients through time vanish). ``init="critical"`` adds
    ``gain`` * I to W_rec and -gain/2 to b, so each unit's self-map r -> sigmoid(gain r -
    gain/2) has its fixed point at r = 1/2 with slope gain/4: at the default gain 4 the state
    neither decays nor explodes at initialisation -- the sigmoid analogue of the identity
    initialisation of ReLU RNNs (Le, Jaitly & Hinton 2015). It lets the network keep a bit
    (which input cycle it is in) long enough for training to find it.
    """

    def __init__(
        self,
        inputs: int = 1,
        hidden: int = 32,
        outputs: int = 1,
        *,
        init: str = "default",
        gain: float = 4.0,
    ) -> None:
        super().__init__()
        self.inp = nn.Linear(inputs, hidden)
        self.rec = nn.Linear(hidden, hidden, bias=False)
        self.out = nn.Linear(hidden, outputs)
        self.hidden = hidden
        if init == "critical":
            with torch.no_grad():
                self.rec.weight.add_(gain * torch.eye(hidden))
                self.inp.bias.add_(-gain / 2)
        elif init != "default":
            raise ValueError(f"unknown init {init!r}; known: default, critical")

    def forward(self, x: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        r = x.new_zeros(x.shape[0], self.hidden) if state is None else state
        drive = self.inp(x)  # (B, T, H): the input part of every step at once
        outs = []
        for t in range(x.shape[1]):  # the recurrence is sequential
            r = torch.sigmoid(drive[:, t] + self.rec(r))
            outs.append(r)
        return self.out(torch.stack(outs, 1)), r


class GatedRNN(nn.Module):
    """torch.nn.GRU or LSTM (batch first) with a linear read-out."""

    def __init__(self, cell: str, inputs: int = 1, hidden: int = 32, outputs: int = 1) -> None:
        super().__init__()
        kinds = {"gru": nn.GRU, "lstm": nn.LSTM}
        if cell not in kinds:
            raise ValueError(f"cell must be one of {', '.join(kinds)}, got {cell!r}")
        self.rnn = kinds[cell](inputs, hidden, batch_first=True)
        self.out = nn.Linear(hidden, outputs)

    def forward(self, x: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        y, state = self.rnn(x, state)
        return self.out(y), state


def recurrent_model(
    cell: str, hidden: int = 32, inputs: int = 1, outputs: int = 1, *, init: str = "default"
) -> nn.Module:
    """'rnn' (the write-up's sigmoid RNN; ``init`` as in SigmoidRNN), 'gru' or 'lstm'."""
    if cell == "rnn":
        return SigmoidRNN(inputs, hidden, outputs, init=init)
    return GatedRNN(cell, inputs, hidden, outputs)


def detach_state(state: Any) -> Any:
    """Cut the graph between windows (a tensor, a tuple of tensors, or None)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


@dataclass(frozen=True)
class Window:
    """One update's data: optional burn-in inputs, the window, and whether to reset state."""

    x: Tensor  # (B, T, I)
    y: Tensor  # (B, T, O)
    reset: bool
    burn_in: Tensor | None = None  # (B, T_burn, I), run without gradient first


def train_tbptt(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    windows: Iterable[Window],
    *,
    clip: float | None = 1.0,
    loss_fn: Callable[[Tensor, Tensor], Tensor] = nn.functional.mse_loss,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
) -> list[float]:
    """Truncated BPTT over ``windows``; returns the loss of every update.

    Each window: reset the state if asked, run the burn-in (no gradient), run the window,
    backpropagate its loss (gradient norm clipped at ``clip``), step the optimiser and the
    optional ``scheduler``, and carry the detached final state to the next window.
    """
    state, losses = None, []
    for w in windows:
        if w.reset:
            state = None
        if w.burn_in is not None and w.burn_in.shape[1] > 0:
            with torch.no_grad():
                _, state = model(w.burn_in, state)
        pred, new_state = model(w.x, state)
        loss = loss_fn(pred, w.y)
        optimizer.zero_grad()
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        state = detach_state(new_state)
        losses.append(float(loss.detach()))
    return losses
