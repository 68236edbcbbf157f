"""The experiment registry: name -> Experiment, imported lazily.

Adding an experiment is one module plus one line in ``roughgrad._catalog.MODULES``.
"""

from collections.abc import Iterator, Mapping

from roughgrad import _catalog
from roughgrad._catalog import MODULES
from roughgrad.experiments.base import (
    Checkpoints,
    Claim,
    ClaimSpec,
    ConfigBase,
    ConfigError,
    Context,
    Counterexample,
    Experiment,
    NumericalError,
    Outcome,
    Progress,
    counterexample,
    param,
    part,
)


class _Registry(Mapping[str, Experiment]):
    """name -> Experiment, importing an experiment's module on first access only (the command
    line lists and describes experiments from the catalog without importing any)."""

    def __getitem__(self, name: str) -> Experiment:
        if name not in MODULES:
            raise KeyError(name)
        return _catalog.load(name)

    def __iter__(self) -> Iterator[str]:
        return iter(MODULES)

    def __len__(self) -> int:
        return len(MODULES)


# In the order of the write-ups and the report; the key is each experiment's own name.
EXPERIMENTS: Mapping[str, Experiment] = _Registry()

__all__ = [
    "EXPERIMENTS",
    "Checkpoints",
    "Claim",
    "ClaimSpec",
    "ConfigBase",
    "ConfigError",
    "Context",
    "Counterexample",
    "Experiment",
    "NumericalError",
    "Outcome",
    "Progress",
    "counterexample",
    "param",
    "part",
]
