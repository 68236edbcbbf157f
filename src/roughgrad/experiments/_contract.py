"""The experiment contract: configs, profiles, claims, outcomes and the run context.

An experiment is one module holding

* a docstring: the question, the claim(s) checked, and the seed write-up and section it reproduces;
* ``Config``: a frozen dataclass subclassing :class:`ConfigBase` whose defaults are the seed's
  settings; fields are declared with :func:`param` so that ``--set key=value`` overrides are
  parsed, type-checked and range-checked in one place;
* ``PROFILES``: overrides for the named profiles ``quick`` (seconds; tests), ``default`` (the
  main job; minutes) and ``full`` (the seed's exact budget);
* ``run(config, ctx) -> Outcome``: computes metrics, claims and the arrays that figures need;
* ``figures(outcome, config) -> dict[str, Figure]``: plotting, kept apart from computing;
* ``EXPERIMENT = Experiment(...)``, registered in :mod:`roughgrad.experiments`.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch

PROFILE_NAMES = ("quick", "default", "full")


class ConfigError(ValueError):
    """A config override or value that is not allowed; its message is one line for the user."""


def param(
    default: Any,
    help: str,
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    interval: bool = False,
) -> Any:
    """A config field with a help text and optional numeric bounds (checked on every element).

    ``interval=True`` marks a (lo, hi) pair: exactly two numbers with lo < hi.
    """
    meta = {"help": help, "ge": ge, "gt": gt, "le": le, "lt": lt, "interval": interval}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class ConfigBase:
    """Fields every experiment has. Subclasses are frozen dataclasses whose fields use param()."""

    seed: int = param(0, "seed of every random generator in the run", ge=0)

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            _check_value(f, hints[f.name], getattr(self, f.name))
        self.validate()

    def validate(self) -> None:
        """Cross-field checks; raise ConfigError with a one-line message."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def _describe(tp: Any) -> str:
    if typing.get_origin(tp) is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if typing.get_origin(tp) is tuple:
        return "a comma-separated list of " + _describe(typing.get_args(tp)[0])
    if _is_optional(tp):
        return _describe(_optional_inner(tp)) + " or 'none'"
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(
        tp, str(tp)
    )


def _is_optional(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in (
        typing.get_args(tp)
    )


def _optional_inner(tp: Any) -> Any:
    return next(a for a in typing.get_args(tp) if a is not type(None))


def _parse(text: str, tp: Any) -> Any:
    """Parse ``text`` as type ``tp``; raise ValueError on failure."""
    if _is_optional(tp):
        return (
            None
            if text.strip().lower() in ("none", "null", "")
            else _parse(text, _optional_inner(tp))
        )
    origin = typing.get_origin(tp)
    if origin is Literal:
        choices = typing.get_args(tp)
        for c in choices:
            if text == str(c):
                return c
        raise ValueError(text)
    if origin is tuple:
        inner = typing.get_args(tp)[0]
        return tuple(_parse(p.strip(), inner) for p in text.split(",") if p.strip())
    if tp is bool:
        low = text.strip().lower()
        if low in ("true", "1", "yes", "on"):
            return True
        if low in ("false", "0", "no", "off"):
            return False
        raise ValueError(text)
    if tp is int:
        value = float(text)
        if not value.is_integer():
            raise ValueError(text)
        return int(value)
    if tp is float:
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(text)
        return value
    if tp is str:
        return text
    raise ValueError(f"unsupported type {tp}")


def _check_value(f: dataclasses.Field, tp: Any, value: Any) -> None:
    meta = f.metadata
    if meta.get("interval") and (len(value) != 2 or not value[0] < value[1]):
        raise ConfigError(f"{f.name}={value!r} must be two numbers lo,hi with lo < hi")
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            continue
        bounds = [
            ("ge", lambda x, b: x >= b, ">="),
            ("gt", lambda x, b: x > b, ">"),
            ("le", lambda x, b: x <= b, "<="),
            ("lt", lambda x, b: x < b, "<"),
        ]
        for key, ok, sym in bounds:
            bound = meta.get(key)
            if bound is not None and not ok(v, bound):
                raise ConfigError(f"{f.name}={value!r} is out of range: it must be {sym} {bound}")
    if typing.get_origin(tp) is Literal and value not in typing.get_args(tp):
        raise ConfigError(f"{f.name}={value!r} is not allowed: it must be {_describe(tp)}")


def field_help(config_cls: type[ConfigBase]) -> list[tuple[str, str, Any, str]]:
    """(name, type description, default, help) for every field of a config class."""
    hints = typing.get_type_hints(config_cls)
    return [
        (f.name, _describe(hints[f.name]), _jsonable(f.default), f.metadata.get("help", ""))
        for f in dataclasses.fields(config_cls)
    ]


def apply_overrides(config: ConfigBase, overrides: Mapping[str, str | Any]) -> ConfigBase:
    """Return ``config`` with ``overrides`` applied; strings are parsed by the field's type."""
    hints = typing.get_type_hints(type(config))
    known = {f.name for f in dataclasses.fields(config)}
    changes: dict[str, Any] = {}
    for key, raw in overrides.items():
        if key not in known:
            raise ConfigError(f"unknown config key {key!r}; known keys: {', '.join(sorted(known))}")
        if isinstance(raw, str):
            try:
                changes[key] = _parse(raw, hints[key])
            except ValueError:
                raise ConfigError(
                    f"bad value for {key}: {raw!r}; expected {_describe(hints[key])}"
                ) from None
        else:
            changes[key] = tuple(raw) if isinstance(raw, list) else raw
    return dataclasses.replace(config, **changes)


def parse_set_options(items: Iterable[str]) -> dict[str, str]:
    """Turn ``["a=1", "b=x"]`` into ``{"a": "1", "b": "x"}``; a malformed item is a ConfigError."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set takes key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


CLAIM_STATUSES = ("holds", "does not hold", "not checked")


@dataclass(frozen=True)
class Claim:
    """A named statement the experiment checked: whether it holds, and the measured evidence.

    ``holds`` is ``None`` when the run could not check it (a model not selected, too few seeds);
    ``evidence`` then gives the reason. Build those with :meth:`not_checked`.
    """

    name: str
    holds: bool | None
    evidence: str

    @classmethod
    def not_checked(cls, name: str, reason: str) -> Claim:
        return cls(name, None, f"not checked: {reason}")

    @property
    def status(self) -> str:
        """ "holds", "does not hold" or "not checked"."""
        return "not checked" if self.holds is None else "holds" if self.holds else "does not hold"

    def to_dict(self) -> dict[str, Any]:
        holds = None if self.holds is None else bool(self.holds)
        return {"name": self.name, "holds": holds, "status": self.status, "evidence": self.evidence}


def claim_status(claim: Mapping[str, Any]) -> str:
    """The status of a claim read back from claims.json (older files lack "status")."""
    if "status" in claim:
        return str(claim["status"])
    return (
        "not checked"
        if claim.get("holds") is None
        else "holds"
        if claim["holds"]
        else ("does not hold")
    )


@dataclass(frozen=True)
class Counterexample:
    """A setting under which a claim must report "does not hold": overrides applied on top of the
    quick profile, and why the claim fails there. The registry test runs every one."""

    overrides: Mapping[str, Any]
    why: str


@dataclass(frozen=True)
class ClaimSpec:
    """What an experiment declares about one claim: its name, what it checks, and at least one
    counterexample. A statement without a counterexample cannot fail: it is a unit test, not a
    claim, and the registry refuses it."""

    name: str
    checks: str
    counterexamples: tuple[Counterexample, ...]

    def __post_init__(self) -> None:
        if not self.counterexamples:
            raise TypeError(f"claim {self.name} has no counterexample: make it a unit test")


def counterexample(why: str, **overrides: Any) -> Counterexample:
    """``counterexample("why it fails", key=value, ...)``: a Counterexample in one call."""
    return Counterexample(overrides, why)


@dataclass
class Outcome:
    """What ``run`` returns: scalar/list metrics, claims, and arrays for the figures."""

    metrics: dict[str, Any]
    claims: list[Claim]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


class Progress:
    """Progress reporting handed to experiments; the CLI supplies a rich-backed subclass."""

    def track(
        self, iterable: Iterable[Any], total: int | None = None, description: str = ""
    ) -> Iterator[Any]:
        yield from iterable

    def log(self, message: str) -> None:
        print(message, file=sys.stderr)


class NumericalError(ArithmeticError):
    """A run's numbers blew up (NaN or infinite); the message names the step, the quantity and a
    remedy, in one line."""


class Checkpoints:
    """Where long loops keep their state, so that a killed or interrupted run can resume.

    A loop calls ``restore(key)`` once before it starts (``None``: start from scratch, else the
    state it saved last) and ``save(key, step, state)`` after every step, with ``state`` a
    function building the snapshot (tensors, numbers, strings, lists and dicts of them), so
    that snapshots are only built when one is written. The implementation decides when to
    write: the runner's (:mod:`roughgrad.runs.checkpoint`) writes every N steps, every M
    seconds, at the end of the loop (``final=True``) and when the user presses Ctrl-C. This
    base class keeps nothing, so the library and tests run unchanged without a run directory.

        >>> state = ctx.checkpoints.restore("train")  # doctest: +SKIP
        >>> for k in range(0 if state is None else state["next"], n):  # doctest: +SKIP
        ...     step(k); ctx.checkpoints.save("train", k + 1, lambda: {"next": k + 1, ...})
    """

    def restore(self, key: str) -> dict[str, Any] | None:
        return None

    def save(
        self, key: str, step: int, state: Callable[[], dict[str, Any]], *, final: bool = False
    ) -> None:
        return None


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
    """A registered experiment: its module's config, profiles, run and figures."""

    name: str
    source: str
    summary: str
    config_cls: type[ConfigBase]
    profiles: Mapping[str, Mapping[str, Any]]
    run: Callable[[Any, Context], Outcome]
    figures: Callable[[Outcome, Any], dict[str, Any]]
    doc: str = ""
    claims: tuple[ClaimSpec, ...] = ()
    # optional: (config, ctx) -> (objective, params), the problem at a representative point,
    # for `roughgrad landscape NAME`
    objective: Callable[[Any, Context], tuple[Any, dict[str, torch.Tensor]]] | None = None

    def __post_init__(self) -> None:
        missing = [p for p in PROFILE_NAMES if p not in self.profiles]
        if missing:
            raise TypeError(f"experiment {self.name} lacks profiles {missing}")
        names = [c.name for c in self.claims]
        if len(set(names)) != len(names):
            raise TypeError(f"experiment {self.name} declares a claim twice: {names}")

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

    def config(self, profile: str = "default", overrides: Mapping[str, Any] | None = None) -> Any:
        """The resolved config: defaults, then the profile's overrides, then the user's."""
        if profile not in self.profiles:
            raise ConfigError(f"unknown profile {profile!r}; known: {', '.join(PROFILE_NAMES)}")
        base = apply_overrides(self.config_cls(), dict(self.profiles[profile]))
        return apply_overrides(base, overrides or {})
