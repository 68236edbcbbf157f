"""The rnn-frequency-halving settings: training modes, config and profiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from roughgrad.experiments.base import (
    ConfigBase,
    param,
)

MODES = ("reset", "stateful", "burn_in", "long_windows", "curriculum", "control")


CARRIED = ("stateful", "burn_in", "curriculum")  # modes whose rollouts run past a window


@dataclass(frozen=True)
class Config(ConfigBase):
    ratio: float = param(0.5, "target frequency / input frequency", gt=0)
    cells: tuple[str, ...] = param(("rnn", "gru", "lstm"), "cells to train (rnn, gru, lstm)")
    modes: tuple[str, ...] = param(
        ("reset", "stateful", "burn_in", "curriculum", "control"),
        "training modes (reset, stateful, burn_in, long_windows, curriculum, control)",
    )
    control_phase: float = param(
        1.0, "control mode: the target is sin(t + control_phase), same frequency (rad)"
    )
    seq_len: int = param(16, "backpropagated window length (steps)", ge=2)
    points_per_period: int = param(16, "time steps per input period", ge=4)
    hidden: int = param(32, "hidden units", ge=1)
    batch: int = param(16, "windows per update", ge=1)
    steps: int = param(8000, "updates per run", ge=1)
    lr: float = param(0.01, "Adam learning rate (peak, with lr_schedule=cosine)", gt=0)
    lr_schedule: Literal["constant", "cosine"] = param(
        "cosine", "constant, or cosine decay to lr/100 over the run"
    )
    rnn_init: Literal["default", "critical"] = param(
        "critical", "sigmoid RNN init: PyTorch's, or W_rec += 4 I, b -= 2 (see SigmoidRNN)"
    )
    stream_length: int = param(
        2048, "steps before a carried-state stream restarts (stateful, burn_in, curriculum)", ge=2
    )
    warmup: float = param(
        0.75,
        "curriculum: fraction of updates spent on full-BPTT windows of growing length",
        ge=0,
        lt=1,
    )
    long_window: int = param(128, "window length of the long_windows mode", ge=2)
    seeds: int = param(5, "seeds per (cell, mode)", ge=1)
    eval_len: int = param(512, "free-running evaluation length (steps)", ge=64)
    long_eval: int = param(
        16, "carried-state modes: also roll out long_eval x stream_length steps (0: skip)", ge=0
    )
    workers: int = param(
        0,
        "processes running (cell, mode) jobs (all seeds stacked) in parallel; 0 = one per CPU core",
        ge=0,
    )

    def validate(self) -> None:
        from roughgrad.experiments.base import ConfigError

        bad = [c for c in self.cells if c not in ("rnn", "gru", "lstm")]
        bad += [m for m in self.modes if m not in MODES]
        if bad:
            raise ConfigError(
                f"unknown cells/modes {bad}; cells: rnn, gru, lstm; modes: {', '.join(MODES)}"
            )


PROFILES = {
    "quick": {
        "cells": ("gru",),
        "modes": ("reset", "stateful", "burn_in", "curriculum", "control"),
        "steps": 300,
        "seeds": 1,
        "eval_len": 128,
        "workers": 1,
    },
    "default": {},
    "full": {"modes": MODES, "steps": 12000, "seeds": 10, "eval_len": 1024},
}


def _fmt(vals: list[float]) -> str:
    return "[" + ", ".join(f"{v:.4f}" for v in vals) + "]"
