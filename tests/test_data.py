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


# --- MNIST from local files: synthetic IDX / npz files written here ---------------------------

import gzip  # noqa: E402

import numpy as np  # noqa: E402

from roughgrad.data import DataError, load_dataset, load_mnist  # noqa: E402


def _idx(array: np.ndarray) -> bytes:
    header = (0x0800 + array.ndim).to_bytes(4, "big")
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write_idx(directory, n_train=12, n_test=5, gz=True, corrupt=None):
    rng = np.random.default_rng(0)
    parts = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test),
    }
    for name, arr in parts.items():
        raw = _idx(arr)
        if corrupt == name:
            raw = raw[:-7]  # truncated
        (directory / (name + (".gz" if gz else ""))).write_bytes(gzip.compress(raw) if gz else raw)
    return parts


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_idx_roundtrip(tmp_path, gz):
    parts = _write_idx(tmp_path, gz=gz)
    split = load_mnist(tmp_path)
    assert split.x_train.shape == (12, 784) and split.x_test.shape == (5, 784)
    expected = torch.as_tensor(parts["train-images-idx3-ubyte"].reshape(12, -1) / 255.0)
    assert torch.allclose(split.x_train.double(), expected, atol=1e-6)
    assert split.y_test.tolist() == parts["t10k-labels-idx1-ubyte"].tolist()
    assert load_mnist(tmp_path, max_train=4).x_train.shape == (4, 784)


def test_mnist_npz_and_dataset_entry_point(tmp_path):
    rng = np.random.default_rng(1)
    arrays = {
        "x_train": rng.integers(0, 256, (8, 28, 28)).astype(np.uint8),
        "y_train": rng.integers(0, 10, 8),
        "x_test": rng.integers(0, 256, (3, 28, 28)).astype(np.uint8),
        "y_test": rng.integers(0, 10, 3),
    }
    np.savez(tmp_path / "mnist.npz", **arrays)
    for where in (tmp_path, tmp_path / "mnist.npz"):
        split = load_dataset("mnist", where)
        assert (
            split.x_train.shape == (8, 784) and split.y_test.tolist() == arrays["y_test"].tolist()
        )


def _npz(path, **changes):
    rng = np.random.default_rng(2)
    arrays = {
        "x_train": rng.random((4, 28, 28)),
        "y_train": np.arange(4),
        "x_test": rng.random((2, 28, 28)),
        "y_test": np.arange(2),
    }
    arrays.update(changes)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: _write_idx(d, corrupt="t10k-images-idx3-ubyte"), "t10k-images.*truncated"),
        (
            lambda d: (_write_idx(d), (d / "train-labels-idx1-ubyte.gz").unlink()),
            "train-labels.*missing",
        ),
        (
            lambda d: (d / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x01" + bytes(8)),
            "magic number",
        ),
        (
            lambda d: (d / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip"),
            "cannot be read as gzip",
        ),
        (lambda d: _npz(d / "mnist.npz", x_test=None), "lacks arrays.*x_test"),
        (lambda d: _npz(d / "mnist.npz", x_train=np.zeros((4, 27, 28))), r"shape \(4, 27, 28\)"),
        (lambda d: _npz(d / "mnist.npz", x_train=np.full((4, 28, 28), np.nan)), "NaN"),
        (lambda d: _npz(d / "mnist.npz", y_test=np.array([0, 11])), "labels 0-9"),
        (lambda d: _npz(d / "mnist.npz", y_train=np.arange(3)), r"y_train has shape \(3,\)"),
        (lambda d: (d / "mnist.npz").write_bytes(b"garbage"), "not a readable .npz"),
    ],
)
def test_bad_mnist_files_give_one_line_naming_the_file(tmp_path, make, message):
    make(tmp_path)
    with pytest.raises(DataError, match=message) as err:
        load_mnist(tmp_path)
    assert "\n" not in str(err.value) and str(tmp_path) in str(err.value)


def test_missing_mnist_directory_and_unknown_set(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_mnist(tmp_path / "nowhere")
    with pytest.raises(DataError, match="needs data_dir"):
        load_dataset("mnist")


def test_validation_split_is_carved_from_training_data_and_stratified():
    from roughgrad.data import with_validation

    base = load_digits_split()
    split = with_validation(base, 0.1)
    assert torch.equal(split.x_test, base.x_test)  # the test split is untouched
    n_val, n_train = len(split.y_val), len(split.y_train)
    assert n_val + n_train == len(base.y_train)
    assert abs(n_val / len(base.y_train) - 0.1) < 0.01
    assert set(split.y_val.tolist()) == set(range(10))  # every class in validation
    rows = {tuple(r.tolist()) for r in split.x_train}
    assert not any(tuple(r.tolist()) in rows for r in split.x_val)  # disjoint from training
    again = with_validation(base, 0.1)
    assert torch.equal(again.y_val, split.y_val)  # the same examples every run
    with pytest.raises(ValueError, match="fraction"):
        with_validation(base, 1.0)


def test_fashion_mnist_reads_the_debian_directory_or_data_dir(tmp_path, monkeypatch):
    from roughgrad.data import classification
    from roughgrad.experiments import EXPERIMENTS
    from roughgrad.experiments.base import ConfigError

    installed = tmp_path / "fashion-mnist"
    installed.mkdir()
    _write_idx(installed, n_train=20, n_test=6)
    monkeypatch.setattr(classification, "FASHION_MNIST_DIR", installed)
    split = load_dataset("fashion-mnist")  # the package's directory by default
    assert split.x_train.shape == (20, 784) and split.x_test.shape == (6, 784)
    own = tmp_path / "mine"
    own.mkdir()
    _write_idx(own, n_train=9, n_test=4)
    assert load_dataset("fashion-mnist", own).x_train.shape == (9, 784)  # data_dir wins
    EXPERIMENTS["digits-linear"].config("quick", {"data": "fashion-mnist"})  # accepted

    monkeypatch.setattr(classification, "FASHION_MNIST_DIR", tmp_path / "absent")
    for call in (
        lambda: load_dataset("fashion-mnist"),
        lambda: EXPERIMENTS["digits-ann"].config("quick", {"data": "fashion-mnist"}),
    ):
        with pytest.raises((DataError, ConfigError)) as err:
            call()
        message = str(err.value)
        assert "apt-get install dataset-fashion-mnist" in message and "data_dir" in message
        assert "\n" not in message
    with pytest.raises(DataError, match="known: digits, mnist, fashion-mnist"):
        load_dataset("cifar")


def test_forecast_split_detrends_and_scales_on_the_training_part_only():
    import numpy as np

    from roughgrad.data.series import forecast_split

    x = np.arange(100.0)
    y = 3.0 + 0.5 * x + np.sin(x)
    s = forecast_split(x, y, trend_degree=1)
    assert s.train.tolist() == list(range(80)) and s.test.tolist() == list(range(80, 100))
    assert abs(s.y[s.train].std() - 1.0) < 1e-12  # unit variance on the training part
    # the trend fitted on the first 80% carries over: what is left is the sine, scaled
    np.testing.assert_allclose(s.y[s.test] * np.sin(x[:80]).std(), np.sin(x[80:]), atol=0.05)
    with pytest.raises(ValueError, match=r"test_fraction=1\.5"):
        forecast_split(x, y, test_fraction=1.5)


def test_noisy_signal_keeps_the_noise_free_truth():
    import numpy as np

    from roughgrad.data import sine_split

    s = sine_split(400, signal="noisy", noise=0.3, seed=1)
    np.testing.assert_allclose(s.target, np.sin(s.x))
    assert 0.25 < (s.y - s.target).std() < 0.35
    assert sine_split(400, signal="mixture").truth is None  # noise-free targets are their own


def test_unknown_series_is_one_line():
    from roughgrad.data.series import load_series

    with pytest.raises(DataError, match="unknown series 'sunspot'; known: sunspots, co2, elnino"):
        load_series("sunspot")
