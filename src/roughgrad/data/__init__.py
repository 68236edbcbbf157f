"""Data sets: scikit-learn's bundled digits (the embedded default) and seed 001's 1-D signals."""

from roughgrad.data.digits import Split, load_digits_split, one_hot
from roughgrad.data.signals import SIGNALS, SignalSplit, sine_split, split_indices

__all__ = [
    "SIGNALS",
    "SignalSplit",
    "Split",
    "load_digits_split",
    "one_hot",
    "sine_split",
    "split_indices",
]
