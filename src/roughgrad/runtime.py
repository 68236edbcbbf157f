"""What long loops are handed and what stops them: progress, checkpoints, errors.

[`Progress`][roughgrad.runtime.Progress] reports; [`Checkpoints`][roughgrad.runtime.Checkpoints]
keeps a loop's state so that a killed run can resume, and
[`DirectoryCheckpoints`][roughgrad.runtime.DirectoryCheckpoints] is the one implementation that
writes them (``roughgrad.runs``' run-directory checkpoints wrap it with a payload check and
Ctrl-C). ``fit`` and the experiments take these; nothing here imports the rest of roughgrad.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import torch

from roughgrad._atomic import atomic_torch_save

__all__ = [
    "BarProgress",
    "Checkpoints",
    "DirectoryCheckpoints",
    "NumericalError",
    "Progress",
    "StopRun",
]


class Progress:
    """Progress reporting handed to experiments; the CLI supplies a rich-backed subclass."""

    def track(
        self, iterable: Iterable[Any], total: int | None = None, description: str = ""
    ) -> Iterator[Any]:
        yield from iterable

    def log(self, message: str) -> None:
        print(message, file=sys.stderr)


class StopRun(Exception):
    """An interruption that must end the whole run, never just one part of it (the runner's
    Ctrl-C, ``roughgrad.runs.RunInterrupted``): ``roughgrad.experiments.part`` lets it through."""


class NumericalError(ArithmeticError):
    """A run's numbers blew up (NaN or infinite); the message names the step, the quantity and a
    remedy, in one line."""


class Checkpoints:
    """Where long loops keep their state, so that a killed or interrupted run can resume.

    A loop calls ``restore(key)`` once before it starts (``None``: start from scratch, else the
    state it saved last) and ``save(key, step, state)`` after every step, with ``state`` a
    function building the snapshot (tensors, numbers, strings, lists and dicts of them), so
    that snapshots are only built when one is written. The implementation decides when to
    write: the runner's (``roughgrad.runs.checkpoint``) writes every N steps, every M
    seconds, at the end of the loop (``final=True``) and when the user presses Ctrl-C. This
    base class keeps nothing, so the library and tests run unchanged without a run directory.

        >>> state = ctx.checkpoints.restore("train")  # doctest: +SKIP
        >>> for k in range(0 if state is None else state["next"], n):  # doctest: +SKIP
        ...     step(k); ctx.checkpoints.save("train", k + 1, lambda: {"next": k + 1, ...})
    """

    def restore(self, key: str) -> dict[str, Any] | None:
        return None

    def save(
        self, key: str, step: int, state: Callable[[], dict[str, Any]], *, final: bool = False
    ) -> None:
        return None


class DirectoryCheckpoints(Checkpoints):
    """Checkpoints as ``DIRECTORY/<key>.pt`` (the key reduced to a safe file name), written
    atomically (a temp file, then a rename), read back with ``torch.load(weights_only=True)``.

    A write happens when ``every_steps`` steps or ``every_seconds`` seconds have passed since
    the loop's last one, and always at the end of the loop, so a killed process leaves the
    previous checkpoint or the new one, never a torn file.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        every_seconds: float = 30.0,
        every_steps: int | None = None,
    ) -> None:
        if not every_seconds >= 0 or (every_steps is not None and every_steps < 1):
            raise ValueError("every_steps must be >= 1 (or None) and every_seconds >= 0")
        self.directory, self.every_seconds = Path(directory), every_seconds
        self.every_steps = every_steps
        self._last: dict[str, tuple[int, float]] = {}  # key -> (step, time) of its last write

    def path(self, key: str) -> Path:
        return self.directory / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', key)}.pt"

    def started(self, key: str, step: int = 0) -> None:
        """Loop ``key`` starts (or resumes) at ``step``: the write timers start now."""
        self._last[key] = (step, time.monotonic())

    def due(self, key: str, step: int, *, final: bool = False) -> bool:
        """Whether ``save`` writes at ``step`` (see the class docstring)."""
        last_step, last_time = self._last.get(key, (0, time.monotonic()))
        by_steps = self.every_steps is not None and step - last_step >= self.every_steps
        return final or by_steps or time.monotonic() - last_time >= self.every_seconds

    def write(self, key: str, step: int, payload: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        atomic_torch_save(self.path(key), payload)
        self._last[key] = (step, time.monotonic())

    def restore(self, key: str) -> dict[str, Any] | None:
        path = self.path(key)
        self.started(key)
        if not path.exists():
            return None
        try:
            return torch.load(path, weights_only=True)
        except Exception as err:  # torch raises several types for a corrupt or foreign file
            raise ValueError(f"cannot read checkpoint {path}: {err}") from None

    def save(
        self, key: str, step: int, state: Callable[[], dict[str, Any]], *, final: bool = False
    ) -> None:
        if self.due(key, step, final=final):
            self.write(key, step, state())


class BarProgress(Progress):
    """A rich progress bar on stderr for each tracked loop (nothing when stderr is not a TTY)."""

    def track(
        self, iterable: Iterable[Any], total: int | None = None, description: str = ""
    ) -> Iterator[Any]:
        from rich.console import Console
        from rich.progress import track

        console = Console(stderr=True)
        if not console.is_terminal:
            yield from iterable
            return
        yield from track(
            iterable, total=total, description=description, console=console, transient=True
        )
