"""One entry point for the classification data sets: ``digits`` (bundled), ``mnist`` and
``fashion-mnist`` (local files; nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch

from roughgrad.data.digits import Split, load_digits_split
from roughgrad.data.mnist import DataError, load_mnist

DATASETS = ("digits", "mnist", "fashion-mnist")
# How figures and reports name each data set.
DATASET_TITLES = {"digits": "8x8 digits", "mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
# where Debian's dataset-fashion-mnist package installs the four gzipped IDX files
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")


def data_path(name: str, data_dir: str | Path | None = None) -> Path | None:
    """The directory (or .npz file) that data set ``name`` is read from; None for ``digits``.

    ``mnist`` needs ``data_dir``; ``fashion-mnist`` reads ``data_dir`` if given, else
    ``FASHION_MNIST_DIR``. A missing location is a one-line
    [`DataError`][roughgrad.data.mnist.DataError] saying how to supply it."""
    if name not in DATASETS:
        raise DataError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}")
    if name == "digits":
        return None
    if data_dir is not None:
        return Path(data_dir).expanduser()
    if name == "mnist":
        raise DataError("data=mnist needs data_dir=DIR holding the MNIST IDX files or mnist.npz")
    if not FASHION_MNIST_DIR.is_dir():
        raise DataError(
            f"data=fashion-mnist: {FASHION_MNIST_DIR} not found; install it with "
            "'apt-get install dataset-fashion-mnist' or set data_dir=DIR (the four IDX files)"
        )
    return FASHION_MNIST_DIR


def load_dataset(
    name: Literal["digits", "mnist", "fashion-mnist"] = "digits",
    data_dir: str | Path | None = None,
    *,
    max_train: int | None = None,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
) -> Split:
    """The train/test split of ``name`` (nothing is downloaded).

    digits: scikit-learn's 8x8 digits, a fixed stratified 80/20 split (x: 64 values in [0, 1]).
    mnist: the files in ``data_dir`` (see
    [`roughgrad.data.mnist.load_mnist`][roughgrad.data.mnist.load_mnist]; x: 784 values in [0, 1]).
    fashion-mnist: the same format, from ``data_dir`` or ``/usr/share/datasets/fashion-mnist``
    (Debian's ``dataset-fashion-mnist``). ``max_train`` keeps the first n training examples.
    """
    path = data_path(name, data_dir)
    if path is None:
        split = load_digits_split(dtype=dtype, device=device)
        if max_train is not None:
            split = Split(
                split.x_train[:max_train], split.y_train[:max_train], split.x_test, split.y_test
            )
        return split
    return load_mnist(path, max_train=max_train, dtype=dtype, device=device)
