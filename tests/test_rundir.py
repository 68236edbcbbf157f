"""Run directories are created exclusively and written atomically."""

from __future__ import annotations

import os

import pytest

from roughgrad.runs import RunDirError, create_run_dir, new_run_dir
from roughgrad.runs.rundir import atomic_write_bytes, atomic_write_json


def test_atomic_write_replaces_whole_file_or_nothing(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    atomic_write_json(target, {"a": 1})
    assert target.read_text().strip().startswith("{")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"half-written")
    assert '"a": 1' in target.read_text(), "the old content survives a failed write"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"], "no temp file is left"


def test_existing_directory_is_refused(tmp_path):
    create_run_dir(tmp_path / "r")
    with pytest.raises(RunDirError, match="already exists"):
        create_run_dir(tmp_path / "r")


def test_new_run_dirs_never_collide(tmp_path):
    dirs = {new_run_dir(tmp_path, "exp") for _ in range(20)}
    assert len(dirs) == 20
    assert all((d / "figures").is_dir() for d in dirs)


def test_unwritable_root_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RunDirError, match="cannot create run directory"):
        create_run_dir(blocker / "sub" / "run")
