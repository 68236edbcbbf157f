"""The digits experiments' shared config; a method is autodiff or a registered estimator.

A no-backprop method is any key of ``roughgrad.estimators.ESTIMATORS`` whose capability the
problem's objective has. Its options come from the shared ``sigma`` and ``samples`` fields and,
per method, from ``estimator_options`` entries ``method.option=value``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from roughgrad.data import DataError, Split, load_dataset, with_validation
from roughgrad.data.classification import data_path
from roughgrad.data.mnist import check_mnist
from roughgrad.estimators import ESTIMATORS, Autodiff, Estimator, build, options_of
from roughgrad.experiments.base import ConfigBase, ConfigError, Context, param
from roughgrad.objectives import MLPObjective
from roughgrad.objectives.distributed import import_ray

AUTODIFF = ("autodiff", "autodiff_clipped", "autodiff_surrogate")
SURROGATE_ONLY = ("autodiff_surrogate",)  # methods of spiking problems only


def estimator_methods(objective_type: type) -> tuple[str, ...]:
    """The registered no-backprop estimators that can train an ``objective_type``."""
    return tuple(
        name
        for name, cls in ESTIMATORS.items()
        if name != "autodiff" and issubclass(objective_type, cls.requires)
    )


@dataclass(frozen=True)
class DigitsConfig(ConfigBase):
    """Data, model size, loss, budget and estimator settings shared by the digits experiments."""

    data: Literal["digits", "mnist", "fashion-mnist"] = param(
        "digits",
        "data set: scikit-learn's bundled 8x8 digits, MNIST from data_dir, or Fashion-MNIST "
        "(28x28; from data_dir, else /usr/share/datasets/fashion-mnist)",
    )
    data_dir: str | None = param(None, "directory of the (Fashion-)MNIST IDX files or mnist.npz")
    max_train: int | None = param(None, "use only the first n training examples", ge=1)
    hidden: int = param(100, "hidden units (the write-up: 100)", ge=1)
    loss: Literal["mse", "cross_entropy"] = param(
        "mse", "MSE against one-hot targets (the write-up) or cross-entropy on ce_gain * outputs"
    )
    ce_gain: float = param(10.0, "logit scale for cross-entropy on bounded outputs", gt=0)
    methods: tuple[str, ...] = param(("autodiff",), "methods to train with")
    batch_size: int = param(10, "examples per update (the write-up: 10)", ge=1)
    epochs: float = param(5.0, "passes over the training set per method", gt=0)
    lr: float = param(
        0.01, "Adam learning rate (setting it alone trains at it: lrs is cleared)", gt=0, le=10
    )
    lrs: tuple[float, ...] = param(
        (),
        "learning rates searched per method on the validation split (empty: lr only, not "
        "searched); a winner at the grid's edge extends it (lr_extend); the test split scores "
        "only the chosen one",
        gt=0,
        le=10,
    )
    lr_extend: int = param(
        1, "geometric steps a search may add past the edge where its winner sits", ge=0
    )
    search_epochs: float = param(
        0.0,
        "compare the searched rates after this many epochs, then train the winner for epochs "
        "(0: every rate trains for epochs)",
        ge=0,
    )
    lr_schedule: Literal["constant", "cosine"] = param(
        "constant", "learning rate over training: constant, or cosine decay to zero"
    )
    samples: int = param(100, "S: perturbed networks per estimate (the write-up: 100)", ge=2)
    sigma: float = param(0.01, "every estimator's perturbation std (sigma)", gt=0)
    estimator_options: tuple[str, ...] = param(
        (),
        "per-method estimator options overriding sigma and samples, each method.option=value "
        "(e.g. node_perturbation.directions=coordinates); the options are the estimator's "
        "fields (see roughgrad.estimators)",
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

    objective_type: ClassVar[type] = MLPObjective  # what the problems' objectives are

    @classmethod
    def allowed_methods(cls) -> tuple[str, ...]:
        plain = tuple(m for m in AUTODIFF if m not in SURROGATE_ONLY)
        return plain + estimator_methods(cls.objective_type)

    def validate(self) -> None:
        allowed = self.allowed_methods()
        bad = [m for m in self.methods if m not in allowed]
        if bad or not self.methods:
            raise ConfigError(
                f"methods={','.join(self.methods)!s} is not allowed: choose from "
                + ", ".join(allowed)
            )
        options = method_options(self.estimator_options)
        for method in dict.fromkeys([*self.methods, *options]):
            try:
                estimator(method, self)
            except ValueError as exc:
                raise ConfigError(f"estimator_options: {exc}") from None
        if self.population_actors:
            try:
                import_ray()
            except ImportError as exc:
                raise ConfigError(f"population_actors={self.population_actors}: {exc}") from None
        try:
            path = data_path(self.data, self.data_dir)
            if path is not None:
                check_mnist(path)
        except DataError as exc:
            raise ConfigError(str(exc)) from None


def load_data(config: DigitsConfig, ctx: Context) -> Split:
    """The data set with a validation split carved from its training data."""
    split = load_dataset(
        config.data, config.data_dir, max_train=config.max_train, device=ctx.device
    )
    return with_validation(split, config.validation_fraction)


def method_options(entries: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """``("node_perturbation.sigma=0.1", ...)`` -> ``{"node_perturbation": {"sigma": "0.1"}}``."""
    out: dict[str, dict[str, str]] = {}
    for entry in entries:
        target, sep, value = entry.partition("=")
        method, dot, option = target.strip().partition(".")
        if not (sep and dot and method and option):
            raise ConfigError(
                f"estimator_options entry {entry!r} must be method.option=value, "
                "e.g. node_perturbation.sigma=0.1"
            )
        if method not in ESTIMATORS or method == "autodiff":
            raise ConfigError(
                f"estimator_options entry {entry!r}: unknown method {method!r}; registered: "
                + ", ".join(m for m in ESTIMATORS if m != "autodiff")
            )
        out.setdefault(method, {})[option] = value.strip()
    return out


def estimator(method: str, config: DigitsConfig, **overrides: Any) -> Estimator:
    """The estimator behind ``method``: the shared sigma and samples, then the method's
    ``estimator_options``, then ``overrides``. Autodiff methods get
    [`Autodiff`][roughgrad.estimators.autodiff.Autodiff]."""
    if method in AUTODIFF:
        return Autodiff()
    shared = {"sigma": config.sigma, "num_samples": config.samples}
    options: dict[str, Any] = {k: v for k, v in shared.items() if k in options_of(method)}
    options.update(method_options(config.estimator_options).get(method, {}))
    return build(method, **{**options, **overrides})
