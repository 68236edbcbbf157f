"""The bracketed learning-rate search: a winner at an edge of the rates tried extends the grid;
a winner still at an edge leaves the search not bracketed."""

from __future__ import annotations

import math

from roughgrad.experiments.search import bracketed_search


def peaked(best: float):
    """A validation score that peaks at ``best`` (log scale), recording the rates tried."""
    tried: list[float] = []

    def run(lr: float) -> tuple[float, float]:
        tried.append(lr)
        return -abs(math.log10(lr / best)), lr

    return run, tried


def test_a_winner_inside_the_grid_is_bracketed_without_extending():
    run, tried = peaked(0.01)
    s = bracketed_search((0.001, 0.01, 0.1), run)
    assert (s.best, s.bracketed, s.payload) == (0.01, True, 0.01)
    assert sorted(tried) == [0.001, 0.01, 0.1]


def test_a_winner_at_an_edge_extends_the_grid_one_step():
    run, tried = peaked(0.1)
    s = bracketed_search((0.001, 0.01), run)  # 0.01 wins at the top: 0.1 is tried
    assert tried[-1] == 0.1 and s.best == 0.1 and not s.bracketed  # 0.1 wins, again at the edge
    run, tried = peaked(0.1)
    s = bracketed_search((0.001, 0.01), run, extend=2)
    assert s.best == 0.1 and s.bracketed and max(tried) == 1.0
    run, tried = peaked(1e-4)
    s = bracketed_search((0.001, 0.01, 0.1), run)
    assert min(tried) == 1e-4 and s.best == 1e-4 and not s.bracketed


def test_a_one_point_grid_is_extended_on_both_sides():
    run, tried = peaked(0.01)
    s = bracketed_search((0.01,), run)
    assert sorted(tried) == [0.001, 0.01, 0.1] and s.bracketed


def test_nan_never_wins_and_limits_are_respected():
    def run(lr: float) -> tuple[float, None]:
        return (float("nan") if lr > 0.05 else lr), None

    s = bracketed_search((0.01, 0.1), run, limits=(0.0, 0.2))
    assert s.best == 0.01  # 0.1 diverged (NaN); 0.001 is tried below and loses
    assert s.scores[0.1] == -math.inf and 0.001 in s.scores and s.bracketed
    s = bracketed_search((1.0, 10.0), lambda lr: (lr, None), limits=(0.0, 10.0))
    assert max(s.scores) == 10.0 and not s.bracketed  # 100 lies outside the limits
    assert "search not bracketed" in s.text()
