"""Run directories, checkpoints, the runner, sweeps and the HTML report."""

from roughgrad.runs.checkpoint import CheckpointError, FileCheckpoints, RunInterrupted
from roughgrad.runs.report import build_report
from roughgrad.runs.reproduce import latest_run, run_or_resume
from roughgrad.runs.rundir import RunDirError, atomic_write_json, create_run_dir, new_run_dir
from roughgrad.runs.runner import (
    CheckpointPolicy,
    RunRecord,
    load_run,
    resume_experiment,
    run_experiment,
)

__all__ = [
    "CheckpointError",
    "CheckpointPolicy",
    "FileCheckpoints",
    "RunDirError",
    "RunInterrupted",
    "RunRecord",
    "atomic_write_json",
    "build_report",
    "create_run_dir",
    "latest_run",
    "load_run",
    "new_run_dir",
    "resume_experiment",
    "run_experiment",
    "run_or_resume",
]
