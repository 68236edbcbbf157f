"""Sweeps: grid and seed parsing, bad input, and the same per-run metrics on a local process pool
and on a local Ray instance of 2 CPUs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from roughgrad.experiments import ConfigError
from roughgrad.runs.sweep import SweepSpec, parse_grid, parse_seeds
from test_cli import call

pytestmark = pytest.mark.slow

NAME = "sin-gradient-field"  # quick profile: under a second per run
GRID = ["--grid", "target_freq=31,20", "--seeds", "0-1", "--profile", "quick", "--no-progress"]


def test_seed_lists_parse():
    assert parse_seeds("0-3") == (0, 1, 2, 3)
    assert parse_seeds("5") == (5,)
    assert parse_seeds("0-2,7,1") == (0, 1, 2, 7)
    for bad in ("3-1", "a", "-1", "1-", ""):
        with pytest.raises(ConfigError, match="is not a seed list"):
            parse_seeds(bad)


def test_grid_parses_and_list_keys_split_on_semicolons():
    assert parse_grid(["lr=0.1,0.01"], "digits-ann") == {"lr": ("0.1", "0.01")}
    grid = parse_grid(["methods=autodiff,node_perturbation;autodiff"], "digits-ann")
    assert grid == {"methods": ("autodiff,node_perturbation", "autodiff")}
    spec = SweepSpec("digits-ann", "quick", {**grid, "lr": ("0.1", "0.01")}, (0, 1))
    assert len(spec.points()) == 4 and len(spec.tasks()) == 8


def run_sweep(tmp_path: Path, backend: str, capsys) -> tuple[list[dict], list[dict], str]:
    """(the aggregate, every run's grid point, seed and metrics without seconds, stderr)."""
    out = tmp_path / backend
    args = ["sweep", NAME, *GRID, "--backend", backend, "--jobs", "2", "--out", str(out), "--json"]
    code, stdout, err = call(args, capsys)
    assert code == 0, err
    agg = json.loads(stdout)
    (sweep_dir,) = (out / "sweeps" / NAME).iterdir()
    assert json.loads((sweep_dir / "aggregate.json").read_text()) == agg
    info = json.loads((sweep_dir / "sweep.json").read_text())
    assert len(info["runs"]) == 4 and info["backend"] == backend
    for run in info["runs"]:
        metrics = json.loads((sweep_dir / "runs" / run["run"] / "metrics.json").read_text())
        config = json.loads((sweep_dir / "runs" / run["run"] / "config.json").read_text())
        assert config["seed"] == run["seed"]
        assert config["target_freq"] == float(run["point"]["target_freq"])
        run["metrics"] = {k: v for k, v in metrics.items() if "seconds" not in k}
    assert (sweep_dir / "index.html").is_file() and list((sweep_dir / "figures").glob("*.png"))
    return agg, info["runs"], err


def test_local_and_ray_backends_give_the_same_per_run_metrics(tmp_path, capsys):
    pytest.importorskip("ray")
    agg, local, err = run_sweep(tmp_path, "local", capsys)
    _, ray, _ = run_sweep(tmp_path, "ray", capsys)
    assert local == ray
    by_seed = {r["seed"]: r["metrics"] for r in local if r["point"]["target_freq"] == "31"}
    assert by_seed[0] != by_seed[1], "different seeds give different metrics"
    # the aggregate: one entry per grid point, claims counted over seeds, spreads consistent
    assert [a["point"] for a in agg] == [{"target_freq": "31"}, {"target_freq": "20"}]
    for a in agg:
        assert a["runs"] == 2
        assert all(n == 2 for _, n in a["claims"].values())
        stats = next(iter(a["metrics"].values()))
        assert stats["n"] + stats["nan"] == 2 and stats["min"] <= stats["mean"] <= stats["max"]
    assert "claims held / runs" in err and "target_freq=31" in err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--grid", "seed=1,2"], "--grid seed=... is not allowed"),
        (["--grid", "bogus=1,2"], "unknown config key 'bogus'"),
        (["--grid", "zoom=-1,1"], "zoom=-1.0 is out of range"),
        (["--grid", "zoom="], "--grid zoom= has no values"),
        (["--seeds", "9-3"], "--seeds '9-3' is not a seed list"),
        (["--address", "1.2.3.4:6379"], "--address is for --backend ray"),
        (["--backend", "dask"], "'dask' is not one of"),
    ],
)
def test_bad_sweep_input_is_one_line_exit_2(tmp_path, capsys, args, fragment):
    code, out, err = call(["sweep", NAME, *args, "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert fragment in err
    assert not (tmp_path / "o").exists()


def test_ray_backend_without_ray_says_how_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    code, _, err = call(
        ["sweep", NAME, "--backend", "ray", "--profile", "quick", "--out", str(tmp_path / "o")],
        capsys,
    )
    assert code == 2 and "pip install 'roughgrad[ray]'" in err
    assert not (tmp_path / "o").exists()


def test_a_failed_run_is_reported_and_the_others_kept(tmp_path):
    """A run that raises (here: a fake executor's second run) is listed with its error; the
    sweep still aggregates, writes and reports the runs that finished."""
    from roughgrad.runs.sweep import run_sweep, run_task
    from roughgrad.runs.sweep_report import build_sweep_report

    spec = SweepSpec(NAME, "quick", {"target_freq": ("31",)}, (0, 1))

    def executor(tasks):
        yield 0, run_task(*tasks[0])
        yield 1, {"record": None, "error": "NumericalError: boom at update 3", "files": {}}

    sweep_dir = tmp_path / "sweep"
    agg, results, info = run_sweep(spec, executor, sweep_dir, meta={})
    assert len(results) == 1 and agg[0]["runs"] == 1
    assert agg[0]["failed"] == [
        {"run": "r001", "seed": 1, "error": "NumericalError: boom at update 3"}
    ]
    assert json.loads((sweep_dir / "sweep.json").read_text()) == info
    page = build_sweep_report(sweep_dir, info, agg).read_text()
    assert "Failed runs" in page and "boom at update 3" in page


def test_unreachable_ray_address_fails_fast_and_writes_nothing(tmp_path, capsys):
    pytest.importorskip("ray")
    args = ["sweep", NAME, "--profile", "quick", "--backend", "ray", "--address", "127.0.0.1:1"]
    code, out, err = call([*args, "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "cannot reach Ray at 127.0.0.1:1" in err
    assert not (tmp_path / "o").exists()
