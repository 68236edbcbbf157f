"""Data sets: scikit-learn's bundled digits (the embedded default), MNIST from local files, and
write-up 001's 1-D signals."""

from roughgrad.data.classification import load_dataset
from roughgrad.data.digits import Split, load_digits_split, one_hot, with_validation
from roughgrad.data.mnist import DataError, load_mnist
from roughgrad.data.signals import SIGNALS, SignalSplit, sine_split, split_indices

__all__ = [
    "SIGNALS",
    "DataError",
    "SignalSplit",
    "Split",
    "load_dataset",
    "load_digits_split",
    "load_mnist",
    "one_hot",
    "sine_split",
    "split_indices",
    "with_validation",
]
