"""Checkpoints in a run directory: written atomically, read with ``weights_only=True``.

A run's long loops (e.g. each training run of the digits experiments) save their state through
``ctx.checkpoints`` (see [`roughgrad.experiments.Checkpoints`][roughgrad.experiments.Checkpoints]).
[`FileCheckpoints`][roughgrad.runs.checkpoint.FileCheckpoints] writes one file per loop,
``RUN_DIR/checkpoints/<key>.pt``, every ``every_steps`` steps, every ``every_seconds`` seconds, when
the loop ends and when the user presses Ctrl-C; each write is a temp file plus an atomic rename, so
a run killed at any moment (even by SIGKILL) leaves either the previous checkpoint or the new one,
never a torn file. Every checkpoint also holds torch's global RNG state, restored with the loop's
own state.

A file holds ``{"format", "experiment", "config", "key", "step", "torch_rng", "state"}``;
``config`` is the run's resolved config as JSON, so that a checkpoint from another experiment
or another config is refused rather than silently mixed in.
"""

from __future__ import annotations

import contextlib
import io
import json
import pickle
import signal
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

from roughgrad.runs.rundir import RunDirError
from roughgrad.runtime import Checkpoints, DirectoryCheckpoints, StopRun

FORMAT = 1
FOLDER = "checkpoints"


class CheckpointError(RunDirError):
    """A checkpoint that is corrupt, foreign or unreadable; the message is one line."""


class RunInterrupted(StopRun):
    """The user pressed Ctrl-C; the last checkpoint is at ``step`` of loop ``key`` (if any)."""

    def __init__(
        self,
        key: str | None,
        step: int | None,
        run_dir: Path | None = None,
        experiment: str | None = None,
    ) -> None:
        super().__init__(key, step, run_dir, experiment)
        self.key, self.step, self.run_dir, self.experiment = key, step, run_dir, experiment

    def __str__(self) -> str:
        where = (
            f"last checkpoint: step {self.step} of {self.key}"
            if self.key is not None
            else "no checkpoint was written yet"
        )
        return (
            f"interrupted ({where}); resume with: "
            f"roughgrad run {self.experiment} --resume {self.run_dir}"
        )


def checkpoint_path(run_dir: Path, key: str) -> Path:
    """``RUN_DIR/checkpoints/<key>.pt``, the key reduced to a safe file name."""
    return DirectoryCheckpoints(Path(run_dir) / FOLDER).path(key)


def read_checkpoint(path: Path, *, experiment: str, config: dict[str, Any]) -> dict[str, Any]:
    """Load a checkpoint without executing code and check it belongs to this run."""
    try:
        payload = torch.load(io.BytesIO(Path(path).read_bytes()), weights_only=True)
    except OSError as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc.strerror}") from None
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError):
        raise CheckpointError(
            f"checkpoint {path} is corrupt or not a roughgrad checkpoint; "
            "delete it to redo that part of the run"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {path} is not a roughgrad checkpoint (format {FORMAT})")
    if payload.get("experiment") != experiment:
        raise CheckpointError(
            f"checkpoint {path} belongs to experiment {payload.get('experiment')!r}, "
            f"not {experiment!r}"
        )
    if payload.get("config") != json.dumps(config, sort_keys=True):
        raise CheckpointError(
            f"checkpoint {path} was written with a different config than {experiment}'s run "
            "(config.json); it cannot be resumed into this run"
        )
    return payload


def check_checkpoints(run_dir: Path, *, experiment: str, config: dict[str, Any]) -> int:
    """Read every checkpoint of a run up front (nothing is written); return how many there are."""
    files = sorted((Path(run_dir) / FOLDER).glob("*.pt"))
    for path in files:
        read_checkpoint(path, experiment=experiment, config=config)
    return len(files)


class FileCheckpoints(Checkpoints):
    """Checkpoints written into a run directory (see the module docstring): a
    ``DirectoryCheckpoints`` writes them; this adds the payload that ties a file to its
    experiment and config, resuming, and Ctrl-C."""

    def __init__(
        self,
        run_dir: Path,
        *,
        experiment: str,
        config: dict[str, Any],
        every_steps: int = 1000,
        every_seconds: float = 60.0,
        resume: bool = False,
    ) -> None:
        self.files = DirectoryCheckpoints(Path(run_dir) / FOLDER, every_seconds, every_steps)
        self.run_dir, self.experiment, self.config = Path(run_dir), experiment, config
        self.resume = resume
        self.active: str | None = None  # the loop currently running, if any
        self.interrupt_requested = False
        self.last_written: tuple[str, int] | None = None
        self.files.directory.mkdir(parents=True, exist_ok=True)

    def restore(self, key: str) -> dict[str, Any] | None:
        self.active = key
        self.files.started(key)
        path = self.files.path(key)
        if not (self.resume and path.is_file()):
            return None
        payload = read_checkpoint(path, experiment=self.experiment, config=self.config)
        torch.set_rng_state(payload["torch_rng"])
        self.files.started(key, payload["step"])
        self.last_written = (key, payload["step"])
        return payload["state"]

    def save(
        self, key: str, step: int, state: Callable[[], dict[str, Any]], *, final: bool = False
    ) -> None:
        if self.files.due(key, step, final=final or self.interrupt_requested):
            self._write(key, step, state())
        if final:
            self.active = None
        if self.interrupt_requested:
            raise RunInterrupted(key, step)

    def _write(self, key: str, step: int, state: dict[str, Any]) -> None:
        payload = {
            "format": FORMAT,
            "experiment": self.experiment,
            "config": json.dumps(self.config, sort_keys=True),
            "key": key,
            "step": int(step),
            "torch_rng": torch.get_rng_state(),
            "state": state,
        }
        self.files.write(key, step, payload)
        self.last_written = (key, step)


@contextlib.contextmanager
def graceful_interrupt(checkpoints: FileCheckpoints, log: Callable[[str], None]) -> Iterator[None]:
    """While active, a first Ctrl-C inside a checkpointed loop asks it to write a checkpoint at
    the end of its current step and stop
    ([`RunInterrupted`][roughgrad.runs.checkpoint.RunInterrupted]); a second Ctrl-C, or one outside
    such a loop, stops at once (KeyboardInterrupt; the last checkpoint is kept)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        if checkpoints.active is None or checkpoints.interrupt_requested:
            raise KeyboardInterrupt
        checkpoints.interrupt_requested = True
        log(
            "interrupt: finishing the current step and writing a checkpoint "
            "(Ctrl-C again: stop now)"
        )

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
