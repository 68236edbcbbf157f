"""Run directories, the runner and the HTML report."""

from roughgrad.runs.report import build_report
from roughgrad.runs.rundir import RunDirError, atomic_write_json, create_run_dir, new_run_dir
from roughgrad.runs.runner import RunRecord, load_run, run_experiment

__all__ = [
    "RunDirError",
    "RunRecord",
    "atomic_write_json",
    "build_report",
    "create_run_dir",
    "load_run",
    "new_run_dir",
    "run_experiment",
]
