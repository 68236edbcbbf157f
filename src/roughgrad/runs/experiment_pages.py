"""docs/experiments/: one page per experiment, with its question, claims and figures.

Generated, never edited by hand: ``roughgrad claims --runs OUT`` copies the figures of the newest
complete default-profile run of each experiment under ``OUT`` into
``docs/experiments/figures/NAME/`` (with that run's ``run.json`` and ``env.json``) and rewrites
the pages; without ``--runs`` the pages are rebuilt from the catalog, the saved claim statuses
and the figures already there. A test rebuilds them and fails when a committed page is stale.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from roughgrad import _catalog
from roughgrad.config import set_text
from roughgrad.runs.html import ROLE, doc_blocks
from roughgrad.runs.rundir import read_json


def doc_markdown(text: str) -> str:
    """An experiment docstring as Markdown (blocks: :func:`roughgrad.runs.html.doc_blocks`):
    ``code`` and roles as `code`, preformatted blocks (the claims table) fenced as text."""
    out = []
    for kind, lead, body in doc_blocks(text):
        if kind == "list":
            out.append("\n".join(f"* {_inline(item)}" for item in body.split("\n")))
        elif kind == "pre":
            fence = f"```text\n{body}\n```"
            out.append(f"{_inline(lead)}\n\n{fence}" if lead else fence)
        else:
            out.append(_inline(body))
    return "\n\n".join(out) + "\n"


def _inline(text: str) -> str:
    return ROLE.sub(r"`\1`", text).replace("``", "`")


def copy_figures(root: Path, docs: Path, runs: dict[str, str]) -> None:
    """Copy each experiment's figures from ``root/NAME/RUN`` (``runs``: name -> run folder)."""
    for name, run in runs.items():
        src, dst = Path(root) / name / run, Path(docs) / "experiments" / "figures" / name
        if not (src / "figures").is_dir():
            continue
        shutil.rmtree(dst, ignore_errors=True)
        dst.mkdir(parents=True)
        for path in sorted((src / "figures").iterdir()):
            if path.suffix in (".png", ".gif"):
                shutil.copy2(path, dst / path.name)
        for meta in ("run.json", "env.json"):
            if (src / meta).is_file():
                shutil.copy2(src / meta, dst / meta)


def _provenance(folder: Path) -> str:
    if not (folder / "run.json").is_file():
        return ""
    info: dict[str, Any] = read_json(folder / "run.json")
    env = read_json(folder / "env.json") if (folder / "env.json").is_file() else {}
    commit = str(env.get("git_commit") or "unknown")[:10]
    return (
        f"Figures from a `{info.get('profile', '?')}`-profile run started "
        f"{str(info.get('started', '?'))[:16].replace('T', ' ')} UTC, roughgrad commit "
        f"`{commit}`, torch {env.get('torch', '?')} on {env.get('cpu_count', '?')} CPU cores."
    )


def page(name: str, entry: dict[str, Any], status: dict[str, str], docs: Path) -> str:
    """The Markdown page of one experiment."""
    lines = [
        f"# {name}",
        "",
        f"{entry['summary'][:1].upper()}{entry['summary'][1:]}.",
        "",
        f"Source: *{_catalog.cite(entry['source'])}* ([the four write-ups](../sources.md)). "
        f"Run it with `roughgrad run {name}`; `roughgrad describe {name}` lists its config keys.",
        "",
        "## Question and claims",
        "",
        doc_markdown(entry["doc"]),
        "## Status",
        "",
        "In the last default-profile reproduction ([all claims](../claims.md)):",
        "",
        "| claim | status |",
        "|---|---|",
        *(f"| `{c}` | {status.get(c, 'not run')} |" for c in entry["claims"]),
        "",
    ]
    folder = Path(docs) / "experiments" / "figures" / name
    figures = sorted(p for p in folder.glob("*") if p.suffix in (".png", ".gif"))
    if figures:
        lines += ["## Figures", "", _provenance(folder), ""]
        for path in figures:
            lines += [f"![{path.stem}](figures/{name}/{path.name})", "", f"*{path.name}*", ""]
    profiles = entry["profiles"]
    lines += ["## Profiles", "", "| profile | overrides |", "|---|---|"]
    for p in ("quick", "default", "full"):
        sets = " ".join(f"{k}={set_text(v)}" for k, v in profiles[p].items()) or "(the defaults)"
        lines.append(f"| `{p}` | `{sets}` |" if profiles[p] else f"| `{p}` | {sets} |")
    return "\n".join(lines) + "\n"


def index_page(status: dict[str, dict[str, str]]) -> str:
    """docs/experiments/index.md: every experiment by write-up, with its claim tally."""
    lines = [
        "# Experiments",
        "",
        "One page per experiment: its question, claims, figures "
        "from a default-profile run, and profiles.",
        "",
    ]
    for key, (title, topic) in _catalog.SOURCES.items():
        lines += [
            f"## {title}",
            "",
            f"*{topic}*",
            "",
            "| experiment | what | claims hold |",
            "|---|---|---|",
        ]
        for name, e in _catalog.catalog().items():
            if e["seed"] == key:
                held = sum(status.get(name, {}).get(c) == "holds" for c in e["claims"])
                lines.append(
                    f"| [{name}]({name}.md) | {e['summary']} | {held}/{len(e['claims'])} |"
                )
        lines.append("")
    return "\n".join(lines)


def write_experiment_pages(docs: Path, status: dict[str, dict[str, str]]) -> list[Path]:
    """Write docs/experiments/NAME.md for every experiment and the index; return the paths."""
    folder = Path(docs) / "experiments"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, entry in _catalog.catalog().items():
        path = folder / f"{name}.md"
        path.write_text(page(name, entry, status.get(name, {}), Path(docs)), encoding="utf-8")
        paths.append(path)
    (folder / "index.md").write_text(index_page(status), encoding="utf-8")
    return [*paths, folder / "index.md"]
