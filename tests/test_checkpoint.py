"""Checkpoints: a run killed (SIGKILL) or interrupted (Ctrl-C) resumes to the same metrics as an
uninterrupted one; foreign, corrupt or code-carrying checkpoints are refused; a blow-up stops a
run with a one-line message and keeps the last good checkpoint."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from roughgrad.cli import main
from roughgrad.experiments import EXPERIMENTS, Context
from roughgrad.experiments.digits import common as _digits
from roughgrad.runs import CheckpointError, FileCheckpoints
from roughgrad.runs.checkpoint import checkpoint_path

pytestmark = pytest.mark.slow

EXPERIMENT = "digits-ann"  # quick profile, two methods: four short training loops, ~4 s
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def cli(*args: str, wait: bool = True) -> subprocess.Popen | subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "roughgrad.cli", *args]
    if not wait:
        return subprocess.Popen(
            cmd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    return subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=300)


def start(run_dir: Path) -> subprocess.Popen:
    args = ["run", EXPERIMENT, "--profile", "quick", "--no-progress", "--run-dir", str(run_dir)]
    # a shorter run, still 4 loops: two methods, a short fast setting, two regression sizes
    fewer = ["--set", "methods=autodiff,local_regression", "--set", "fast_epochs=2"]
    fewer += ["--set", "fit_samples=10,100"]
    return cli(*args, *fewer, "--checkpoint-every", "3", wait=False)


def results(run_dir: Path) -> tuple[dict, list]:
    """Metrics without wall-clock ones, and claims whose verdict does not rest on seconds."""
    metrics = json.loads((run_dir / "metrics.json").read_text())
    claims = json.loads((run_dir / "claims.json").read_text())
    kept = {k: v for k, v in metrics.items() if "seconds" not in k}
    return kept, [(c["name"], c["holds"]) for c in claims if "seconds" not in c["evidence"]]


def wait_for_checkpoint(run_dir: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not list((run_dir / "checkpoints").glob("*.pt")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[dict, list]:
    run_dir = tmp_path_factory.mktemp("ref") / "run"
    proc = start(run_dir)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return results(run_dir)


def test_sigkill_at_a_random_moment_resumes_to_the_same_metrics(tmp_path, reference):
    run_dir = tmp_path / "run"
    proc = start(run_dir)
    wait_for_checkpoint(run_dir, proc)
    time.sleep(random.Random(0).uniform(0.0, 0.6))
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert json.loads((run_dir / "run.json").read_text())["status"] == "running"
    assert not (run_dir / "metrics.json").exists(), "the kill came after the run had finished"
    done = cli("run", EXPERIMENT, "--resume", str(run_dir), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert results(run_dir) == reference
    info = json.loads((run_dir / "run.json").read_text())
    assert info["status"] == "complete" and len(info["resumed"]) == 1


def test_ctrl_c_writes_a_checkpoint_and_says_how_to_resume(tmp_path):
    run_dir = tmp_path / "run"
    proc = start(run_dir)
    wait_for_checkpoint(run_dir, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    last = err.strip().splitlines()[-1]
    assert f"resume with: roughgrad run {EXPERIMENT} --resume {run_dir}" in last
    assert "last checkpoint: step" in last
    assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"
    # the checkpoint named in the message is on disk at that step (resuming from a checkpoint is
    # compared with an uninterrupted run in the SIGKILL test)
    step, key = re.search(r"last checkpoint: step (\d+) of (.+?)\);", last).groups()
    payload = torch.load(checkpoint_path(run_dir, key), weights_only=True)
    assert payload["step"] == int(step) and payload["state"]["next"] == int(step)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _interrupted_run(tmp_path: Path) -> Path:
    """A digits-linear run stopped (by a blow-up) after its first training loop checkpointed."""
    run_dir = tmp_path / "run"
    code = call(["run", "digits-linear", "--profile", "quick", "--no-progress",
                 "--run-dir", str(run_dir), "--set", "methods=autodiff",
                 "--set", "lrs="])  # fmt: skip
    assert code == 0
    info = json.loads((run_dir / "run.json").read_text())
    info["status"] = "interrupted"
    (run_dir / "run.json").write_text(json.dumps(info))
    return run_dir


def call(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return exc.code or 0
    return 0


class Evil:
    """Unpickling this would run code; weights_only loading must refuse it."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize(
    ("tamper", "fragment"),
    [
        ("truncate", "is corrupt or not a roughgrad checkpoint"),
        ("code", "is corrupt or not a roughgrad checkpoint"),
        ("foreign_experiment", "belongs to experiment 'digits-ann', not 'digits-linear'"),
        ("foreign_config", "was written with a different config"),
        ("complete", "is already complete; nothing to resume"),
        ("wrong_name", "holds a run of digits-linear, not digits-ann"),
        ("with_set", "--resume continues a run with its saved config; drop --set"),
    ],
)
def test_bad_resume_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, tamper, fragment):
    run_dir = _interrupted_run(tmp_path)
    path = run_dir / "checkpoints" / "autodiff.pt"
    payload = torch.load(path, weights_only=True)
    name, extra = "digits-linear", []
    if tamper == "truncate":
        path.write_bytes(path.read_bytes()[:100])
    elif tamper == "code":
        torch.save({**payload, "state": Evil()}, path)
    elif tamper == "foreign_experiment":
        torch.save({**payload, "experiment": "digits-ann"}, path)
    elif tamper == "foreign_config":
        torch.save({**payload, "config": payload["config"].replace('"lr": ', '"lr": 1')}, path)
    elif tamper == "complete":
        info = json.loads((run_dir / "run.json").read_text())
        (run_dir / "run.json").write_text(json.dumps({**info, "status": "complete"}))
    elif tamper == "wrong_name":
        name = "digits-ann"
    elif tamper == "with_set":
        extra = ["--set", "lr=0.1"]
    capsys.readouterr()
    before = _snapshot(run_dir)
    code = call(["run", name, "--resume", str(run_dir), "--no-progress", *extra])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert fragment in err
    assert "pwned" not in out + err
    assert _snapshot(run_dir) == before, "nothing is written on a refused resume"


def test_checkpoints_hold_only_plain_data_and_load_weights_only(tmp_path):
    run_dir = _interrupted_run(tmp_path)
    payload = torch.load(run_dir / "checkpoints" / "autodiff.pt", weights_only=True)
    assert payload["experiment"] == "digits-linear" and payload["key"] == "autodiff"
    state = payload["state"]
    assert {"next", "clock", "history", "params", "optimizer", "generator"} <= set(state)
    assert state["next"] == payload["step"]  # the final checkpoint: the loop is done


def test_resume_continues_a_half_done_loop_bit_for_bit(tmp_path):
    """In-process: stop a training loop after its checkpoint at step 4, resume, compare."""
    exp = EXPERIMENTS["digits-linear"]
    config = exp.config("quick", {"methods": "node_perturbation"})

    class StopAfter(FileCheckpoints):
        def save(self, key, step, state, *, final=False):
            super().save(key, step, state, final=final)
            if step == 4:
                raise KeyboardInterrupt

    def run(checkpoints):
        return exp.run(config, Context(checkpoints=checkpoints)).metrics

    kw = {"experiment": exp.name, "config": config.to_dict(), "every_steps": 2}
    torch.manual_seed(config.seed)
    with pytest.raises(KeyboardInterrupt):
        run(StopAfter(tmp_path / "a", **kw))
    torch.manual_seed(config.seed)
    resumed = run(FileCheckpoints(tmp_path / "a", **kw, resume=True))
    torch.manual_seed(config.seed)
    fresh = run(FileCheckpoints(tmp_path / "b", **kw))
    same = {k: v for k, v in fresh.items() if "seconds" not in k}
    assert {k: resumed[k] for k in same} == same


def test_foreign_checkpoint_is_refused_by_the_library(tmp_path):
    a = FileCheckpoints(tmp_path, experiment="digits-linear", config={"seed": 0})
    a.restore("loop")
    a.save("loop", 1, lambda: {"x": torch.ones(2)}, final=True)
    b = FileCheckpoints(tmp_path, experiment="digits-linear", config={"seed": 1}, resume=True)
    with pytest.raises(CheckpointError, match="different config"):
        b.restore("loop")


def test_blow_up_stops_with_step_quantity_and_remedy(tmp_path, capsys, monkeypatch):
    """Inputs of 1e38 overflow float32 in the first layer: the loss, the estimate and then the
    parameters turn NaN. The run stops at that update with one line, exit code 1."""
    real = _digits.load_data

    def poisoned(config, ctx):
        data = real(config, ctx)
        return dataclasses.replace(data, x_train=data.x_train * 1e38)

    monkeypatch.setattr(_digits, "load_data", poisoned)
    run_dir = tmp_path / "run"
    code = call(["run", "digits-linear", "--profile", "quick", "--no-progress",
                 "--run-dir", str(run_dir), "--set", "methods=node_perturbation",
                 "--set", "lrs="])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.strip().splitlines()) == 1, err
    pattern = (
        r"node_perturbation: parameter [\w.]+ became NaN or infinite at update \d+; "
        r"lower the learning rate"
    )
    assert re.search(pattern, err), err
    info = json.loads((run_dir / "run.json").read_text())
    assert info["status"] == "failed" and "update" in info["error"]
    assert not (run_dir / "metrics.json").exists()


def test_reproduce_resume_keeps_finished_runs_and_resumes_the_rest(tmp_path, capsys):
    """An interrupted `reproduce`: the finished run is kept untouched, the unfinished one is
    resumed in its own directory, a missing one is run, and the report covers all three."""
    names = "sin-gradient-field,digits-linear,mc-vs-quadrature"
    base = ["reproduce", "--profile", "quick", "--out", str(tmp_path), "--no-progress"]
    assert call([*base, "--only", "sin-gradient-field,digits-linear"]) == 0
    (kept,) = (tmp_path / "sin-gradient-field").iterdir()
    (unfinished,) = (tmp_path / "digits-linear").iterdir()
    info = json.loads((unfinished / "run.json").read_text())
    (unfinished / "run.json").write_text(json.dumps({**info, "status": "interrupted"}))
    (unfinished / "metrics.json").unlink()
    before = _snapshot(kept)
    capsys.readouterr()
    assert call([*base, "--only", names, "--resume"]) == 0
    err = capsys.readouterr().err
    assert f"sin-gradient-field (quick): kept {kept}" in err
    assert f"digits-linear (quick): resumed {unfinished}" in err
    assert "mc-vs-quadrature (quick): ran" in err
    assert _snapshot(kept) == before
    assert [p.name for p in (tmp_path / "digits-linear").iterdir()] == [unfinished.name]
    assert json.loads((unfinished / "run.json").read_text())["status"] == "complete"
    page = (tmp_path / "report" / "index.html").read_text()
    assert all(n in page for n in names.split(","))


def test_a_resumed_snake_run_retrains_only_what_it_had_not_trained(tmp_path, monkeypatch):
    """snake-extrapolation checkpoints every trained ensemble: stopped after its second
    ensemble, the resumed run trains the rest only and ends with the uninterrupted metrics."""
    from roughgrad.experiments.snake.common import training as snake

    exp = EXPERIMENTS["snake-extrapolation"]
    config = exp.config(
        "quick", {"models": "snake,spectral", "steps": 50, "hidden": 8, "lr_extend": 0}
    )
    kw = {"experiment": exp.name, "config": config.to_dict()}
    trained: list[str] = []
    real = snake.train_members

    def counting(*args, label="", **kwargs):
        trained.append(label)
        if label.startswith("snake") and len(trained) == 3:
            raise KeyboardInterrupt  # the third training of the run: snake's other seeds
        return real(*args, label=label, **kwargs)

    monkeypatch.setattr(snake, "train_members", counting)
    with pytest.raises(KeyboardInterrupt):
        exp.run(config, Context(checkpoints=FileCheckpoints(tmp_path / "a", **kw)))
    assert len(list((tmp_path / "a" / "checkpoints").glob("*.pt"))) == 2  # snake's two lrs
    trained.clear()
    resume = FileCheckpoints(tmp_path / "a", **kw, resume=True)
    resumed = exp.run(config, Context(checkpoints=resume))
    assert [t for t in trained if t.startswith("snake")] == [trained[0]]
    assert trained[0].endswith("seeds 1-1")  # the seeds after the search, nothing else of snake
    fresh = exp.run(config, Context(checkpoints=FileCheckpoints(tmp_path / "b", **kw)))
    same = {k: v for k, v in fresh.metrics.items() if "seconds" not in k}
    assert {k: resumed.metrics[k] for k in same} == same


def test_a_part_records_its_error_but_lets_an_interrupt_through():
    from roughgrad.experiments import part
    from roughgrad.runs.checkpoint import RunInterrupted

    errors: list[str] = []
    with part("gp", errors, log=lambda m: None):
        raise ArithmeticError("not positive definite")
    assert errors == ["gp: ArithmeticError: not positive definite"]
    with pytest.raises(RunInterrupted), part("gp", errors, log=lambda m: None):
        raise RunInterrupted("key", 3, Path("."), "clock")
    assert len(errors) == 1
