"""The digits-ann figures."""

from __future__ import annotations

from roughgrad.data.classification import DATASET_TITLES
from roughgrad.experiments.base import (
    Outcome,
)
from roughgrad.experiments.digits import common as _digits
from roughgrad.experiments.digits.ann.config import Config, fast_config


def figures(outcome: Outcome, config: Config) -> dict:
    a = outcome.arrays
    fast = fast_config(config)
    return {
        "fit_s": _digits.fit_figure(
            a["fit_s"], a["fit_error"], 10 * config.hidden, "ANN: regression error against S"
        ),
        "training_write_up_setting": _digits.accuracy_figure(
            a,
            config.methods,
            f"ANN on {DATASET_TITLES[config.data]}, the write-up's setting "
            f"(batch {config.batch_size}, S = {config.samples}, {config.loss})",
        ),
        "training_fast_setting": _digits.accuracy_figure(
            a,
            fast.methods,
            f"ANN on {DATASET_TITLES[config.data]}, fast setting (batch {fast.batch_size}, "
            f"S = {fast.samples}, {fast.loss}, cosine lr"
            + ("; dashed: 95%)" if config.data == "digits" else ")"),
            suffix="_fast",
            log_x=True,
            level=0.95 if config.data == "digits" else None,  # the claim's level, set on digits
        ),
    }
