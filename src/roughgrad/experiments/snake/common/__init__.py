"""Shared machinery of the write-up 001 experiments: the models, their batched training and plots.

Every model name maps to a builder; all seeds of one model train together as an
[`Ensemble`][roughgrad.nn.Ensemble] (full-batch Adam, one member per seed). Every model, baseline
or ours, gets the same seeds, steps and learning-rate search: each learning rate in ``lrs`` is
trained on the first seed and the one with the lowest MSE on a validation split (every 10th
training point, held out of training) trains the other seeds; held-out (test) MSE is reported
for that rate only.
"""

from __future__ import annotations

from roughgrad.experiments.snake.common.claims import (
    FIT_HEALTH,
    beats,
    fitted_or_reason,
    fraction_below,
)
from roughgrad.experiments.snake.common.config import (
    CONTENDERS,
    FULL,
    HEALTHY,
    MODEL_LABELS,
    MODELS,
    OURS,
    QUICK,
    TEST_COLOUR,
    TRAIN_COLOUR,
    FitConfig,
    SplitConfig,
)
from roughgrad.experiments.snake.common.plots import fit_figure, fit_figures
from roughgrad.experiments.snake.common.training import (
    Fitted,
    fit_arrays,
    fit_metrics,
    fit_models,
    make_split,
    train_members,
)

__all__ = [
    "CONTENDERS",
    "FIT_HEALTH",
    "FULL",
    "HEALTHY",
    "MODELS",
    "MODEL_LABELS",
    "OURS",
    "QUICK",
    "TEST_COLOUR",
    "TRAIN_COLOUR",
    "FitConfig",
    "Fitted",
    "SplitConfig",
    "beats",
    "fit_arrays",
    "fit_figure",
    "fit_figures",
    "fit_metrics",
    "fit_models",
    "fitted_or_reason",
    "fraction_below",
    "make_split",
    "train_members",
]
