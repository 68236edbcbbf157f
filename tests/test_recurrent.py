"""Seed 002: the reset-window floor, the collapse it causes, and training that counts cycles."""

from __future__ import annotations

import pytest
import torch

from roughgrad.experiments import Context
from roughgrad.experiments.rnn_frequency_halving import (
    Config,
    reset_floor,
    rollout_mse,
    run,
    train_one,
)
from roughgrad.nn import SigmoidRNN


@pytest.mark.parametrize(("ratio", "floor"), [(0.5, 0.5), (1 / 3, 0.5), (2.0, 0.0), (1.0, 0.0)])
def test_reset_floor(ratio, floor):
    assert reset_floor(ratio) == pytest.approx(floor, abs=0.01)


def test_critical_init_has_unit_slope_at_the_fixed_point():
    torch.manual_seed(0)
    plain = SigmoidRNN(hidden=4)
    torch.manual_seed(0)
    net = SigmoidRNN(hidden=4, init="critical")
    assert torch.allclose(net.rec.weight - plain.rec.weight, 4 * torch.eye(4))
    assert torch.allclose(net.inp.bias - plain.inp.bias, torch.full((4,), -2.0))
    with torch.no_grad():
        net.rec.weight.copy_(4 * torch.eye(4))
        net.inp.weight.zero_()
        net.inp.bias.fill_(-2.0)
        _, r = net(torch.zeros(1, 50, 1), torch.full((1, 4), 0.5))
    assert torch.allclose(r, torch.full((1, 4), 0.5))  # r = 1/2 is a fixed point
    with pytest.raises(ValueError, match="unknown init"):
        SigmoidRNN(init="orthogonal")


@pytest.mark.slow
def test_reset_training_warns_and_collapses_to_the_floor():
    config = Config(cells=("gru",), modes=("reset",), steps=300, seeds=1, eval_len=128)
    with pytest.warns(UserWarning, match="identical inputs"):
        outcome = run(config, Context())
    assert abs(outcome.metrics["mse_reset_gru"][0] - 0.5) < 0.05


@pytest.mark.slow
@pytest.mark.parametrize(("ratio", "seed"), [(0.5, 0), (1 / 3, 1)])
def test_carried_state_learns_to_count_cycles(ratio, seed):
    """The curriculum (full-BPTT warm start, then carried state) learns sin(ratio t) from
    sin(t) far below the reset floor 0.5, for halving and for thirds (one seed each, to keep the
    suite short; the experiment's default profile runs several)."""
    config = Config(ratio=ratio, steps=1200, long_window=64, eval_len=256)  # MSE 9e-4, 9e-5
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model, _ = train_one("gru", "curriculum", seed, config)
        assert rollout_mse(model, config, seed) < 0.05
    finally:
        torch.set_num_threads(threads)


def test_every_snake_target_titles_its_figures():
    import typing

    from roughgrad.experiments.snake.fit import TARGET_TITLES, Config

    targets = typing.get_args(typing.get_type_hints(Config)["target"])
    assert set(TARGET_TITLES) == set(targets)
