"""Gradient estimators: one per file, one interface, a registry by name.

``est(objective, params, *, generator) -> Estimate(grad, num_evals, num_grads)``.
"""

from roughgrad.estimators.autodiff import Autodiff
from roughgrad.estimators.base import Estimate, Estimator, cosine, relative_error, set_grads
from roughgrad.estimators.finite_difference import FiniteDifference
from roughgrad.estimators.gaussian_smoothing import GaussianSmoothing
from roughgrad.estimators.local_regression import (
    LocalRegression,
    kneighbour_slope,
    regression_slope,
)
from roughgrad.estimators.mollified import Mollified
from roughgrad.estimators.node_perturbation import NodePerturbation
from roughgrad.estimators.node_perturbation_time import NodePerturbationThroughTime

ESTIMATORS: dict[str, type[Estimator]] = {
    "autodiff": Autodiff,
    "finite_difference": FiniteDifference,
    "local_regression": LocalRegression,
    "gaussian_smoothing": GaussianSmoothing,
    "node_perturbation": NodePerturbation,
    "node_perturbation_time": NodePerturbationThroughTime,
    "mollified": Mollified,
}

__all__ = [
    "ESTIMATORS",
    "Autodiff",
    "Estimate",
    "Estimator",
    "FiniteDifference",
    "GaussianSmoothing",
    "LocalRegression",
    "Mollified",
    "NodePerturbation",
    "NodePerturbationThroughTime",
    "cosine",
    "kneighbour_slope",
    "regression_slope",
    "relative_error",
    "set_grads",
]
