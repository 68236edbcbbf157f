"""A run stops cleanly: SIGTERM, SIGHUP and Ctrl-C stop every process it started within a few
seconds, its run.json says interrupted, and nothing it started keeps computing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigterm_stops_the_run_and_every_worker_it_started(tmp_path):
    sig = signal.SIGTERM
    argv = [
        sys.executable, "-m", "roughgrad.cli", "run", "rnn-frequency-halving", "--profile",
        "quick", "--set", "workers=2", "--set", "steps=200000", "--set", "seeds=2",
        "--no-progress", "--out", str(tmp_path),
    ]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    workers: set[int] = set()
    while time.monotonic() < deadline and len(workers) < 3:  # 2 workers + the resource tracker
        time.sleep(0.5)
        workers = _children(proc.pid)
        assert proc.poll() is None, proc.communicate()
    assert len(workers) >= 2, "the run never started its workers"
    time.sleep(2)  # the workers are computing
    started = _children(proc.pid)
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert "interrupted" in err, err
    settle = time.monotonic() + 10  # every process it started is gone within 10 s
    while (left := {p for p in started if _alive(p)}) and time.monotonic() < settle:
        time.sleep(0.2)
    assert not left, f"processes outlived the run: {left}"
    (run_dir,) = (tmp_path / "rnn-frequency-halving").iterdir()
    assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"


def test_a_worker_dies_with_its_parent_even_when_the_parent_is_killed(tmp_path):
    """SIGKILL leaves no handler to run: the kernel's parent-death signal stops the worker."""
    script = tmp_path / "parent.py"
    script.write_text(
        "import time\n"
        "from roughgrad._workers import worker_pool\n"
        "if __name__ == '__main__':\n"
        "    with worker_pool(1) as pool:\n"
        "        pool.submit(time.sleep, 600)\n"
        "        time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, str(script)])
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while time.monotonic() < deadline and not workers:
        time.sleep(0.5)
        workers = {p for p in _children(proc.pid) if "spawn_main" in _cmdline(p)}
    assert workers, "no worker started"
    proc.kill()
    proc.wait()
    settle = time.monotonic() + 5
    while (left := {p for p in workers if _alive(p)}) and time.monotonic() < settle:
        time.sleep(0.2)
    assert not left


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_sigterm_and_sighup_arrive_as_ctrl_c(sig):
    """The same path as Ctrl-C (KeyboardInterrupt), so a run is marked interrupted and its
    worker pools are stopped (the run above shows the whole path for SIGTERM)."""
    from roughgrad._workers import stop_on_signals

    with pytest.raises(KeyboardInterrupt, match=sig.name), stop_on_signals():
        os.kill(os.getpid(), sig)
        time.sleep(5)  # the handler interrupts this
    assert signal.getsignal(sig) is not signal.getsignal(signal.SIGINT)  # restored


def test_sigterm_stops_a_side_by_side_reproduce_and_its_workers(tmp_path):
    """reproduce runs experiments side by side in worker processes: SIGTERM marks each
    unfinished run interrupted and leaves no process computing."""
    argv = [
        sys.executable, "-m", "roughgrad.cli", "reproduce", "--profile", "quick", "--only",
        "snake-decay,snake-extrapolation", "--set", "steps=10000000", "--jobs", "2",
        "--no-progress", "--out", str(tmp_path),
    ]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    runs: list[Path] = []
    while time.monotonic() < deadline and len(runs) < 2:  # both experiments have started
        time.sleep(0.5)
        runs = [p for p in tmp_path.glob("snake-*/*") if (p / "run.json").is_file()]
        assert proc.poll() is None, proc.communicate()
    assert len(runs) == 2, "the side-by-side experiments never started"
    time.sleep(2)
    started = _children(proc.pid)
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0 and "interrupted" in err, err
    settle = time.monotonic() + 10
    while (left := {p for p in started if _alive(p)}) and time.monotonic() < settle:
        time.sleep(0.2)
    assert not left, f"processes outlived the reproduce: {left}"
    for run_dir in runs:
        assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"
