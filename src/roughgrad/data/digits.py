"""scikit-learn's bundled 8x8 digits (1797 images): the embedded default data set.

Nothing is downloaded: the data ship inside scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor


@dataclass(frozen=True)
class Split:
    """Train/test tensors (and a validation split carved from training data, when made with
    [`with_validation`][roughgrad.data.digits.with_validation]): x (n, d) in [0, 1], y (n,) int64
    labels 0-9."""

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    x_val: Tensor | None = None
    y_val: Tensor | None = None


def with_validation(split: Split, fraction: float, *, seed: int = 0) -> Split:
    """``split`` with a stratified ``fraction`` of its training examples moved to a validation
    split (the same examples for every run with ``seed``); the test split is untouched.

    Everything selected during training (a stopping step, a learning rate, a sigma) is selected
    on the validation split, so the test split is evaluated once, at the end.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"validation fraction must be in (0, 1), got {fraction}")
    y = split.y_train.cpu().numpy()
    rng = np.random.default_rng(seed)
    val = np.concatenate(
        [
            (idx := rng.permutation(np.flatnonzero(y == c)))[: max(1, round(fraction * len(idx)))]
            for c in np.unique(y)
        ]
    )
    keep = np.setdiff1d(np.arange(len(y)), val)
    dev = split.y_train.device
    val_t, keep_t = torch.as_tensor(val, device=dev), torch.as_tensor(keep, device=dev)
    return Split(
        split.x_train[keep_t],
        split.y_train[keep_t],
        split.x_test,
        split.y_test,
        split.x_train[val_t],
        split.y_train[val_t],
    )


def load_digits_split(
    test_fraction: float = 0.2,
    *,
    split_seed: int = 0,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
) -> Split:
    """A fixed, stratified split of the digits (the same for every run with ``split_seed``)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    x, y = load_digits(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x / 16.0, y, test_size=test_fraction, stratify=y, random_state=split_seed
    )

    def as_t(a: np.ndarray, dt: torch.dtype) -> Tensor:
        return torch.as_tensor(a, dtype=dt, device=device)

    return Split(
        as_t(x_tr, dtype), as_t(y_tr, torch.int64), as_t(x_te, dtype), as_t(y_te, torch.int64)
    )


def one_hot(y: Tensor, classes: int = 10, dtype: torch.dtype = torch.float32) -> Tensor:
    return torch.nn.functional.one_hot(y, classes).to(dtype)
