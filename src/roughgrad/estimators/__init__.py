"""Gradient estimators: one per file, one interface, a registry by name.

``est(objective, params, *, generator) -> Estimate(grad, num_evals, num_grads)``. Every
estimator that perturbs calls its perturbation size ``sigma`` and its evaluation budget
``num_samples``; [`build`][roughgrad.estimators.build] makes one from its registry name and options,
so an experiment or ``roughgrad.train.fit`` takes any registered estimator by name.
"""

import dataclasses
import typing
from typing import Any

from roughgrad.config import describe_type, parse_value
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


def build(name: str, **options: Any) -> Estimator:
    """The registered estimator ``name`` with ``options``; text values are parsed by type.

    >>> build("node_perturbation", sigma="0.1", directions="coordinates").sigma
    0.1

    Raises ValueError (one line) for an unknown name or option, or a value of the wrong type.
    """
    if name not in ESTIMATORS:
        raise ValueError(f"unknown estimator {name!r}; registered: {', '.join(ESTIMATORS)}")
    cls = ESTIMATORS[name]
    hints = typing.get_type_hints(cls)
    known = options_of(name)
    parsed = {}
    for key, value in options.items():
        if key not in known:
            allowed = ", ".join(known) or "none"
            raise ValueError(f"{name} has no option {key!r}; its options: {allowed}")
        if isinstance(value, str):
            try:
                value = parse_value(value, hints[key])
            except ValueError:
                raise ValueError(
                    f"{name}.{key}={value!r}: expected {describe_type(hints[key])}"
                ) from None
        parsed[key] = value
    return cls(**parsed)


def options_of(name: str) -> list[str]:
    """The option names of the registered estimator ``name``."""
    return [f.name for f in dataclasses.fields(ESTIMATORS[name]) if f.init]  # type: ignore[arg-type]


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
    "build",
    "cosine",
    "kneighbour_slope",
    "options_of",
    "regression_slope",
    "relative_error",
    "set_grads",
]
