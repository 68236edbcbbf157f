"""One entry point for the classification data sets: ``digits`` (bundled) or ``mnist`` (local)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch

from roughgrad.data.digits import Split, load_digits_split
from roughgrad.data.mnist import DataError, load_mnist


def load_dataset(
    name: Literal["digits", "mnist"] = "digits",
    data_dir: str | Path | None = None,
    *,
    max_train: int | None = None,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
) -> Split:
    """The train/test split of ``name``; ``mnist`` reads ``data_dir`` (nothing is downloaded).

    digits: scikit-learn's 8x8 digits, a fixed stratified 80/20 split (x: 64 values in [0, 1]).
    mnist: see :func:`roughgrad.data.mnist.load_mnist` (x: 784 values in [0, 1]).
    """
    if name == "digits":
        split = load_digits_split(dtype=dtype, device=device)
        if max_train is not None:
            split = Split(
                split.x_train[:max_train], split.y_train[:max_train], split.x_test, split.y_test
            )
        return split
    if name == "mnist":
        if data_dir is None:
            raise DataError(
                "data=mnist needs data_dir=DIR holding the MNIST IDX files or mnist.npz"
            )
        return load_mnist(data_dir, max_train=max_train, dtype=dtype, device=device)
    raise DataError(f"unknown data set {name!r}; known: digits, mnist")
