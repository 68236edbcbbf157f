"""The code base is ruff clean and the library never imports the CLI, runs or experiments."""

from __future__ import annotations

import ast
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
        if rel[0] in ("experiments", "runs", "cli.py") or rel[0].startswith("_cli"):
            continue
        assert not upper.search(path.read_text()), f"{path} imports experiments/runs/cli"


def _import_graph() -> dict[str, set[str]]:
    """Module -> the roughgrad modules it imports, at module level or inside a function."""
    modules = {}
    for path in LIBRARY.rglob("*.py"):
        parts = list(path.relative_to(LIBRARY.parent).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path

    def known(name: str) -> str:
        while name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        return name if name in modules else ""

    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.startswith("roughgrad") and known(name) not in ("", module):
                    graph[module].add(known(name))
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` (a list of modules, the first repeated last), or []."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_no_import_cycle():
    """No module imports one that imports it back, not even inside a function."""
    graph = _import_graph()
    assert "roughgrad.neurons.backends" in graph["roughgrad.neurons.layered.hh"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle(graph) == []


def test_simulator_dispatch_lives_in_the_backends():
    """No neuron module outside ``neurons/backends`` branches on a backend's name."""
    dispatch = re.compile(r"""(backend|loop)\s*[!=]=|==\s*["'](fused|compile|torch)["']""")
    for path in (LIBRARY / "neurons").rglob("*.py"):
        if "backends" not in path.parts:
            assert not dispatch.search(path.read_text()), f"{path} dispatches on a backend name"


def test_no_source_file_passes_300_lines():
    """Files split by what they do (computing, claims, plots; a command's options, its output)
    before they grow past what a reader holds at once."""
    long = {
        str(p.relative_to(LIBRARY)): n
        for p in LIBRARY.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 300
    }
    assert not long, f"split these files: {long}"


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
