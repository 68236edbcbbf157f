"""The code base is ruff clean and the library never imports the CLI, runs or experiments."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "src" / "roughgrad"


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is in the test extra")
def test_ruff_clean():
    out = subprocess.run(
        ["ruff", "check", "src", "tests", "examples"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_imports_point_one_way():
    upper = re.compile(r"^\s*(from|import)\s+roughgrad\.(experiments|runs|cli)\b", re.M)
    for path in LIBRARY.rglob("*.py"):
        rel = path.relative_to(LIBRARY).parts
        if rel[0] in ("experiments", "runs", "cli.py"):
            continue
        assert not upper.search(path.read_text()), f"{path} imports experiments/runs/cli"


def test_only_plot_imports_matplotlib():
    mpl = re.compile(r"^\s*(from|import)\s+matplotlib", re.M)
    for path in LIBRARY.rglob("*.py"):
        rel = path.relative_to(LIBRARY).parts
        if rel[0] in ("plot", "experiments", "runs", "cli.py"):
            continue
        assert not mpl.search(path.read_text()), f"{path} imports matplotlib"


def test_docstrings_cross_reference_the_mkdocstrings_way():
    """No Sphinx roles (``:func:`x` ``): the API pages would show them as raw text. Docstrings
    link with ``[`name`][roughgrad.module.name]`` (checked by `mkdocs build --strict`)."""
    role = re.compile(r":(func|class|mod|meth|data|attr|obj):`")
    for path in LIBRARY.rglob("*.py"):
        assert not role.search(path.read_text()), f"{path}: a Sphinx role"
