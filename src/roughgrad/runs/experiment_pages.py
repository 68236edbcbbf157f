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
from roughgrad.experiments.claims import claim_evidence
from roughgrad.runs.html import ROLE, doc_blocks
from roughgrad.runs.rundir import figure_caption, read_json


def blocks_markdown(blocks: list[tuple[str, str, str]]) -> str:
    """Docstring blocks (``roughgrad.runs.html.doc_blocks``) as Markdown: ``code`` and roles as
    `code`, preformatted blocks fenced as text."""
    out = []
    for kind, lead, body in blocks:
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
    """Copy each experiment's figures from ``root/NAME/RUN`` (``runs``: name -> run folder),
    with the run's ``run.json``, ``env.json`` and ``claims.json`` (the measured evidence)."""
    for name, run in runs.items():
        src, dst = Path(root) / name / run, Path(docs) / "experiments" / "figures" / name
        if not (src / "figures").is_dir():
            continue
        shutil.rmtree(dst, ignore_errors=True)
        dst.mkdir(parents=True)
        for path in sorted((src / "figures").iterdir()):
            if path.suffix in (".png", ".gif"):
                shutil.copy2(path, dst / path.name)
        for meta in ("run.json", "env.json", "claims.json"):
            if (src / meta).is_file():
                shutil.copy2(src / meta, dst / meta)


def _provenance(folder: Path) -> str:
    if not (folder / "run.json").is_file():
        return ""
    info: dict[str, Any] = read_json(folder / "run.json")
    env = read_json(folder / "env.json") if (folder / "env.json").is_file() else {}
    commit = str(env.get("git_commit") or "unknown")[:10]
    return (
        f"From a `{info.get('profile', '?')}`-profile run started "
        f"{str(info.get('started', '?'))[:16].replace('T', ' ')} UTC, roughgrad commit "
        f"`{commit}`, torch {env.get('torch', '?')} on {env.get('cpu_count', '?')} CPU cores."
    )


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|").replace("\n", " ")


def _question(doc: str) -> str:
    """The docstring without what the page shows elsewhere: its claims block (the claims table)
    and its "Source:" line (the page's header); a "Question:" label is dropped."""
    kept = []
    for kind, lead, body in doc_blocks(doc):
        head = (lead or body).lstrip()
        if head.startswith(("Claims checked", "Source:")):
            continue
        if kind == "para" and head.startswith("Question:"):
            body = body.lstrip()[len("Question:") :].lstrip()
            body = body[:1].upper() + body[1:]
        kept.append((kind, lead, body))
    return blocks_markdown(kept)


def page(
    name: str,
    entry: dict[str, Any],
    status: dict[str, str],
    docs: Path,
    checks: dict[str, str] | None = None,
) -> str:
    """The Markdown page of one experiment: what it asks, its claims with their status and the
    measured evidence of the last default run, its figures with their titles, its profiles."""
    folder = Path(docs) / "experiments" / "figures" / name
    evidence: dict[str, str] = {}
    if (folder / "claims.json").is_file():
        evidence = {c["name"]: claim_evidence(c) for c in read_json(folder / "claims.json")}
    checks = checks or {}
    lines = [
        f"# {name}",
        "",
        f"{entry['summary'][:1].upper()}{entry['summary'][1:]}.",
        "",
        f"Source: *{_catalog.cite(entry['source'])}* ([the four write-ups](../sources.md)). "
        f"Run it with `roughgrad run {name}`; `roughgrad describe {name}` lists its config keys.",
        "",
        "## Question",
        "",
        _question(entry["doc"]),
        "## Claims",
        "",
        "Status and measured evidence from the last default-profile reproduction "
        "([all claims, with their counterexamples](../claims.md)):",
        "",
        "| claim | checks | status | measured |",
        "|---|---|---|---|",
        *(
            f"| `{c}` | {_cell(checks.get(c, ''))} | {status.get(c, 'not run')} | "
            f"{_cell(evidence.get(c, '')) or '-'} |"
            for c in entry["claims"]
        ),
        "",
    ]
    figures = sorted(p for p in folder.glob("*") if p.suffix in (".png", ".gif"))
    if figures:
        lines += ["## Figures", "", _provenance(folder), ""]
        for path in figures:
            caption = figure_caption(path)
            alt = caption.replace("[", "(").replace("]", ")")
            lines += [f"![{alt}](figures/{name}/{path.name})", "", f"*{_inline(caption)}*", ""]
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
            if e["write_up"] == key:
                held = sum(status.get(name, {}).get(c) == "holds" for c in e["claims"])
                lines.append(
                    f"| [{name}]({name}.md) | {e['summary']} | {held}/{len(e['claims'])} |"
                )
        lines.append("")
    return "\n".join(lines)


def render_pages(docs: Path, status: dict[str, dict[str, str]]) -> dict[Path, str]:
    """docs/experiments/NAME.md of every experiment and the index: path -> Markdown."""
    from roughgrad.experiments import EXPERIMENTS

    folder = Path(docs) / "experiments"
    pages = {}
    for name, entry in _catalog.catalog().items():
        checks = {c.name: c.checks for c in EXPERIMENTS[name].claims}
        pages[folder / f"{name}.md"] = page(name, entry, status.get(name, {}), Path(docs), checks)
    pages[folder / "index.md"] = index_page(status)
    return pages


def write_experiment_pages(docs: Path, status: dict[str, dict[str, str]]) -> list[Path]:
    """Write docs/experiments/NAME.md for every experiment and the index; return the paths."""
    (Path(docs) / "experiments").mkdir(parents=True, exist_ok=True)
    pages = render_pages(docs, status)
    for path, text in pages.items():
        path.write_text(text, encoding="utf-8")
    return list(pages)
