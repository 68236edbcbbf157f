"""Every Python code block in the documentation runs, as written (the README's: test_readme).

The blocks of one page run in order in one namespace (a page may build on its earlier blocks),
in a temporary working directory. A block that only shows output or a fragment uses another
fence (```text). Pages are parametrised, so a failure names the page and the block's line.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(
    p for p in (ROOT / "docs").rglob("*.md") if "```python" in p.read_text(encoding="utf-8")
)
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks(page: Path) -> list[tuple[int, str]]:
    """(line number, code) of every ```python block of ``page``."""
    text = page.read_text(encoding="utf-8")
    return [(text[: m.start()].count("\n") + 1, m.group(1)) for m in _BLOCK.finditer(text)]


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_code_block_runs(page, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    for line, code in blocks(page):
        try:
            exec(compile(code, f"{page.name}:{line}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(
                f"{page.relative_to(ROOT)}, block at line {line}: {exc!r}"
            ) from exc


def test_the_docs_have_code_to_run():
    names = {p.relative_to(ROOT).as_posix() for p in PAGES}
    assert any(n.startswith("docs/tutorials/") for n in names)


def test_the_site_ships_its_math_renderer_and_opens_from_disk():
    """Math renders offline (KaTeX shipped under docs/assets, nothing from a CDN) and links end
    in .html with offline search, so the site built by `mkdocs build` works opened from disk."""
    import yaml

    root = Path(__file__).resolve().parents[1]
    config = yaml.safe_load((root / "mkdocs.yml").read_text().replace("!relative", ""))
    assert config["use_directory_urls"] is False
    plugins = [p if isinstance(p, str) else next(iter(p)) for p in config["plugins"]]
    assert {"search", "offline"} <= set(plugins)
    for asset in [*config["extra_javascript"], *config["extra_css"]]:
        assert "://" not in asset, f"{asset}: loaded from the network"
        assert (root / "docs" / asset).is_file(), asset
    fonts = root / "docs" / "assets" / "katex" / "fonts"
    css = (root / "docs" / "assets" / "katex" / "katex.min.css").read_text()
    woff2 = set(re.findall(r"fonts/([\w-]+\.woff2)", css))
    assert woff2 and all((fonts / name).is_file() for name in woff2)
