"""The package as a user installs it: a wheel with its data files, whose `roughgrad` runs in a
fresh virtual environment; the files a package needs exist."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import roughgrad

ROOT = Path(__file__).resolve().parents[1]


def test_the_project_files_exist():
    for name in ("LICENSE", "CITATION.cff", "CHANGELOG.md", "src/roughgrad/py.typed"):
        assert (ROOT / name).is_file(), name
    assert len((ROOT / "README.md").read_bytes()) <= 10_000  # a landing page


@pytest.mark.slow
def test_a_built_wheel_installs_and_runs_in_a_fresh_environment(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = wheels.glob("roughgrad-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in ("roughgrad/catalog.json", "roughgrad/py.typed", "roughgrad/neurons/_hh_fused.c"):
        assert data in names, data
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    # list and --version need only click (they read the catalog, not torch): install the wheel
    # without its heavy dependencies, plus click, so the test stays fast
    pip = [py, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "--no-deps", str(wheel)], check=True)
    subprocess.run([*pip, "click"], check=True)
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run(
        [venv / "bin" / "roughgrad", "list"], capture_output=True, text=True, env=env, check=True
    )
    assert "sin-frequency" in out.stdout and "Loss Landscapes Emerging from BNNs" in out.stdout
    version = subprocess.run(
        [venv / "bin" / "roughgrad", "--version"], capture_output=True, text=True, env=env
    )
    assert version.returncode == 0 and roughgrad.__version__ in version.stdout
    where = subprocess.run(
        [py, "-c", "import roughgrad; print(roughgrad.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert where.stdout.startswith(str(venv)), where.stdout  # the wheel's copy, not the source


def test_the_version_is_one_number_everywhere_and_the_changelog_dates_it():
    """pyproject.toml, roughgrad.__version__ and the newest release in CHANGELOG.md agree, and
    that release has a date."""
    import re
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    assert project == roughgrad.__version__
    releases = re.findall(
        r"^## (\d+\.\d+\.\d+) - (\d{4}-\d{2}-\d{2})$", (root / "CHANGELOG.md").read_text(), re.M
    )
    assert releases and releases[0][0] == project, releases[:1]
