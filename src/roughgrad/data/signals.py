"""1-D signals with the train/test splits of write-up 001 ("Extrapolation investigation").

``sine_split`` reproduces the write-up's ``gen_data2``: L evenly spaced points on [start, end]; the
training set is two blocks of ``L * prop_train / 2`` points, the first starting at index L // 8
and the second L // 8 points after the first ends; everything else is the test set. With the
seed's L = 2000 on [-50, 50] the training blocks cover about [-37.5, -12.5] and [0, 25], so the
test set lies both between and beyond them. ``reverse=True`` swaps the two sets (the write-up's
"interpolation" experiment).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def _sawtooth(x: np.ndarray, **kw: float) -> np.ndarray:
    """A sawtooth of period 2 pi rising from -1 to 1, discontinuous at x = 0 mod 2 pi."""
    return 2.0 * np.mod(x / (2 * np.pi), 1.0) - 1.0


SIGNALS: dict[str, Callable[..., np.ndarray]] = {
    "sin": lambda x, **kw: np.sin(x),
    # write-up 001, "Fitting on a Decaying Signal": a sine under a symmetric exponential envelope
    "decay": lambda x, tau=20.0, **kw: np.exp(-np.abs(x) / tau) * np.sin(x),
    # write-up 001's commented-out target in gen_data2
    "mixture": lambda x, **kw: np.sin(x) + np.sin(x / 3) + np.sin(3 * x),
    "sawtooth": _sawtooth,
    # noise is added by sine_split (the noise-free sin(x) stays the truth held-out MSE uses)
    "noisy": lambda x, **kw: np.sin(x),
    "quasiperiodic": lambda x, **kw: np.sin(x) + 0.5 * np.sin(np.sqrt(2.0) * x),
}
NOISY = ("noisy",)  # signals whose training values carry Gaussian noise


@dataclass(frozen=True)
class SignalSplit:
    """x, y on the whole grid and the indices of the training and test points.

    ``truth`` is the noise-free signal (``y`` itself unless noise was added): held-out error is
    measured against it, training uses ``y``.
    """

    x: np.ndarray
    y: np.ndarray
    train: np.ndarray
    test: np.ndarray
    truth: np.ndarray | None = None

    @property
    def target(self) -> np.ndarray:
        """The values held-out error is measured against (``truth``, else ``y``)."""
        return self.y if self.truth is None else self.truth


def split_indices(n: int, prop_train: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """The write-up's ``gen_data2`` index split of n points: (train, test)."""
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
    noise: float = 0.3,
    seed: int = 0,
    **signal_kwargs: float,
) -> SignalSplit:
    """Write-up 001's data: ``signal`` sampled at n points on [start, end], split as ``gen_data2``.

    For the ``noisy`` signal, y carries N(0, noise^2) noise (drawn from ``seed``) and ``truth``
    holds the noise-free values; other signals ignore ``noise`` and ``seed``.
    """
    if signal not in SIGNALS:
        raise ValueError(f"unknown signal {signal!r}; known: {', '.join(SIGNALS)}")
    if not start < end:
        raise ValueError(f"the span is empty: start={start} must be < end={end}")
    x = np.linspace(start, end, n)
    train, test = split_indices(n, prop_train)
    if reverse:
        train, test = test, train
    y = SIGNALS[signal](x, **signal_kwargs)
    if signal in NOISY:
        noisy = y + noise * np.random.default_rng(seed).standard_normal(n)
        return SignalSplit(x, noisy, train, test, truth=y)
    return SignalSplit(x, y, train, test)
