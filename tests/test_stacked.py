"""Stacked recurrent models: P seeds of one cell trained as one batched model, each member on
the trajectory it would follow alone (rounding aside); the C window and burn-in kernels against
torch autograd and torch's own cells."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from roughgrad.nn import _stacked_fused, recurrent_model
from roughgrad.nn.stacked import StackedRecurrent, StackedWindow, train_tbptt_stacked

CELLS = ("rnn", "gru", "lstm")
needs_kernel = pytest.mark.skipif(
    _stacked_fused.library() is None, reason="no C compiler: the torch loops run instead"
)


def _stack(cell: str, members: int = 3, hidden: int = 8) -> tuple[StackedRecurrent, list]:
    torch.manual_seed(0)
    modules = [recurrent_model(cell, hidden, init="critical") for _ in range(members)]
    return StackedRecurrent(modules), modules


def _random_state(model: StackedRecurrent, batch: int, gen: torch.Generator):
    h = torch.rand(model.size, batch, model.hidden, generator=gen) - 0.5
    return (h, torch.rand(h.shape, generator=gen) - 0.5) if model.cell == "lstm" else h


def _h(state):
    return state[0] if isinstance(state, tuple) else state


@pytest.mark.parametrize("cell", CELLS)
def test_each_member_computes_what_its_own_module_computes(cell):
    model, modules = _stack(cell)
    x = torch.randn(3, 4, 12, 1, generator=torch.Generator().manual_seed(1))
    y, state = model(x)
    for i, module in enumerate(modules):
        yi, si = module(x[i])
        hi = si[0][0] if cell == "lstm" else (si[0] if cell == "gru" else si)
        assert torch.allclose(y[i], yi, atol=1e-6)  # bmm against addmm: rounding only
        assert torch.allclose(_h(state)[i], hi, atol=1e-6)
    copy = model.member(1)
    assert torch.allclose(copy(x[1])[0], modules[1](x[1])[0])


def test_members_must_share_a_cell_and_shape():
    with pytest.raises(ValueError, match="one cell and shape"):
        StackedRecurrent([recurrent_model("gru", 8), recurrent_model("gru", 9)])
    with pytest.raises(ValueError, match="one cell and shape"):
        StackedRecurrent([recurrent_model("gru", 8), recurrent_model("lstm", 8)])
    with pytest.raises(TypeError, match="SigmoidRNN or GatedRNN"):
        StackedRecurrent([torch.nn.Linear(2, 2)])
    with pytest.raises(ValueError, match=r"members=2, B, T, I"):
        StackedRecurrent([recurrent_model("rnn", 4)] * 2)(torch.zeros(3, 1, 5, 1))


@needs_kernel
@pytest.mark.parametrize("cell", CELLS)
def test_the_window_kernel_gives_autograds_loss_state_and_gradient(cell):
    """The C forward + backpropagation through a window equals autograd through the torch
    cells to float32 rounding (relative 1e-5 of each gradient's largest entry)."""
    model, _ = _stack(cell, hidden=16)
    gen = torch.Generator().manual_seed(2)
    x, y = torch.randn(3, 5, 20, 1, generator=gen), torch.randn(3, 5, 20, 1, generator=gen)
    start = _random_state(model, 5, gen)
    pred, state = model(x, start)
    mse = ((pred - y) ** 2).flatten(1).mean(1)
    mse.sum().backward()
    loss, kernel_state, grads = _stacked_fused.window(model, x, y, start)
    assert torch.allclose(loss, mse.detach(), rtol=1e-5)
    assert torch.allclose(_h(kernel_state), _h(state), atol=1e-5)
    for name, p in model.params.items():
        assert p.grad is not None
        scale = float(p.grad.abs().max())
        assert torch.allclose(grads[name], p.grad, atol=1e-5 * scale), name


@needs_kernel
@pytest.mark.parametrize("cell", CELLS)
def test_burn_in_runs_each_member_for_its_own_length(cell, monkeypatch):
    model, modules = _stack(cell)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(3, 4, 30, 1, generator=gen)
    lengths = torch.tensor([0, 7, 30])
    fused = model.burn_in(x, lengths)
    monkeypatch.setattr(_stacked_fused, "supports", lambda *a: False)
    loop = model.burn_in(x, lengths)  # the torch loop, members frozen after their length
    assert torch.allclose(_h(fused), _h(loop), atol=1e-6)
    assert torch.equal(_h(fused)[0], torch.zeros(4, 8))  # length 0 keeps the start
    with torch.no_grad():
        _, alone = modules[1](x[1, :, :7])
    alone = _h(alone)[0] if cell != "rnn" else alone
    assert torch.allclose(_h(fused)[1], alone, atol=1e-6)


@needs_kernel
def test_the_kernel_saturates_instead_of_overflowing():
    """expf of a huge argument overflows; under -ffast-math that is undefined, so arguments are
    clamped where sigmoid and tanh are already 0 or +-1."""
    model, _ = _stack("lstm")
    with torch.no_grad():
        for p in model.params.values():
            p.mul_(1e4)
    x = torch.full((3, 2, 5, 1), 50.0)
    state = model.burn_in(x, torch.tensor([5, 5, 5]))
    assert all(bool(torch.isfinite(s).all()) for s in state)
    loss, _, grads = _stacked_fused.window(model, x, x, state)
    assert bool(torch.isfinite(loss).all()) and all(
        bool(torch.isfinite(g).all()) for g in grads.values()
    )


def _windows(members: int, steps: int, seed: int, burn: bool):
    gen = torch.Generator().manual_seed(seed)
    for k in range(steps):
        x = torch.randn(members, 4, 6, 1, generator=gen)
        lengths = torch.randint(0, 9, (members,), generator=gen) if burn else None
        yield StackedWindow(
            x,
            torch.sin(3 * x),
            reset=k % 3 == 0,
            burn_in=torch.randn(members, 4, 8, 1, generator=gen) if burn else None,
            burn_lengths=lengths,
        )


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("burn", [False, True], ids=["carried", "burn-in"])
def test_a_member_trains_as_it_would_alone(cell, burn):
    """Member 1 of a 3-member stack against a stack of member 1 alone (its own clip, Adam
    moments and data): the loss curves agree to float rounding over 40 updates."""
    model, modules = _stack(cell)
    ws = list(_windows(3, 40, 4, burn))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    stacked = train_tbptt_stacked(model, opt, ws, clip=0.05).numpy()
    alone = StackedRecurrent([modules[1]])
    opt = torch.optim.Adam(alone.parameters(), lr=0.01)
    single = [  # member 1's data only
        StackedWindow(
            w.x[1:2],
            w.y[1:2],
            w.reset,
            None if w.burn_in is None else w.burn_in[1:2],
            None if w.burn_lengths is None else w.burn_lengths[1:2],
        )
        for w in ws
    ]
    lone = train_tbptt_stacked(alone, opt, single, clip=0.05)[:, 0].numpy()
    np.testing.assert_allclose(stacked[:, 1], lone, rtol=1e-4)
    assert not np.allclose(stacked[:, 0], lone, rtol=1e-2)  # the members differ


@pytest.mark.parametrize("cell", CELLS)
def test_the_stacked_run_follows_the_unstacked_experiment_run(cell):
    """rnn-frequency-halving: seed 1 of a stacked (cell, burn_in) run against ``train_one``,
    the same seed trained alone by torch's own modules: per-update losses agree to 1e-5."""
    from roughgrad.experiments.rnn_frequency_halving import Config, train_one
    from roughgrad.experiments.rnn_frequency_halving.train import train_stacked

    config = Config(steps=60, stream_length=64)
    _, stacked = train_stacked(cell, "burn_in", [0, 1], config)
    _, alone = train_one(cell, "burn_in", 1, config)
    np.testing.assert_allclose(stacked[:, 1].numpy(), np.array(alone), rtol=1e-5)
