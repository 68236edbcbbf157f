"""Typed configs: frozen dataclasses whose fields carry help, bounds and a parser.

A config class subclasses [`ConfigBase`][roughgrad.config.ConfigBase] and declares its fields with
[`param`][roughgrad.config.param], so that overrides given as text (``--set key=value`` on the
command line, ``"node_perturbation.sigma=0.1"`` in an option list) are parsed by the field's type,
range-checked, and refused with a one-line message naming what is allowed. The experiments' configs
and the estimators' options use it.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from roughgrad._names import unknown_name


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


def set_text(value: Any) -> str:
    """A config value written as ``--set key=value`` takes it (the inverse of parse_value):
    lists comma-separated, None as none, booleans as true/false, floats as %g."""
    if isinstance(value, list | tuple):
        return ",".join(set_text(v) for v in value)
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else str(value)


def describe_type(tp: Any) -> str:
    if typing.get_origin(tp) is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if typing.get_origin(tp) is tuple:
        return "a comma-separated list of " + describe_type(typing.get_args(tp)[0])
    if _is_optional(tp):
        return describe_type(_optional_inner(tp)) + " or 'none'"
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(
        tp, str(tp)
    )


def _is_optional(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in (
        typing.get_args(tp)
    )


def _optional_inner(tp: Any) -> Any:
    return next(a for a in typing.get_args(tp) if a is not type(None))


def parse_value(text: str, tp: Any) -> Any:
    """Parse ``text`` as type ``tp``; raise ValueError on failure."""
    if _is_optional(tp):
        return (
            None
            if text.strip().lower() in ("none", "null", "")
            else parse_value(text, _optional_inner(tp))
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
        return tuple(parse_value(p.strip(), inner) for p in text.split(",") if p.strip())
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
        raise ConfigError(f"{f.name}={value!r} is not allowed: it must be {describe_type(tp)}")


def field_help(config_cls: type[ConfigBase]) -> list[tuple[str, str, Any, str]]:
    """(name, type description, default, help) for every field of a config class."""
    hints = typing.get_type_hints(config_cls)
    return [
        (f.name, describe_type(hints[f.name]), _jsonable(f.default), f.metadata.get("help", ""))
        for f in dataclasses.fields(config_cls)
    ]


def apply_overrides(config: ConfigBase, overrides: Mapping[str, str | Any]) -> ConfigBase:
    """Return ``config`` with ``overrides`` applied; strings are parsed by the field's type."""
    hints = typing.get_type_hints(type(config))
    known = {f.name for f in dataclasses.fields(config)}
    changes: dict[str, Any] = {}
    for key, raw in overrides.items():
        if key not in known:
            raise ConfigError(unknown_name("config key", key, sorted(known)))
        if isinstance(raw, str):
            try:
                changes[key] = parse_value(raw, hints[key])
            except ValueError:
                raise ConfigError(
                    f"bad value for {key}: {raw!r}; expected {describe_type(hints[key])}"
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
