"""The digits experiments' shared config and the method -> estimator table."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar, Literal

from roughgrad.data import DataError, Split, load_dataset, with_validation
from roughgrad.data.mnist import check_mnist
from roughgrad.estimators import (
    GaussianSmoothing,
    LocalRegression,
    NodePerturbation,
    NodePerturbationThroughTime,
)
from roughgrad.experiments._contract import ConfigBase, ConfigError, Context, param
from roughgrad.objectives.distributed import import_ray

AUTODIFF = ("autodiff", "autodiff_clipped")
# no-backprop method -> (estimator class, the config field holding its sigma)
ESTIMATOR_SETTINGS = {
    "local_regression": (LocalRegression, "sigma_regression"),
    "gaussian_smoothing": (GaussianSmoothing, "sigma_smoothing"),
    "node_perturbation": (NodePerturbation, "sigma_node"),
    "node_perturbation_time": (NodePerturbationThroughTime, "sigma_node"),
}
ESTIMATOR_METHODS = tuple(ESTIMATOR_SETTINGS)


@dataclass(frozen=True)
class DigitsConfig(ConfigBase):
    """Data, model size, loss, budget and estimator settings shared by the digits experiments."""

    data: Literal["digits", "mnist"] = param(
        "digits", "data set: scikit-learn's bundled digits, or MNIST from data_dir"
    )
    data_dir: str | None = param(None, "directory of the MNIST IDX files or mnist.npz")
    max_train: int | None = param(None, "use only the first n training examples", ge=1)
    hidden: int = param(100, "hidden units (the seed: 100)", ge=1)
    loss: Literal["mse", "cross_entropy"] = param(
        "mse", "MSE against one-hot targets (the seed) or cross-entropy on ce_gain * outputs"
    )
    ce_gain: float = param(10.0, "logit scale for cross-entropy on bounded outputs", gt=0)
    methods: tuple[str, ...] = param(("autodiff",), "methods to train with")
    batch_size: int = param(10, "examples per update (the seed: 10)", ge=1)
    epochs: float = param(5.0, "passes over the training set per method", gt=0)
    lr: float = param(0.01, "Adam learning rate", gt=0, le=10)
    lr_schedule: Literal["constant", "cosine"] = param(
        "constant", "learning rate over training: constant, or cosine decay to zero"
    )
    samples: int = param(100, "S: perturbed networks per estimate (the seed: 100)", ge=2)
    sigma_regression: float = param(0.01, "local regression: perturbation std", gt=0)
    sigma_smoothing: float = param(0.01, "Gaussian smoothing: perturbation std", gt=0)
    sigma_node: float = param(0.01, "node perturbation: output-noise std", gt=0)
    node_directions: Literal["orthogonal", "coordinates", "gaussian"] = param(
        "orthogonal",
        "node perturbation: each example's noise directions (Haar-orthogonal, one random unit "
        "each, or Gaussian; see NodePerturbation)",
    )
    node_layerwise: bool = param(
        True, "node perturbation: one layer per population (the S networks shared out)"
    )
    node_samples: int | None = param(
        None, "node perturbation's S (none: samples); with coordinates a network is cheap", ge=2
    )
    clip: float = param(1.0, "autodiff_clipped: max gradient norm", gt=0)
    evaluations: int = param(
        20, "validation-accuracy evaluations over training (the test split is scored once)", ge=2
    )
    validation_fraction: float = param(
        0.1, "fraction of the training data held out for validation (stratified)", gt=0, lt=1
    )
    population_actors: int = param(
        0, "Ray actors evaluating each estimate's population in parallel (0: in this process)", ge=0
    )
    ray_address: str | None = param(None, "population_actors: a Ray cluster (none: local Ray)")

    allowed_methods: ClassVar[tuple[str, ...]] = AUTODIFF + ESTIMATOR_METHODS[:3]

    def validate(self) -> None:
        bad = [m for m in self.methods if m not in self.allowed_methods]
        if bad or not self.methods:
            raise ConfigError(
                f"methods={','.join(self.methods)!s} is not allowed: choose from "
                + ", ".join(self.allowed_methods)
            )
        if self.population_actors:
            try:
                import_ray()
            except ImportError as exc:
                raise ConfigError(f"population_actors={self.population_actors}: {exc}") from None
        if self.data == "mnist" and self.data_dir is None:
            raise ConfigError("data=mnist needs data_dir=DIR (IDX files or mnist.npz; no download)")
        if self.data == "mnist":
            try:
                check_mnist(self.data_dir)
            except DataError as exc:
                raise ConfigError(str(exc)) from None


def load_data(config: DigitsConfig, ctx: Context) -> Split:
    """The data set with a validation split carved from its training data."""
    split = load_dataset(
        config.data, config.data_dir, max_train=config.max_train, device=ctx.device
    )
    return with_validation(split, config.validation_fraction)


def estimator(method: str, config: DigitsConfig):
    """The estimator behind a no-backprop method, with the config's hyperparameters."""
    if method not in ESTIMATOR_SETTINGS:
        raise ConfigError(f"unknown method {method!r}")
    cls, sigma_field = ESTIMATOR_SETTINGS[method]
    est = cls(sigma=getattr(config, sigma_field), num_samples=config.samples)
    if isinstance(est, NodePerturbation):
        est = replace(
            est,
            num_samples=config.node_samples or config.samples,
            directions=config.node_directions,
            layerwise=config.node_layerwise,
        )
    return est
