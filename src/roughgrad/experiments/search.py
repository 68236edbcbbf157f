"""A learning-rate search that says whether it is bracketed.

A baseline gets what the method gets: a learning rate chosen on validation from a grid. A
winner at the grid's edge says only that the best rate may lie beyond it, so the search extends
the grid by one geometric step past that edge (up to ``extend`` times); a winner still at the
edge leaves the search *not bracketed*, and a claim that rests on it is inconclusive.

Example:
    >>> s = bracketed_search((0.01, 0.1), lambda lr: (-abs(lr - 0.3), None))
    >>> s.best, s.bracketed, sorted(s.scores)  # 0.1 won at the edge: 1.0 was tried too
    (0.1, True, [0.01, 0.1, 1.0])
    >>> bracketed_search((0.01, 0.1), lambda lr: (-abs(lr - 30), None)).bracketed
    False
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_STEP = 10.0  # the geometric step past a one-point grid


@dataclass
class Search:
    """The rates tried (lr -> validation score, higher is better), the winner and its payload."""

    scores: dict[float, float]
    best: float
    payload: Any
    bracketed: bool
    payloads: dict[float, Any] = field(default_factory=dict, repr=False)

    def text(self, fmt: Callable[[float], str] = lambda v: f"{v:.3g}") -> str:
        """``lr 0.01 (from 0.001: 0.52, 0.01: 0.61, 0.1: 0.40)``, with "not bracketed" when so."""
        tried = ", ".join(f"{lr:g}: {fmt(v)}" for lr, v in sorted(self.scores.items()))
        tag = "" if self.bracketed else "; search not bracketed"
        return f"lr {self.best:g} (validation {tried}{tag})"


def _step(grid: Sequence[float]) -> float:
    """The grid's geometric step (its smallest ratio between neighbours), or DEFAULT_STEP."""
    g = sorted(grid)
    ratios = [b / a for a, b in itertools.pairwise(g) if a > 0]
    return min(ratios) if ratios else DEFAULT_STEP


def bracketed_search(
    grid: Sequence[float],
    run: Callable[[float], tuple[float, Any]],
    *,
    extend: int = 1,
    limits: tuple[float, float] = (0.0, math.inf),
) -> Search:
    """Run ``run(lr) -> (validation score, payload)`` at every rate of ``grid``; while the best
    rate sits at an edge of the rates tried, try one geometric step beyond that edge (at most
    ``extend`` steps per side, never outside ``limits``). A NaN score never wins.

    A one-point grid has both edges: it is extended on both sides (with ``extend`` >= 1) by
    DEFAULT_STEP.
    """
    if not grid:
        raise ValueError("the learning-rate grid is empty")
    step = _step(grid)
    scores: dict[float, float] = {}
    payloads: dict[float, Any] = {}

    def trial(lr: float) -> None:
        score, payload = run(lr)
        scores[lr] = float(score) if score == score else -math.inf  # NaN: never the winner
        payloads[lr] = payload

    for lr in sorted(dict.fromkeys(float(v) for v in grid)):
        trial(lr)
    added = {"low": 0, "high": 0}
    while True:  # each pass extends one side or stops
        rates = sorted(scores)
        best = max(rates, key=lambda r: scores[r])
        sides = [s for s, edge in (("low", rates[0]), ("high", rates[-1])) if best == edge]
        side = next((s for s in sides if added[s] < extend), None)
        if side is None:
            break
        added[side] += 1
        new = rates[0] / step if side == "low" else rates[-1] * step
        if limits[0] < new <= limits[1]:
            trial(new)
    rates = sorted(scores)
    best = max(rates, key=lambda r: scores[r])
    return Search(scores, best, payloads[best], rates[0] < best < rates[-1], payloads)
