"""The command line: list, run with --set and --json, one-line errors with exit code 2, report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html import escape
from pathlib import Path

import numpy as np
import pytest
import torch

from roughgrad._catalog import cite
from roughgrad.cli import main
from roughgrad.experiments import EXPERIMENTS
from roughgrad.runs import build_report, load_run
from roughgrad.runs.report import claim_tally
from test_data import _npz, _write_idx

QUICK = ["--profile", "quick", "--no-progress"]


def call(args, capsys):
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    code = 0
    try:
        main(args)
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


def test_list_groups_every_experiment_under_its_write_up(capsys):
    from roughgrad._catalog import SOURCES

    code, out, _ = call(["list"], capsys)
    assert code == 0
    lines = out.splitlines()
    titles = {title: key for key, (title, _) in SOURCES.items()}
    headers = {i: titles[t] for i, line in enumerate(lines) for t in titles if line.startswith(t)}
    assert list(headers.values()) == ["000", "001", "002", "003"]
    assert "seed 0" not in out  # readers have the write-ups' titles, not our numbering
    for name, exp in EXPERIMENTS.items():
        row = next(i for i, line in enumerate(lines) if line.startswith(f"  {name} "))
        group = max(i for i in headers if i < row)
        assert headers[group] == exp.write_up, name


def test_an_experiment_must_name_its_write_up():
    from roughgrad.experiments.base import Experiment

    exp = EXPERIMENTS["clock"]
    with pytest.raises(TypeError, match="must start with 'write-up NNN', one of 000, 001"):
        Experiment(**{**exp.__dict__, "source": "a blog post"})


def test_describe_lists_config_keys(capsys):
    code, out, _ = call(["describe", "sin-frequency"], capsys)
    assert code == 0
    for key in ("target_freq", "x_range", "batch_size", "lr", "steps", "n_inits"):
        assert f"  {key} " in out
    assert "[a number > 0" in out  # ranges, as --set checks them
    code, out, _ = call(["describe", "digits-bnn"], capsys)
    assert "[one of 'voltage', 'membrane', 'spikes'; default membrane]" in out
    quick = next(line for line in out.splitlines() if line.startswith("  quick "))
    assert "steps=20" in quick and "{" not in quick  # profiles as --set takes them


def test_run_without_a_name_prints_its_usage(capsys):
    code, _, err = call(["run"], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "Missing argument 'NAME'. Usage: roughgrad run [OPTIONS] NAME" in err
    assert "roughgrad list" in err


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("roughgrad run digits-b", ["digits-bnn"]),
        ("roughgrad describe snake-c", ["snake-cycles", "snake-coefficients"]),
        ("roughgrad run digits-bnn --set dt_", ["dt_short=", "dt_mid=", "dt_long="]),
        ("roughgrad landscape mollify --set see", ["seed="]),
    ],
)
def test_shell_completion_completes_names_and_config_keys(words, expected):
    env = {**os.environ, "_ROUGHGRAD_COMPLETE": "bash_complete", "COMP_WORDS": words}
    env["COMP_CWORD"] = str(len(words.split()) - 1)
    out = subprocess.run(
        [sys.executable, "-m", "roughgrad.cli"], env=env, capture_output=True, text=True
    )
    assert sorted(line.split(",", 1)[1] for line in out.stdout.split()) == sorted(expected)


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["list"], ["describe", "clock"]])
def test_the_cli_starts_without_importing_experiments_or_plotting(args):
    """--help, --version, list and describe read the catalog only (they start in well under
    the time of `import torch`)."""
    code = (
        "import sys\nfrom roughgrad.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit as e:\n    assert not e.code\n"
        "heavy = ('torch', 'matplotlib', 'scipy', 'sklearn', 'roughgrad.experiments')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.slow
def test_run_json_schema_and_overrides(tmp_path, capsys):
    code, out, _ = call(
        [
            "run",
            "sin-frequency",
            *QUICK,
            "--set",
            "steps=500",
            "--set",
            "n_inits=3",
            "--seed",
            "5",
            "--out",
            str(tmp_path),
            "--json",
        ],
        capsys,
    )
    assert code == 0
    obj = json.loads(out)  # stdout is exactly one JSON object
    keys = {"experiment", "status", "config", "metrics", "claims", "run_dir", "healthy", "health"}
    assert set(obj) == keys
    assert obj["status"] == "complete" and obj["healthy"] is True
    assert [h["met"] for h in obj["health"]] == [True]  # the curvature matches A^2 x_max^2 / 3
    assert obj["experiment"] == "sin-frequency"
    assert (obj["config"]["steps"], obj["config"]["n_inits"], obj["config"]["seed"]) == (500, 3, 5)
    assert "sgd_recovery_rate" in obj["metrics"]
    for claim in obj["claims"]:
        assert set(claim) == {"name", "holds", "status", "evidence"}
        assert claim["status"] in ("holds", "does not hold", "inconclusive", "not checked")
        assert claim["holds"] is {"holds": True, "does not hold": False}.get(claim["status"])
    assert {"sgd_fails", "spectral_recovers"} <= {c["name"] for c in obj["claims"]}
    run_dir = tmp_path / "sin-frequency"
    assert list(run_dir.iterdir()) == [Path(obj["run_dir"])]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["run", "no-such-experiment"],
            "unknown experiment 'no-such-experiment'; `roughgrad list`",
        ),
        (
            ["run", "sin-frequncy"],
            "unknown experiment 'sin-frequncy'; did you mean 'sin-frequency'",
        ),
        (["run", "sin-frequency", "--set", "bogus=1"], "unknown config key 'bogus'; known: "),
        (["run", "sin-frequency", "--set", "target_frq=1"], "did you mean 'target_freq'?"),
        (["run", "sin-frequency", "--set", "steps=ten"], "bad value for steps: 'ten'"),
        (["run", "sin-frequency", "--set", "lr=0"], "lr=0.0 is out of range: it must be > 0"),
        (["run", "sin-frequency", "--set", "steps"], "--set takes key=value"),
        (["run", "sin-frequency", "--profile", "huge"], "'huge' is not one of"),
        (["run", "sin-frequency", "--device", "cuda:0"], "CUDA is not available"),
        (["describe", "nope"], "unknown experiment 'nope'"),
        (["report", "/nonexistent/run"], "is not a finished run directory"),
        (["run", "digits-ann", "--set", "data=mnist"], "data=mnist needs data_dir=DIR"),
        (
            ["run", "digits-ann", "--set", "data=mnist", "--set", "data_dir=/nonexistent/mnist"],
            "/nonexistent/mnist: not found",
        ),
        (["run", "digits-bnn", "--set", "methods=autodiff,sgd"], "methods=autodiff,sgd is not"),
        (["run", "digits-bnn", "--set", "dt_long=0.5"], "dt_long=0.5 is out of range"),
        (["run", "digits-bnn", "--set", "samples=1"], "samples=1 is out of range"),
        (["run", "hh-fi-curve", "--set", "dt=0"], "dt=0.0 is out of range: it must be > 0"),
        (["run", "hh-fi-curve", "--set", "dt=0.5"], "dt=0.5 is out of range: it must be <= 0.1"),
        (
            ["run", "hh-fi-curve", "--set", "dt=0.05", "--set", "method=euler"],
            "outside the stable range of the euler integrator",
        ),
        (["run", "mollify", "--set", "dt=-0.01"], "dt=-0.01 is out of range"),
        (["run", "digits-ann", "--set", "sigma=0"], "sigma=0.0 is out of range"),
        (["run", "digits-ann", "--set", "samples=0"], "samples=0 is out of range"),
        (["run", "digits-ann", "--set", "hidden=-5"], "hidden=-5 is out of range"),
        (["run", "digits-ann", "--set", "lr=nan"], "bad value for lr: 'nan'"),
        (["run", "hh-complete-graph", "--set", "zoom=40,15"], "two numbers lo,hi with lo < hi"),
        (["run", "cross-correlation-loss", "--set", "w_range=1,1"], "lo < hi"),
        (["landscape", "sin-frequency", "--span", "0"], "'--span': 0.0 is not in the range"),
        (["run", "sin-frequency", "--checkpoint-every", "0"], "'--checkpoint-every': 0 is not"),
        (["run", "sin-frequency", "--resume", "/nonexistent/run"], "is not a run directory"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, fragment, tmp_path, capsys):
    if args[:1] == ["run"]:
        args = [*args, "--out", str(tmp_path / "out")]
    if "cuda:0" in args and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code, out, err = call(args, capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert fragment in lines[0]
    assert not (tmp_path / "out").exists(), "nothing is written on bad input"


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda d: _write_idx(d, corrupt="t10k-images-idx3-ubyte"), "truncated"),
        (lambda d: (_write_idx(d), (d / "train-labels-idx1-ubyte.gz").unlink()), "missing"),
        (lambda d: _npz(d / "mnist.npz", x_train=np.zeros((4, 27, 28))), "shape (4, 27, 28)"),
        (lambda d: _npz(d / "mnist.npz", x_train=np.full((4, 28, 28), np.nan)), "NaN"),
    ],
)
def test_bad_data_files_are_one_line_exit_2(tmp_path, capsys, make, fragment):
    data = tmp_path / "mnist"
    data.mkdir()
    make(data)
    args = ["run", "digits-ann", "--set", "data=mnist", "--set", f"data_dir={data}"]
    code, out, err = call([*args, "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and fragment in err and str(data) in err
    assert not (tmp_path / "out").exists()


def test_unwritable_output_is_one_line_exit_2(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    code, out, err = call(["run", "sin-frequency", *QUICK, "--out", str(blocker / "x")], capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "cannot create run directory" in err
    assert blocker.read_text() == "not a directory"


def test_existing_run_dir_is_not_overwritten(tmp_path, capsys):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "precious.txt").write_text("keep me")
    code, _, err = call(["run", "sin-frequency", *QUICK, "--run-dir", str(target)], capsys)
    assert code == 2
    assert "already exists" in err
    assert [p.name for p in target.iterdir()] == ["precious.txt"]
    assert (target / "precious.txt").read_text() == "keep me"


@pytest.mark.slow
def test_report_rebuilds_from_run_dirs(tmp_path, capsys, quick_runs):
    record = quick_runs("sin-frequency")
    code, _, _ = call(["report", str(record.run_dir), "--out", str(tmp_path / "rep")], capsys)
    assert code == 0
    page = (tmp_path / "rep" / "index.html").read_text()
    assert "sin-frequency" in page
    for claim in record.claims:
        assert claim["name"] in page
    assert "data:image/png;base64," in page


@pytest.mark.slow
def test_reproduce_runs_and_writes_the_report(tmp_path, capsys):
    code, _, err = call(
        [
            "reproduce",
            "--profile",
            "quick",
            "--no-progress",
            "--only",
            "sin-frequency",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 0, err
    page = (tmp_path / "report" / "index.html").read_text()
    assert "<h2>sin-frequency</h2>" in page
    assert len(list((tmp_path / "sin-frequency").iterdir())) == 1


@pytest.mark.slow
def test_report_has_every_experiment_and_claim(tmp_path):
    """Every experiment's section and every claim, in each of the four statuses; a run that
    missed its floors is flagged (records made from the registry: no experiment runs)."""
    from roughgrad.runs.runner import RunRecord

    statuses = ("holds", "does not hold", "inconclusive", "not checked")
    records = []
    for i, (name, exp) in enumerate(EXPERIMENTS.items()):
        run_dir = tmp_path / name
        run_dir.mkdir()
        claims = [
            {"name": c.name, "holds": None, "status": statuses[(i + j) % 4], "evidence": "e"}
            for j, c in enumerate(exp.claims)
        ]
        health = [{"met": i != 0, "floor": "what = 0.1 (floor 0.5)"}]
        records.append(RunRecord(name, "quick", {}, {}, claims, run_dir, health=health))
    page = build_report(records, tmp_path, {n: (e.source, e.doc) for n, e in EXPERIMENTS.items()})
    html = page.read_text()
    for record in records:
        assert f"<h2>{record.experiment}</h2>" in html
        assert escape(cite(EXPERIMENTS[record.experiment].source)) in html
        for claim in record.claims:
            assert f"<code>{claim['name']}</code>" in html
    tally = claim_tally(records)
    assert sum(tally.values()) == sum(len(r.claims) for r in records)
    assert all(tally[s] > 0 for s in statuses)
    assert (
        f"{tally['holds']} hold,\n{tally['does not hold']} do not hold, "
        f"{tally['inconclusive']} inconclusive,\n{tally['not checked']} not checked" in html
    )
    assert html.count("Not a healthy run") == 1
    assert "class='inconclusive'" in html


@pytest.mark.slow
def test_a_claim_not_checked_is_reported_with_its_reason(tmp_path, capsys):
    # snake-extrapolation without tanh cannot compare Snake with tanh: reported, not dropped
    code, out, _ = call(
        [
            "run",
            "snake-extrapolation",
            "--profile",
            "quick",
            "--set",
            "models=snake,relu,spectral",
            "--set",
            "steps=20",
            "--set",
            "animate=snake",
            "--out",
            str(tmp_path),
            "--json",
            "--no-progress",
        ],
        capsys,
    )
    assert code == 0
    claims = {c["name"]: c for c in json.loads(out)["claims"]}
    tanh = claims["snake_beats_tanh_extrapolation"]
    assert tanh["status"] == "not checked" and tanh["holds"] is None
    assert "not checked" in tanh["evidence"]


@pytest.mark.slow
def test_installed_entry_point_runs():
    out = subprocess.run(
        [sys.executable, "-m", "roughgrad.cli", "list"], capture_output=True, text=True, check=True
    )
    assert "sin-frequency" in out.stdout


@pytest.mark.slow
def test_a_failing_part_keeps_the_other_results_and_exits_1(tmp_path, capsys, monkeypatch):
    import importlib

    clock = importlib.import_module("roughgrad.experiments.clock.run")  # where run finds _search

    search = clock._search

    def broken(name, *args, **kw):
        if name == "gelu":
            raise RuntimeError("out of memory (simulated)")
        return search(name, *args, **kw)

    monkeypatch.setattr(clock, "_search", broken)
    small = ["--set", "n_train=2000", "--set", "n_test=1000", "--set", "baseline_steps=5"]
    code, _, err = call(["run", "clock", *QUICK, *small, "--run-dir", str(tmp_path / "r")], capsys)
    assert code == 1
    assert "Traceback" not in err
    assert "clock failed in part: gelu (short span): RuntimeError: out of memory" in err
    info = json.loads((tmp_path / "r" / "run.json").read_text())
    assert info["status"] == "failed" and "gelu (full span)" in info["error"]
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["exact_match_periodic"] == 1.0  # the other parts' results are all there
    assert metrics["exact_match_gelu"] == 0.0 and "exact_match_siren" in metrics
    assert (tmp_path / "r" / "figures" / "clock_accuracy.png").is_file()
    page = build_report([load_run(tmp_path / "r")], tmp_path / "report").read_text()
    assert "This run failed in part: gelu (short span): RuntimeError" in page


def test_a_figure_that_fails_to_draw_keeps_the_measurements(tmp_path, capsys, monkeypatch):
    import dataclasses
    import importlib

    module = importlib.import_module("roughgrad.experiments.sin_gradient_field")

    def broken(outcome, config):
        raise KeyError("a missing array (simulated)")

    broken_exp = dataclasses.replace(module.EXPERIMENT, name="sin-gradient-field", figures=broken)
    cli = importlib.import_module("roughgrad.cli")  # the registry caches loaded experiments
    monkeypatch.setattr(cli, "_experiment", lambda name: broken_exp)
    code, _, err = call(
        ["run", "sin-gradient-field", "--profile", "quick", "--run-dir", str(tmp_path / "r")],
        capsys,
    )
    assert code == 1 and "Traceback" not in err
    assert "its figures failed: KeyError" in err
    info = json.loads((tmp_path / "r" / "run.json").read_text())
    assert info["status"] == "failed" and info["error"].startswith("figures: KeyError")
    assert json.loads((tmp_path / "r" / "claims.json").read_text())  # the claims are kept
    assert "basin_width_raw" in json.loads((tmp_path / "r" / "metrics.json").read_text())


def test_the_claims_summary_goes_to_stdout_and_progress_to_stderr(tmp_path, capsys):
    """`roughgrad run NAME > out.txt` keeps the claims in out.txt."""
    code, out, err = call(
        ["run", "sin-gradient-field", "--profile", "quick", "--out", str(tmp_path)], capsys
    )
    assert code == 0, err
    assert "sin-gradient-field: basin_matches_theory: " in out
    assert "basin_matches_theory" not in err and "run directory" in err


def test_without_a_terminal_a_line_comes_at_least_every_period_between_loops(capsys):
    import time

    from roughgrad.runs.console import progress

    with progress(True, every=0.3) as bar:
        for _ in bar.track(range(2), total=2, description="first loop"):
            pass
        time.sleep(1.0)  # work outside any tracked loop
    err = capsys.readouterr().err
    assert "still running" in err and "first loop: 2/2" in err


def test_reproduce_resume_names_a_folder_and_refuses_a_second_one(tmp_path, capsys):
    """--resume names what it continues, as run's does: a reproduce's folder (alone: --out's);
    naming two different folders is one line and runs nothing."""
    args = ["reproduce", "--only", "sin-gradient-field", "--profile", "quick"]
    code, out, err = call(
        [*args, "--out", str(tmp_path / "a"), "--resume", str(tmp_path / "b")], capsys
    )
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "name different folders" in err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    code, _, err = call([*args, "--out", str(tmp_path / "a"), "--resume", "."], capsys)
    assert code == 2 and "--resume . and --out" in err  # "." is a folder, not the bare flag
