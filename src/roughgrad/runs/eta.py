"""How long a reproduce has left: each experiment's measured time, scaled to this machine.

``timings.json`` holds each experiment's wall time at the quick and default profiles, measured
with ``roughgrad reproduce`` (and ``run``) on the 2-core machine the project targets (the
command and date are in the file). ``Eta`` scales what is left by how fast the experiments
already finished ran against their measured times, so a faster or slower machine (or one
sharing its cores) gets its own estimate after the first experiment.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path

TIMINGS = Path(__file__).with_name("timings.json")


@cache
def measured() -> dict[str, dict[str, float]]:
    """{profile: {experiment: seconds}} from ``timings.json``."""
    data = json.loads(TIMINGS.read_text())
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def expected_seconds(name: str, profile: str) -> float | None:
    """The measured wall time of ``name`` at ``profile``, or None where none was measured."""
    return measured().get(profile, {}).get(name)


class Eta:
    """The time left of a sequence of experiments at one profile.

    Example:
        >>> eta = Eta(["clock", "mollify"], "default")
        >>> eta.finished("clock", 300.0)  # ran in 300 s against its measured time
        >>> eta.describe(1)  # 'experiment 2/2: mollify, about 1 min left'
    """

    def __init__(self, names: Sequence[str], profile: str) -> None:
        self.names, self.profile = list(names), profile
        self.actual: dict[str, float] = {}

    def finished(self, name: str, seconds: float) -> None:
        self.actual[name] = seconds

    def speed(self) -> float:
        """Actual over measured seconds of the experiments finished (1 before any)."""
        pairs = [
            (s, e)
            for n, s in self.actual.items()
            if (e := expected_seconds(n, self.profile)) and s > 1.0
        ]
        total = sum(e for _, e in pairs)
        return sum(s for s, _ in pairs) / total if total > 0 else 1.0

    def remaining(self, start: int) -> float | None:
        """Seconds left from experiment ``start`` (0-based) on, or None where one of them has no
        measured time."""
        times = [expected_seconds(n, self.profile) for n in self.names[start:]]
        if any(t is None for t in times):
            return None
        return self.speed() * sum(t for t in times if t is not None)

    def left_side_by_side(self, names: Sequence[str], jobs: int) -> float | None:
        """Wall seconds left for ``names`` run ``jobs`` at a time: their measured times, scaled by
        how the finished ones ran (side by side included), shared among the jobs, and never
        less than the longest of them; None where one has no measured time."""
        times = [expected_seconds(n, self.profile) for n in names]
        if any(t is None for t in times):
            return None
        scaled = [self.speed() * t for t in times if t is not None]
        return max(sum(scaled) / jobs, max(scaled, default=0.0))

    def describe_left(self, names: Sequence[str] | int, jobs: int = 1) -> str:
        """'about 41 min left' for ``names`` (or the experiments from index ``names`` on) run
        ``jobs`` at a time; 'time left unknown' where one has no measured time."""
        if isinstance(names, int):
            names = self.names[names:]
        if not names:
            return "none left"
        left = self.left_side_by_side(names, jobs)
        return "time left unknown" if left is None else f"about {minutes(left)} left"

    def describe(self, index: int) -> str:
        """'experiment 3/23: NAME, about 41 min left' (or 'time left unknown')."""
        left = self.remaining(index)
        head = f"experiment {index + 1}/{len(self.names)}: {self.names[index]}"
        if left is None:
            return f"{head}, time left unknown (no measured time for some)"
        return f"{head}, about {minutes(left)} left"


def minutes(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds / 60))} min"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
