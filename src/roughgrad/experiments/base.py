"""The experiment contract: profiles, claims, outcomes, the run context and the registry entry.

An experiment is one module holding

* a docstring: the question, the claim(s) checked, and the write-up and section it reproduces;
* ``Config``: a frozen dataclass subclassing [`ConfigBase`][roughgrad.config.ConfigBase] whose
  defaults are the write-up's settings; fields are declared with [`param`][roughgrad.config.param]
  so that ``--set key=value`` overrides are parsed, type-checked and range-checked in one place;
* ``PROFILES``: overrides for the named profiles ``quick`` (seconds; tests), ``default`` (the
  main job; minutes) and ``full`` (the write-up's exact budget);
* ``CLAIMS``: a [`ClaimSpec`][roughgrad.experiments.claims.ClaimSpec] per claim, each with at least
  one counterexample;
* ``run(config, ctx) -> Outcome``: computes metrics, claims and the arrays that figures need;
* ``figures(outcome, config) -> dict[str, Figure]``: plotting, kept apart from computing;
* ``EXPERIMENT = Experiment(...)``, registered in ``roughgrad.experiments`` under its name.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from roughgrad._catalog import SOURCES
from roughgrad.config import (  # re-exported: one import for experiment modules
    ConfigBase,
    ConfigError,
    apply_overrides,
    field_help,
    param,
    parse_set_options,
)
from roughgrad.experiments.claims import (  # re-exported: one import for experiment modules
    CLAIM_STATUSES,
    Claim,
    ClaimSpec,
    Counterexample,
    Floor,
    Margin,
    at_least,
    at_most,
    binomial_se,
    claim_evidence,
    claim_status,
    counterexample,
    difference_se,
    seeds_se,
    trained_or_reason,
    within,
)
from roughgrad.runtime import Checkpoints, NumericalError, Progress, StopRun

__all__ = [
    "CLAIM_STATUSES",
    "PROFILE_NAMES",
    "WRITE_UPS",
    "Checkpoints",
    "Claim",
    "ClaimSpec",
    "ConfigBase",
    "ConfigError",
    "Context",
    "Counterexample",
    "Experiment",
    "Floor",
    "Margin",
    "NumericalError",
    "Outcome",
    "Progress",
    "apply_overrides",
    "at_least",
    "at_most",
    "binomial_se",
    "claim_evidence",
    "claim_status",
    "counterexample",
    "difference_se",
    "field_help",
    "param",
    "parse_set_options",
    "part",
    "seeds_se",
    "trained_or_reason",
    "within",
]

PROFILE_NAMES = ("quick", "default", "full")
# A rate a user sets (``--set lr=0.05``) trains at that rate: it clears the grid the profile
# searches (``lrs``), unless the user sets the grid too.
SEARCHED_BY = {"lr": "lrs", "fast_lr": "fast_lrs"}

# The four write-ups the experiments come from, by key: "title (topic)".
WRITE_UPS = {key: f"{title} ({topic})" for key, (title, topic) in SOURCES.items()}


@dataclass
class Outcome:
    """What ``run`` returns: scalar/list metrics, claims, and arrays for the figures.

    ``errors`` lists the parts of the run that failed (one line each, see
    [`part`][roughgrad.experiments.base.part]): the runner still writes everything else, then marks
    the run failed.
    """

    metrics: dict[str, Any]
    claims: list[Claim]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@contextlib.contextmanager
def part(name: str, errors: list[str], log: Callable[[str], None] = print) -> Iterator[None]:
    """Run one model's part of an experiment; an exception there ends only that part.

    The exception is recorded in ``errors`` as one line (``name: Type: message``) and logged,
    so the other models' results survive; the caller checks what the part produced.
    Interrupts (KeyboardInterrupt, a checkpointed stop: ``StopRun``) still propagate.

    Example:
        >>> errors = []
        >>> with part("snake", errors, log=lambda m: None):
        ...     raise ValueError("diverged")
        >>> errors
        ['snake: ValueError: diverged']
    """
    try:
        yield
    except StopRun:
        raise
    except Exception as exc:
        errors.append(f"{name}: {type(exc).__name__}: {exc}")
        log(f"error in {name}: {type(exc).__name__}: {exc} (the run continues without it)")


@dataclass
class Context:
    """What a run gets besides its config: device, progress reporting and checkpoints."""

    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    progress: Progress = field(default_factory=Progress)
    checkpoints: Checkpoints = field(default_factory=Checkpoints)

    def generator(self, seed: int, device: torch.device | None = None) -> torch.Generator:
        """A torch.Generator on ``device`` (default: the run's device) seeded with ``seed``."""
        g = torch.Generator(device=device or self.device)
        g.manual_seed(int(seed))
        return g


@dataclass(frozen=True)
class Experiment:
    """A registered experiment: its module's config, profiles, run and figures. Its ``name`` is
    its key in the registry (``roughgrad._catalog.MODULES``), set when the registry loads it;
    modules do not write it."""

    source: str
    summary: str
    config_cls: type[ConfigBase]
    profiles: Mapping[str, Mapping[str, Any]]
    run: Callable[[Any, Context], Outcome]
    figures: Callable[[Outcome, Any], dict[str, Any]]
    doc: str = ""
    claims: tuple[ClaimSpec, ...] = ()
    # what a healthy run reaches (training reaches its usual accuracy, the neuron fires): a
    # counterexample must be healthy, and a run that is not says so in its report
    health: tuple[Floor, ...] = ()
    # optional: (config, ctx) -> (objective, params), the problem at a representative point,
    # for `roughgrad landscape NAME`
    objective: Callable[[Any, Context], tuple[Any, dict[str, torch.Tensor]]] | None = None
    # why `reproduce` must run it alone on every core ("" : it may run side by side on one
    # core, its numbers unchanged): it times itself, uses every core, or starts processes
    alone: str = ""
    name: str = ""

    @property
    def write_up(self) -> str:
        """The write-up this experiment reproduces ("000" ... "003"), from ``source``."""
        return self.source.removeprefix("write-up ")[:3]

    def __post_init__(self) -> None:
        if self.write_up not in WRITE_UPS:
            raise TypeError(
                f"experiment {self.name or self.summary!r}: source {self.source!r} must start "
                f"with 'write-up NNN', one of {', '.join(WRITE_UPS)}"
            )
        missing = [p for p in PROFILE_NAMES if p not in self.profiles]
        if missing:
            raise TypeError(f"experiment {self.name or self.summary!r} lacks profiles {missing}")
        names = [c.name for c in self.claims]
        if len(set(names)) != len(names):
            raise TypeError(
                f"experiment {self.name or self.summary!r} declares a claim twice: {names}"
            )

    def complete_claims(self, claims: Iterable[Claim]) -> list[Claim]:
        """``claims`` in declaration order, every declared claim present: one the run did not
        compute is reported as not checked. A claim the experiment does not declare is a bug."""
        got = {c.name: c for c in claims}
        declared = [c.name for c in self.claims]
        extra = [n for n in got if n not in declared]
        if extra:
            raise TypeError(f"experiment {self.name} reports undeclared claims {extra}")
        return [
            got.get(n) or Claim.not_checked(n, "this run's config does not compute it")
            for n in declared
        ]

    def check_health(self, metrics: Mapping[str, Any]) -> list[tuple[bool, str]]:
        """Each floor of ``health`` as (met, "what = value (floor f)")."""
        return [floor.check(metrics) for floor in self.health]

    def config(self, profile: str = "default", overrides: Mapping[str, Any] | None = None) -> Any:
        """The resolved config: defaults, then the profile's overrides, then the user's."""
        if profile not in self.profiles:
            raise ConfigError(f"unknown profile {profile!r}; known: {', '.join(PROFILE_NAMES)}")
        base = apply_overrides(self.config_cls(), dict(self.profiles[profile]))
        user = dict(overrides or {})
        known = {f.name for f in dataclasses.fields(base)}
        for one, grid in SEARCHED_BY.items():
            # The user's explicit rate is the rate: it replaces the profile's search.
            if one in user and grid not in user and grid in known:
                user[grid] = ()
        return apply_overrides(base, user)
