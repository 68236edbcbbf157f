"""MNIST from files a user supplies: the four standard IDX files (gzipped or not) or an .npz.

Nothing is downloaded. A directory is searched for

    train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte  t10k-labels-idx1-ubyte

each optionally ending in ``.gz`` (also accepted: the ``train-images.idx3-ubyte`` spelling), or
``mnist.npz`` with arrays ``x_train (n, 28, 28)``, ``y_train (n,)``, ``x_test``, ``y_test`` (the
layout Keras ships). A path to an ``.npz`` file also works. Every problem -- a missing file, a
truncated one, a wrong magic number, mismatched counts, labels outside 0-9, NaN pixels -- is a
[`DataError`][roughgrad.data.mnist.DataError] whose one-line message names the file and what was
expected.

IDX format (LeCun et al. 1998): a big-endian magic number 0x0000TTNN (TT = 0x08: unsigned bytes,
NN = number of dimensions), NN big-endian uint32 sizes, then the data in C order.
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

import numpy as np
import torch

from roughgrad.data.digits import Split

IDX_FILES = {
    "x_train": ("train-images-idx3-ubyte", 3),
    "y_train": ("train-labels-idx1-ubyte", 1),
    "x_test": ("t10k-images-idx3-ubyte", 3),
    "y_test": ("t10k-labels-idx1-ubyte", 1),
}
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


class DataError(ValueError):
    """A missing or malformed data file; the message is one line naming the file."""


def load_mnist(
    path: str | Path,
    *,
    max_train: int | None = None,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
) -> Split:
    """MNIST from ``path`` (a directory of IDX files or mnist.npz, or an .npz file).

    Images are flattened to 784 values in [0, 1]; ``max_train`` keeps the first n training
    images (the test set is always complete).

    Example:
        >>> split = load_mnist("~/data/mnist")  # doctest: +SKIP
        >>> split.x_train.shape
        torch.Size([60000, 784])
    """
    path = Path(path).expanduser()
    if path.is_file() and path.suffix == ".npz":
        arrays = _read_npz(path)
    elif path.is_dir() and (path / "mnist.npz").is_file():
        arrays = _read_npz(path / "mnist.npz")
    elif path.is_dir():
        arrays = {
            key: _read_idx(_find(path, name), ndim) for key, (name, ndim) in IDX_FILES.items()
        }
    else:
        raise DataError(
            f"{path}: not found; give a directory holding the four MNIST IDX files "
            "(train-images-idx3-ubyte[.gz], ...) or mnist.npz, or an .npz file"
        )
    _check(arrays, path)
    x_tr, y_tr = arrays["x_train"], arrays["y_train"]
    if max_train is not None:
        x_tr, y_tr = x_tr[:max_train], y_tr[:max_train]

    def images(a: np.ndarray) -> torch.Tensor:
        flat = a.reshape(len(a), -1).astype(np.float64)
        return torch.as_tensor(flat / 255.0 if a.dtype == np.uint8 else flat, dtype=dtype).to(
            device
        )

    def labels(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a.astype(np.int64), device=device)

    return Split(images(x_tr), labels(y_tr), images(arrays["x_test"]), labels(arrays["y_test"]))


def check_mnist(path: str | Path) -> None:
    """Raise DataError if ``path`` does not hold a loadable MNIST; cached per file state.

    Configs call this before a run starts, so a bad data set is refused before anything is
    written.
    """
    path = Path(path).expanduser()
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    state = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.exists())
    _check_cached(str(path), state)


@functools.lru_cache(maxsize=8)
def _check_cached(path: str, state: tuple) -> None:
    load_mnist(path, max_train=1)


def _find(directory: Path, name: str) -> Path:
    dotted = name.replace("-idx", ".idx")  # train-images.idx3-ubyte, as some mirrors name them
    for candidate in (name, name + ".gz", dotted, dotted + ".gz"):
        if (directory / candidate).is_file():
            return directory / candidate
    raise DataError(f"{directory / name}[.gz]: missing; MNIST needs the four standard IDX files")


def _read_idx(path: Path, ndim: int) -> np.ndarray:
    """One IDX file of unsigned bytes with ``ndim`` dimensions."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(
            f"{path}: cannot be read as {'gzip' if path.suffix == '.gz' else 'IDX'} ({exc})"
        ) from None
    header = 4 + 4 * ndim
    magic = int.from_bytes(raw[:4], "big")
    if magic != 0x0800 + ndim:
        raise DataError(
            f"{path}: magic number {magic:#010x}, expected {0x0800 + ndim:#010x} "
            f"(unsigned bytes, {ndim} dimension{'s' if ndim > 1 else ''})"
        )
    if len(raw) < header:
        raise DataError(f"{path}: truncated: {len(raw)} bytes, shorter than its IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    size = int(np.prod(shape))
    if len(raw) - header != size:
        raise DataError(
            f"{path}: {len(raw) - header} data bytes, expected {size} for shape {shape} "
            "(truncated or corrupt)"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in NPZ_KEYS if k not in f.files]
            if missing:
                raise DataError(f"{path}: lacks arrays {missing}; expected {', '.join(NPZ_KEYS)}")
            return {k: np.asarray(f[k]) for k in NPZ_KEYS}
    except DataError:
        raise
    except (OSError, ValueError, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npz file ({exc})") from None


def _check(arrays: dict[str, np.ndarray], path: Path) -> None:
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise DataError(f"{path}: x_{part} has shape {x.shape}, expected (n, 28, 28)")
        if y.ndim != 1 or len(y) != len(x):
            raise DataError(f"{path}: y_{part} has shape {y.shape}, expected ({len(x)},)")
        if len(x) == 0:
            raise DataError(f"{path}: x_{part} is empty")
        if not np.issubdtype(x.dtype, np.number) or not np.isfinite(x.astype(np.float64)).all():
            raise DataError(f"{path}: x_{part} holds non-numeric, NaN or infinite pixels")
        if x.dtype != np.uint8 and (x.min() < 0 or x.max() > 1):
            raise DataError(
                f"{path}: float pixels of x_{part} must lie in [0, 1] (or use uint8 0-255)"
            )
        if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() > 9:
            raise DataError(f"{path}: y_{part} must hold integer labels 0-9")
