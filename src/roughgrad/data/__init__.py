"""Data sets: scikit-learn's bundled digits (the embedded default)."""

from roughgrad.data.digits import Split, load_digits_split, one_hot

__all__ = ["Split", "load_digits_split", "one_hot"]
