"""Config overrides: parsed by type, range-checked, unknown keys refused with the known ones."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import pytest

from roughgrad.experiments.base import (
    ConfigBase,
    ConfigError,
    apply_overrides,
    param,
    parse_set_options,
)


@dataclass(frozen=True)
class Demo(ConfigBase):
    n: int = param(3, "a count", ge=1)
    lr: float = param(0.1, "a rate", gt=0)
    flag: bool = param(False, "a switch")
    mode: Literal["a", "b"] = param("a", "a choice")
    widths: tuple[int, ...] = param((4, 5), "a list", ge=1)
    limit: float | None = param(None, "optional")
    span: tuple[float, ...] = param((0.0, 1.0), "an interval", interval=True)


def test_values_parse_by_type():
    c = apply_overrides(
        Demo(),
        parse_set_options(["n=7", "lr=1e-3", "flag=true", "mode=b", "widths=1,2,3", "limit=2.5"]),
    )
    assert (c.n, c.lr, c.flag, c.mode, c.widths, c.limit) == (7, 1e-3, True, "b", (1, 2, 3), 2.5)
    assert apply_overrides(c, {"limit": "none"}).limit is None
    assert c.to_dict()["widths"] == [1, 2, 3]


@pytest.mark.parametrize(
    ("item", "fragment"),
    [
        (
            "nope=1",
            "unknown config key 'nope'; known: flag, limit, lr, mode, n, seed, span, widths",
        ),
        ("n=2.5", "bad value for n: '2.5'; expected an integer"),
        ("n=0", "n=0 is out of range: it must be >= 1"),
        ("lr=-1", "lr=-1.0 is out of range: it must be > 0"),
        ("lr=nan", "bad value for lr"),
        ("flag=maybe", "expected true or false"),
        ("mode=c", "expected one of 'a', 'b'"),
        ("widths=1,0", "out of range"),
        ("seed=-1", "seed=-1 is out of range"),
        ("span=2,1", "must be two numbers lo,hi with lo < hi"),
        ("span=1", "must be two numbers lo,hi with lo < hi"),
    ],
)
def test_bad_overrides_are_one_line_errors(item, fragment):
    with pytest.raises(ConfigError) as info:
        apply_overrides(Demo(), parse_set_options([item]))
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_set_needs_key_value():
    with pytest.raises(ConfigError, match="key=value"):
        parse_set_options(["justakey"])


def test_the_curriculum_schedule_comes_from_the_prior_range_and_budget_never_from_f_star():
    from roughgrad.experiments import EXPERIMENTS

    exp = EXPERIMENTS["sin-frequency"]
    base = exp.config("default")
    start, every = base.curriculum()
    assert start == 1 / base.max_freq  # f x < 1 rad over the whole prior range at the start
    stages = math.ceil(math.log(base.x_range / start) / math.log(base.curriculum_growth))
    assert every == base.steps // 2 // stages  # the full range at half the budget
    assert exp.config("default", {"target_freq": "700"}).curriculum() == (start, every)
    assert exp.config("default", {"max_freq": "5000"}).curriculum()[0] == 1 / 5000
    assert exp.config("default", {"curriculum_start": "0.01"}).curriculum()[0] == 0.01


def test_set_text_is_what_set_parses_back():
    from roughgrad.config import parse_value, set_text

    cases = [
        (0.004, float),
        (True, bool),
        (None, int | None),
        ((0.003, 0.03), tuple[float, ...]),
        ("membrane", Literal["voltage", "membrane"]),
        (1000, int),
    ]
    for value, tp in cases:
        assert parse_value(set_text(value), tp) == value, (value, set_text(value))
    assert set_text([1e-5, 2.5]) == "1e-05,2.5"
