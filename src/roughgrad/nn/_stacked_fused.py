"""The C burn-in loop of ``StackedRecurrent`` (``_stacked_fused.c``): built on first use; where
it cannot be built (no C compiler), ``supports`` is False and the torch loop runs instead."""

from __future__ import annotations

import ctypes
from functools import cache
from pathlib import Path
from typing import Protocol

import torch
from torch import Tensor

from roughgrad._native import NativeUnavailable, build, compiler

State = Tensor | tuple[Tensor, Tensor]  # (P, B, H), or (h, c) for an LSTM


class StackedRecurrent(Protocol):
    """What the kernels read of a ``roughgrad.nn.StackedRecurrent`` (which imports this)."""

    cell: str
    hidden: int
    params: dict[str, Tensor]

    def parameters(self) -> list[Tensor]: ...


SOURCE = Path(__file__).with_name("_stacked_fused.c")
CELLS = {"rnn": 0, "gru": 1, "lstm": 2}


@cache
def library() -> ctypes.CDLL | None:
    """The compiled kernel, or None where it cannot be built."""
    try:
        lib = build(SOURCE, compiler("the stacked burn-in kernel needs a C compiler"))
    except NativeUnavailable:
        return None
    i64, ptr = ctypes.c_int64, ctypes.c_void_p
    lib.stk_burn.argtypes = [ctypes.c_int, *(i64,) * 5, *(ptr,) * 8, ctypes.c_int]
    lib.stk_burn.restype = None
    lib.stk_window.argtypes = [ctypes.c_int, *(i64,) * 6, *(ptr,) * 18, ctypes.c_int]
    lib.stk_window.restype = None
    return lib


def supports(model: StackedRecurrent, x: Tensor) -> bool:
    """float32 CPU tensors and a kernel that builds here."""
    params = model.parameters()
    on_cpu = x.device.type == "cpu" and all(p.device.type == "cpu" for p in params)
    f32 = x.dtype == torch.float32 and all(p.dtype == torch.float32 for p in params)
    return on_cpu and f32 and library() is not None


def burn_in(model: StackedRecurrent, x: Tensor, lengths: Tensor, state: State) -> State:
    lib = library()
    assert lib is not None
    p = {k: v.detach().contiguous() for k, v in model.params.items()}
    members, batch, steps, inputs = x.shape
    x = x.detach().contiguous()
    lengths = lengths.to(torch.int64).clamp(0, steps).contiguous()
    w_hh_t = p["w_hh"].transpose(1, 2).contiguous()  # (P, H, G H): contiguous gate units
    h, c = _split(state)
    b_hh = p.get("b_hh")
    lib.stk_burn(
        CELLS[model.cell], members, batch, model.hidden, inputs, steps, lengths.data_ptr(),
        x.data_ptr(), p["w_ih"].data_ptr(), p["b_ih"].data_ptr(), w_hh_t.data_ptr(),
        None if b_hh is None else b_hh.data_ptr(), h.data_ptr(),
        None if c is None else c.data_ptr(), torch.get_num_threads(),
    )  # fmt: skip
    return (h, c) if c is not None else h


def _split(state: State) -> tuple[Tensor, Tensor | None]:
    """Writable contiguous copies of h and (LSTM) c."""
    if isinstance(state, tuple):
        return state[0].detach().clone().contiguous(), state[1].detach().clone().contiguous()
    return state.detach().clone().contiguous(), None


def window(
    model: StackedRecurrent, x: Tensor, y: Tensor, state: State
) -> tuple[Tensor, State, dict[str, Tensor]]:
    """One window's per-member MSE (P,), final state and the MSE's gradient with respect to
    every stacked parameter (the C forward and backward pass of ``_stacked_fused.c``)."""
    lib = library()
    assert lib is not None
    p = {k: v.detach().contiguous() for k, v in model.params.items()}
    members, batch, steps, inputs = x.shape
    outputs = y.shape[-1]
    x, y = x.detach().contiguous(), y.detach().contiguous()
    h, c = _split(state)
    w_hh_t = p["w_hh"].transpose(1, 2).contiguous()
    grads = {k: torch.zeros_like(v) for k, v in p.items()}
    loss = torch.zeros(members)

    def ptr(t: Tensor | None) -> int | None:
        return None if t is None else t.data_ptr()

    lib.stk_window(
        CELLS[model.cell], members, batch, model.hidden, inputs, outputs, steps, ptr(x), ptr(y),
        ptr(p["w_ih"]), ptr(p["b_ih"]), ptr(p["w_hh"]), ptr(w_hh_t), ptr(p.get("b_hh")),
        ptr(p["w_out"]), ptr(p["b_out"]), ptr(h), ptr(c), ptr(loss), ptr(grads["w_ih"]),
        ptr(grads["b_ih"]), ptr(grads["w_hh"]), ptr(grads.get("b_hh")), ptr(grads["w_out"]),
        ptr(grads["b_out"]), torch.get_num_threads(),
    )  # fmt: skip
    return loss, ((h, c) if c is not None else h), grads
