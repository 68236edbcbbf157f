"""Atomic file writes: a temp file in the same directory, then a rename."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

import torch


def _umask() -> int:
    mask = os.umask(0)  # the only portable way to read it: set it and put it back
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory and an atomic rename.

    A reader (or a run killed at any moment) sees the old file or the new one, never a torn
    one. The file gets the mode a plain ``open()`` would give (0644 under umask 022), not
    ``mkstemp``'s private 0600, so that a group folder or a web server can read it.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_torch_save(path: str | os.PathLike[str], obj: Any) -> None:
    """``torch.save(obj)`` to ``path`` atomically (see ``atomic_write_bytes``)."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write_bytes(path, buf.getvalue())
