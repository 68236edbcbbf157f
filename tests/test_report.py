"""The HTML report: provenance, profile banner, contents with tallies, claims linked to their
figures and metrics, rendered docstrings, rounded numbers, relative paths, readable files."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest
from PIL import Image

from roughgrad.runs import build_report, load_run
from roughgrad.runs.html import render_doc, value_text

DOC = """One line.

Question: does *Loss Landscapes Emerging from BNNs* hold? See :func:`roughgrad.train.fit` and
``sigma``.

* a list item
  continued
* another

Claims checked:
  a_claim       what it checks
"""


def _run(root: Path, name: str, profile: str, claims: list[tuple[str, bool | None]]) -> Path:
    d = root / name / "20261201-000000-abcdef"
    (d / "figures").mkdir(parents=True)
    info = {"experiment": name, "profile": profile, "status": "complete"}
    info |= {"started": "2026-12-01T10:00:00+00:00", "finished": "2026-12-01T10:03:00+00:00"}
    env = {"roughgrad": "0.1.0", "git_commit": "0123456789abcdef", "python": "3.11.7"}
    env |= {"torch": "2.13.0+cpu", "platform": "Linux", "cpu_count": 2, "device": "cpu"}
    files = {
        "run.json": info,
        "env.json": env,
        "config.json": {"seed": 0, "lrs": [0.1234567, 1e-5]},
        "metrics.json": {"loss": 0.123456789, "curve": [1.0 / 3, 2.0 / 3]},
        "claims.json": [{"name": n, "holds": h, "evidence": f"evidence of {n}"} for n, h in claims],
    }
    for file, obj in files.items():
        (d / file).write_text(json.dumps(obj))
    Image.new("RGB", (8, 8)).save(d / "figures" / "curve.png")
    return d


@pytest.fixture
def page(tmp_path):
    old = os.umask(0o022)
    try:
        runs = [
            _run(tmp_path / "runs", "alpha", "quick", [("first", True), ("second", False)]),
            _run(tmp_path / "runs", "beta", "quick", [("third", None)]),
        ]
        path = build_report(
            [load_run(r) for r in runs], tmp_path / "report", {"alpha": ("write-up 003, 'S'", DOC)}
        )
    finally:
        os.umask(old)
    return path


def test_the_page_names_version_commit_environment_and_profile(page):
    html = page.read_text()
    assert "roughgrad 0.1.0" in html and "0123456789ab" in html
    assert "Python 3.11.7" in html and "torch 2.13.0+cpu" in html and "2 CPUs" in html
    assert "class='banner reduced'" in html and "<b>quick</b>" in html
    assert "Loss Landscapes Emerging from BNNs: &#x27;S&#x27;" in html  # the source by title


def test_the_page_says_how_long_the_runs_took_from_first_start_to_last_finish(page):
    assert "2 run(s) in 3.0 min wall (the first start to the last finish)" in page.read_text()


def test_contents_tally_each_experiment_and_every_link_resolves(page):
    html = page.read_text()
    nav = html[html.index("<nav") : html.index("</nav>")]
    assert re.findall(r"href='#run-\d-(\w+)'", nav) == ["alpha", "beta"]
    assert "1/2</span>" in nav and "0/1</span>" in nav
    ids = set(re.findall(r"id=[\"']([^\"']+)[\"']", html))
    targets = re.findall(r"href=[\"']#([^\"']+)[\"']", html)
    assert targets and set(targets) <= ids
    # every claim links to its run's figures and metrics
    assert html.count("href='#run-0-alpha-figures'") == 4  # 2 claims, in the table and section
    assert "id='run-0-alpha-metrics'" in html
    # run directories are relative to the report, and resolve
    for rel in re.findall(r'run directory: <a href="([^"]+)"', html):
        assert not rel.startswith("/") and (page.parent / rel / "run.json").is_file()


def test_numbers_are_rounded_and_docstrings_rendered(page):
    html = page.read_text()
    assert "0.1235" in html and "0.123456789" not in html
    assert "[0.3333, 0.6667]" in html
    assert "<em>Loss Landscapes Emerging from BNNs</em>" in html
    assert "<code>roughgrad.train.fit</code>" in html and "<code>sigma</code>" in html
    assert "<li>a list item continued</li>" in html
    assert "<pre>a_claim       what it checks</pre>" in html


def test_report_files_follow_the_umask(page):
    assert stat.S_IMODE(page.stat().st_mode) == 0o644


def test_a_default_profile_gets_a_plain_banner(tmp_path):
    run = _run(tmp_path, "alpha", "default", [("first", True)])
    html = build_report([load_run(run)], tmp_path / "r").read_text()
    assert "class='banner'>Profile: <b>default</b>" in html


def test_value_text_and_render_doc_edge_cases():
    assert value_text(None) == "none" and value_text(True) == "true"
    assert value_text([1e-7, 123456.0]) == "[1e-07, 1.235e+05]"
    assert value_text(list(range(100)), limit=20).endswith(" ...]")
    assert render_doc("a <b> & c") == "<p>a &lt;b&gt; &amp; c</p>"
