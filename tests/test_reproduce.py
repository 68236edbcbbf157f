"""reproduce schedules the machine: side by side in worker processes, the numbers unchanged."""

from __future__ import annotations

import pytest

from roughgrad.config import ConfigError
from roughgrad.experiments import Context
from roughgrad.runs.reproduce import expected_or_first, plan, reproduce
from roughgrad.runtime import Progress

TIMED = {"run_seconds", "cpu_seconds"}


def _numbers(record) -> dict:
    return {k: v for k, v in record.metrics.items() if k not in TIMED and "seconds" not in k}


def test_side_by_side_runs_give_the_numbers_of_one_after_another(tmp_path):
    names = ["mc-vs-quadrature", "sin-gradient-field", "hh-descent-1d"]  # the last runs alone
    planned = plan(names, "quick", {})
    ctx = Context(progress=Progress())
    alone = reproduce(planned, profile="quick", ctx=ctx, root=tmp_path / "a", jobs=1)
    side = reproduce(planned, profile="quick", ctx=ctx, root=tmp_path / "b", jobs=2)
    assert [r.experiment for r in side] == names  # in the order asked, whatever ran first
    for a, b in zip(alone, side, strict=True):
        assert _numbers(a) == _numbers(b), a.experiment
        assert a.claims == b.claims or a.experiment == "sin-gradient-field"
    assert {r.run_dir.parent.parent for r in side} == {tmp_path / "b"}


def test_resume_keeps_finished_side_by_side_runs(tmp_path):
    planned = plan(["mc-vs-quadrature", "sin-gradient-field"], "quick", {})
    ctx = Context(progress=Progress())
    first = reproduce(planned, profile="quick", ctx=ctx, root=tmp_path, jobs=2)
    again = reproduce(planned, profile="quick", ctx=ctx, root=tmp_path, jobs=2, resume=True)
    assert [r.run_dir for r in again] == [r.run_dir for r in first]


def test_plan_refuses_unknown_names_and_keys_before_running():
    with pytest.raises(ConfigError, match="no selected experiment has this key"):
        plan(["mc-vs-quadrature"], "quick", {"hidden": "3"})
    with pytest.raises(ConfigError):
        plan(["no-such-experiment"], "quick", {})
    with pytest.raises(ConfigError, match="jobs=0"):
        reproduce(plan(["mc-vs-quadrature"], "quick", {}), profile="quick",
                  ctx=Context(), root=".", jobs=0)  # fmt: skip


def test_longest_first_puts_unmeasured_first_and_a_zero_second_one_last():
    names = ["mc-vs-quadrature", "snake-extrapolation", "not-measured", "clock"]
    order = sorted(names, key=lambda n: -expected_or_first(n, "default"))
    assert order == ["not-measured", "snake-extrapolation", "clock", "mc-vs-quadrature"]
