"""1-D signals with the train/test splits of seed 001 ("Extrapolation investigation").

``sine_split`` reproduces the seed's ``gen_data2``: L evenly spaced points on [start, end]; the
training set is two blocks of ``L * prop_train / 2`` points, the first starting at index L // 8
and the second L // 8 points after the first ends; everything else is the test set. With the
seed's L = 2000 on [-50, 50] the training blocks cover about [-37.5, -12.5] and [0, 25], so the
test set lies both between and beyond them. ``reverse=True`` swaps the two sets (the seed's
"interpolation" experiment).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

SIGNALS: dict[str, Callable[..., np.ndarray]] = {
    "sin": lambda x, **kw: np.sin(x),
    # seed 001, "Fitting on a Decaying Signal": a sine under a symmetric exponential envelope
    "decay": lambda x, tau=20.0, **kw: np.exp(-np.abs(x) / tau) * np.sin(x),
}


@dataclass(frozen=True)
class SignalSplit:
    """x, y on the whole grid and the indices of the training and test points."""

    x: np.ndarray
    y: np.ndarray
    train: np.ndarray
    test: np.ndarray


def split_indices(n: int, prop_train: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """The seed's ``gen_data2`` index split of n points: (train, test)."""
    if n < 16:
        raise ValueError(f"a split needs at least 16 points, got n={n}")
    if not 0.0 < prop_train < 1.0:
        raise ValueError(f"prop_train={prop_train} must lie in (0, 1)")
    half = int(n * prop_train) // 2
    first = np.arange(n // 8, n // 8 + half)
    second_start = n // 8 + half + n // 8
    second = np.arange(second_start, min(second_start + half, n))
    train = np.concatenate([first, second])
    test = np.setdiff1d(np.arange(n), train)
    if len(test) == 0:
        raise ValueError(f"prop_train={prop_train} leaves no test points for n={n}")
    return train, test


def sine_split(
    n: int = 2000,
    *,
    start: float = -50.0,
    end: float = 50.0,
    prop_train: float = 0.5,
    reverse: bool = False,
    signal: str = "sin",
    **signal_kwargs: float,
) -> SignalSplit:
    """Seed 001's data: ``signal`` sampled at n points on [start, end], split as ``gen_data2``."""
    if signal not in SIGNALS:
        raise ValueError(f"unknown signal {signal!r}; known: {', '.join(SIGNALS)}")
    if not start < end:
        raise ValueError(f"the span is empty: start={start} must be < end={end}")
    x = np.linspace(start, end, n)
    train, test = split_indices(n, prop_train)
    if reverse:
        train, test = test, train
    return SignalSplit(x, SIGNALS[signal](x, **signal_kwargs), train, test)
