"""The bundled digits split is fixed, stratified and reproducible."""

from __future__ import annotations

import pytest
import torch

from roughgrad.data import load_digits_split, one_hot


def test_digits_split_is_reproducible_and_stratified():
    a, b = load_digits_split(), load_digits_split()
    assert torch.equal(a.x_test, b.x_test) and torch.equal(a.y_train, b.y_train)
    assert a.x_train.shape == (1437, 64) and a.x_test.shape == (360, 64)
    assert float(a.x_train.max()) <= 1.0 and float(a.x_train.min()) >= 0.0
    counts = torch.bincount(a.y_test, minlength=10)
    assert int(counts.min()) >= 35 and int(counts.max()) <= 37  # stratified: ~36 per class
    assert not torch.equal(load_digits_split(split_seed=1).y_test, a.y_test)


def test_bad_fraction_and_one_hot():
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits_split(1.5)
    assert one_hot(torch.tensor([2]))[0].tolist() == [0, 0, 1] + [0] * 7
