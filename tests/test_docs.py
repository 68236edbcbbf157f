"""Every Python code block in the documentation runs, as written (the README's: test_readme),
and prints what the page shows.

The blocks of one page run in order in one namespace (a page may build on its earlier blocks),
in a temporary working directory. A block that only shows output or a fragment uses another
fence (```text). A block followed by an output block (a ```text fence titled "Output") must
print exactly that, and a figure a block saves (``fig.savefig("name.png")``) must be on the
page, from ``docs/assets/tutorials/PAGE/name.png``. Regenerate both after changing a page:

    python tests/test_docs.py docs/tutorials/fix-it.md ...

Pages are parametrised, so a failure names the page and the block's line.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import sys
import tempfile
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(
    p for p in (ROOT / "docs").rglob("*.md") if "```python" in p.read_text(encoding="utf-8")
)
_BLOCK = re.compile(
    r"^```python\n(?P<code>.*?)^```\n"
    r"(?P<output>\n*```text title=\"Output\"\n(?P<printed>.*?)^```\n)?",
    re.S | re.M,
)


def blocks(page: Path) -> list[tuple[int, str, str | None]]:
    """(line number, code, the output block's text or None) of every ```python block."""
    text = page.read_text(encoding="utf-8")
    return [
        (text[: m.start()].count("\n") + 1, m.group("code"), m.group("printed"))
        for m in _BLOCK.finditer(text)
    ]


def run_page(page: Path, workdir: Path) -> list[tuple[str, list[str]]]:
    """Run a page's blocks in ``workdir``; (what each printed, the figures it saved)."""
    matplotlib.use("Agg")
    namespace: dict = {"__name__": "__docs__"}
    results = []
    for line, code, _ in blocks(page):
        before = set(workdir.glob("*.png"))
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(code, f"{page.name}:{line}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(
                f"{page.relative_to(ROOT)}, block at line {line}: {exc!r}"
            ) from exc
        saved = sorted(p.name for p in set(workdir.glob("*.png")) - before)
        results.append((out.getvalue(), saved))
    return results


def assets(page: Path) -> Path:
    return ROOT / "docs" / "assets" / "tutorials" / page.stem


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_code_block_runs(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = page.read_text(encoding="utf-8")
    for (line, _, shown), (printed, saved) in zip(
        blocks(page), run_page(page, tmp_path), strict=True
    ):
        if shown is not None:
            assert printed.rstrip() == shown.rstrip(), (
                f"{page.relative_to(ROOT)}, block at line {line} printed something else than "
                "its Output block: run `python tests/test_docs.py PAGE`"
            )
        for name in saved:
            image = assets(page) / name
            assert image.is_file() and image.relative_to(ROOT / "docs").as_posix() in (
                text.replace("../", "")
            ), f"{page.relative_to(ROOT)}: {name} is not on the page"


def write_outputs(page: Path) -> None:
    """Run ``page`` and write what each block printed into its Output block (added after a
    block that prints), and the figures it saved into docs/assets/tutorials/PAGE/."""
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        results = run_page(page, Path(tmp))
        for _, saved in results:
            for name in saved:
                assets(page).mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(tmp) / name, assets(page) / name)
    outputs = iter(results)

    def replace(m: re.Match) -> str:
        printed, _ = next(outputs)
        block = f"```python\n{m.group('code')}```\n"
        if printed.strip():
            block += f'\n```text title="Output"\n{printed.rstrip()}\n```\n'
        return block

    text = page.read_text(encoding="utf-8")
    page.write_text(_BLOCK.sub(replace, text), encoding="utf-8")


def test_the_docs_have_code_to_run():
    names = {p.relative_to(ROOT).as_posix() for p in PAGES}
    assert any(n.startswith("docs/tutorials/") for n in names)


def test_the_site_ships_its_math_renderer_and_opens_from_disk():
    """Math renders offline (KaTeX shipped under docs/assets, nothing from a CDN) and links end
    in .html with offline search, so the site built by `mkdocs build` works opened from disk."""
    import yaml

    root = ROOT
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


if __name__ == "__main__":
    for name in sys.argv[1:]:
        write_outputs(Path(name).resolve())
        print(f"wrote the outputs of {name}")
