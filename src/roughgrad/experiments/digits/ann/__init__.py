"""Can a sigmoid network be trained on digits without backpropagation, as fast as with it?

Question: write-up 003 moves from the linear classifier to an ANN (the same input-100-10 layout
with a sigmoid after the hidden and output layers) and finds its regression method, with a
batch of 10, S = 100 and the two layers alternating, "pretty comparably well" to autodiff, even
though S is far below the number of weights (the write-up's "ANN Fit S" shows the gradient itself is
poorly fitted unless S approaches it). Two runs here:

* the write-up's setting (MSE, batch 10, S = 100) for every method, and the FIT S curve on W2;
* a fast setting (``fast_*``): node perturbation against autodiff on the same batches (64),
  learning-rate schedule and loss, timed on training wall time. Node perturbation perturbs one
  unit per network, every unit once (S = 110, ``directions="coordinates"``), which
  MLPObjective evaluates at about the cost of S = 10 dense noise: the per-example node
  gradient up to O(sigma), so it needs as many updates as autodiff.

Selection: 10% of the training images are a validation split; every run keeps the parameters
of its best validation evaluation (the stopping step) and scores them once on the test split,
reported with its standard error.

Claims checked:
  regression_close_to_autodiff  in the write-up's setting, the regression's test accuracy is
                                within 5 points of autodiff's;
  no_backprop_reaches_97        in the fast setting, node perturbation's test accuracy is
                                >= 97% (± one standard error shown);
  no_backprop_fast_to_95        ... and reaches 95% validation accuracy in no more than twice
                                autodiff's training time to 95%.

Source: write-up 003, "Real Application: MNIST" > "ANN" (figures "MNIST ANN", "ANN Fit S", the
training curves at 500 and 5000 samples).
"""

from __future__ import annotations

from roughgrad.experiments.base import (
    ClaimSpec,
    Experiment,
    Floor,
    counterexample,
)
from roughgrad.experiments.digits.ann.config import PROFILES, Config, fast_config
from roughgrad.experiments.digits.ann.figures import figures
from roughgrad.experiments.digits.ann.run import run

__all__ = ["CLAIMS", "EXPERIMENT", "HEALTH", "PROFILES", "Config", "fast_config", "figures", "run"]


CLAIMS = (
    ClaimSpec(
        "regression_close_to_autodiff",
        "in the write-up's setting the regression's test accuracy is within 5 points of autodiff's "
        "(both trained, rates searched; beyond two standard errors)",
        (counterexample("S = 10: the regression's estimate is too noisy (measured)", samples=10),),
    ),
    ClaimSpec(
        "no_backprop_reaches_97",
        "in the fast setting node perturbation's test accuracy is >= 97% (beyond two standard "
        "errors)",
        (
            counterexample(
                "sigma 0.3 is outside the units' linear range (measured)", fast_sigma=0.3
            ),
        ),
    ),
    ClaimSpec(
        "no_backprop_fast_to_95",
        "node perturbation reaches 95% validation accuracy in <= 2x autodiff's training time",
        (
            counterexample(
                "1000 Gaussian directions per update: each update costs 1000 network "
                "evaluations (measured)",
                fast_directions="gaussian",
                fast_samples=1000,
            ),
        ),
    ),
)


HEALTH = (
    Floor(
        "autodiff's best validation accuracy, write-up setting",
        lambda m: m["best_val_accuracy_autodiff"],
        0.8,
    ),
    Floor(
        "autodiff's best validation accuracy, fast setting",
        lambda m: m["best_val_accuracy_autodiff_fast"],
        0.9,
    ),
)


EXPERIMENT = Experiment(
    source="write-up 003, 'Real Application: MNIST' > 'ANN'",
    summary="training a sigmoid MLP on digits with no-backprop estimators against autodiff",
    config_cls=Config,
    profiles=PROFILES,
    run=run,
    figures=figures,
    doc=__doc__ or "",
    claims=CLAIMS,
    health=HEALTH,
    alone="a claim times its training",
)
