"""A static, self-contained HTML report of finished runs (figures embedded; opens offline)."""

from __future__ import annotations

import base64
import html
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from roughgrad._catalog import cite
from roughgrad.experiments.base import claim_evidence, claim_status
from roughgrad.runs.html import render_doc, value_text
from roughgrad.runs.rundir import atomic_write_text, figure_caption
from roughgrad.runs.runner import RunRecord

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;
line-height:1.45}
.layout{display:grid;grid-template-columns:16rem minmax(0,1fr);gap:2rem;max-width:82rem;
margin:0 auto;padding:0 1rem}
nav.toc{position:sticky;top:0;align-self:start;max-height:100vh;overflow-y:auto;
padding:1rem 0;font-size:.9em}
nav.toc ol{list-style:none;padding:0;margin:.4em 0} nav.toc li{margin:.15em 0}
nav.toc a{text-decoration:none;color:#1a4d7a} nav.toc .tally{float:right;font-size:.85em}
main{min-width:0;padding-bottom:4rem}
h1{margin:.8em 0 .2em} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2.2em}
table{border-collapse:collapse;margin:.8em 0;font-size:.92em;display:block;overflow-x:auto}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}
.holds{color:#0a6b2a;font-weight:600} .fails{color:#b00020;font-weight:600}
.unchecked{color:#8a6d00;font-weight:600} .inconclusive{color:#7a2e8c;font-weight:600}
.doc{background:#fafafa;border-left:4px solid #8ab;padding:.2em 1em;font-size:.95em}
.doc pre{white-space:pre-wrap;font-size:.92em}
figure{margin:1em 0} figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555} .meta{color:#555;font-size:.85em}
.banner{padding:.6em 1em;border-radius:4px;margin:1em 0;background:#e8f1fb;
border:1px solid #9cc0e6} .banner.reduced{background:#fff4d6;border-color:#e0b84a}
details{margin:.6em 0} code{background:#f3f3f3;padding:0 .2em}
td{overflow-wrap:anywhere}
@media (max-width:800px){.layout{display:block} nav.toc{position:static;max-height:none;
border-bottom:1px solid #ddd}}
@media (max-width:600px){table{display:block;overflow-x:visible}
table tr{display:block;border:1px solid #ccc;margin:.5em 0}
table th{display:none} table td{display:block;border:none;border-bottom:1px solid #eee}
body{padding:0 .6em}}
"""


_STATUS_CLASS = {
    "holds": "holds",
    "does not hold": "fails",
    "inconclusive": "inconclusive",
    "not checked": "unchecked",
}


def claim_tally(records: list[RunRecord]) -> dict[str, int]:
    """How many claims hold, do not hold, are inconclusive and were not checked."""
    tally = dict.fromkeys(_STATUS_CLASS, 0)
    for r in records:
        for c in r.claims:
            tally[claim_status(c)] += 1
    return tally


def _anchor(record: RunRecord, index: int) -> str:
    return f"run-{index}-{record.experiment}"


def _claim_links(record: RunRecord, index: int, figures: bool) -> str:
    """Where a claim's numbers come from: the run's figures and its metrics table."""
    a = _anchor(record, index)
    fig = f"<a href='#{a}-figures'>figures</a> · " if figures else ""
    return f"<span class='meta'>{fig}<a href='#{a}-metrics'>metrics</a></span>"


def _claims_rows(record: RunRecord, index: int) -> str:
    links = _claim_links(record, index, bool(_figure_paths(record)))  # one listing per run
    rows = []
    for claim in record.claims:
        word = claim_status(claim)
        cls = _STATUS_CLASS[word]
        rows.append(
            f"<tr><td><a href='#{_anchor(record, index)}'>{html.escape(record.experiment)}</a></td>"
            f"<td><code>{_breakable(claim['name'])}</code></td><td class='{cls}'>{word}</td>"
            f"<td>{html.escape(claim_evidence(claim))} {links}</td></tr>"
        )
    return "\n".join(rows)


def _breakable(name: str) -> str:
    """A snake_case name that may wrap after its underscores (never inside a word)."""
    return html.escape(name).replace("_", "_<wbr>")


def _table(mapping: dict[str, Any], headers: tuple[str, str], ident: str = "") -> str:
    rows = "".join(
        f"<tr><td><code>{html.escape(k)}</code></td><td>{html.escape(value_text(v))}</td></tr>"
        for k, v in mapping.items()
    )
    at = f" id='{ident}'" if ident else ""
    return f"<table{at}><tr><th>{headers[0]}</th><th>{headers[1]}</th></tr>{rows}</table>"


def _figure_paths(record: RunRecord) -> list[Path]:
    folder = record.run_dir / "figures"
    paths = sorted(folder.glob("*")) if folder.is_dir() else []
    return [p for p in paths if p.suffix in (".png", ".gif")]


def figures_html(record: RunRecord, anchor: str = "") -> str:
    parts = []
    for path in _figure_paths(record):
        mime = {".png": "image/png", ".gif": "image/gif"}[path.suffix]
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        ident = f" id='{anchor}-fig-{html.escape(path.stem)}'" if anchor else ""
        caption = figure_caption(path)
        parts.append(
            f"<figure{ident}><img alt='{html.escape(caption)}' "
            f"src='data:{mime};base64,{data}'>"
            f"<figcaption>{html.escape(caption)} "
            f"<span class='meta'>({html.escape(path.name)})</span></figcaption></figure>"
        )
    return "\n".join(parts)


def _relative(path: Path, start: Path) -> str:
    """``path`` relative to the report's folder (so the folder can move as a whole)."""
    try:
        return os.path.relpath(Path(path).resolve(), Path(start).resolve())
    except ValueError:  # another drive on Windows
        return str(path)


def _span(records: list[RunRecord]) -> str:
    """' in 96 min wall (...)' from the records' run.json times; '' where one lacks them."""
    times = [_read(r.run_dir / "run.json") for r in records]
    starts = [t.get("started") for t in times]
    ends = [t.get("finished") for t in times]
    if not records or not all(starts) or not all(ends):
        return ""
    first = min(datetime.fromisoformat(t) for t in starts if t)
    last = max(datetime.fromisoformat(t) for t in ends if t)
    minutes = (last - first).total_seconds() / 60
    return f" in {minutes:.1f} min wall (the first start to the last finish)"


def _timing(record: RunRecord) -> str:
    info = _read(record.run_dir / "run.json")
    start, end = info.get("started"), info.get("finished")
    if not (start and end):
        return ""
    seconds = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    wall = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
    return f" · started {html.escape(start[:16].replace('T', ' '))} UTC · {wall} wall"


def _section(record: RunRecord, index: int, docs: dict[str, tuple[str, str]], out: Path) -> str:
    source, doc = docs.get(record.experiment, ("", ""))
    a = _anchor(record, index)
    figures = figures_html(record, a)
    links = _claim_links(record, index, bool(figures))
    claims = "".join(
        f"<li><code>{html.escape(c['name'])}</code>: "
        f"<span class='{_STATUS_CLASS[claim_status(c)]}'>"
        f"{claim_status(c)}</span> — {html.escape(claim_evidence(c))} {links}</li>"
        for c in record.claims
    )
    failed = (
        f"<p class='fails'>This run failed in part: {html.escape(record.error)}. "
        "What the other parts produced is below.</p>"
        if record.status == "failed"
        else ""
    )
    if not record.healthy:
        failed += (
            "<p class='unchecked'>Not a healthy run: "
            + html.escape("; ".join(record.unmet()))
            + ". The experiment did not work as usual (e.g. nothing trained), so its claims "
            "say little.</p>"
        )
    rel = html.escape(_relative(record.run_dir, out))
    figures = figures or "<p class='meta'>(this run has no figures)</p>"
    return f"""
<section id="{a}">
<h2>{html.escape(record.experiment)}</h2>
<p class="meta">source: {html.escape(cite(source)) if source else "?"} · profile:
{html.escape(record.profile)}{_timing(record)} · run directory: <a href="{rel}/">{rel}</a></p>
{failed}<div class="doc">{render_doc(doc)}</div>
<h3>Claims</h3><ul>{claims}</ul>
<h3 id="{a}-figures">Figures</h3>{figures}
<h3>Metrics</h3>{_table(record.metrics, ("metric", "value"), f"{a}-metrics")}
<details><summary>Resolved config</summary>{_table(record.config, ("key", "value"))}</details>
</section>"""


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _provenance(records: list[RunRecord]) -> str:
    """roughgrad version and commit, Python, torch, machine: each distinct value over the runs."""
    envs = [_read(r.run_dir / "env.json") for r in records]

    def values(key: str, short: int = 0) -> str:
        seen = dict.fromkeys(str(e[key])[: short or None] for e in envs if e.get(key))
        return html.escape(", ".join(seen) or "unknown")

    machine = dict.fromkeys(
        f"{e.get('platform', '?')}, {e.get('cpu_count', '?')} CPUs, {e.get('device', '?')}"
        for e in envs
    )
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"roughgrad {values('roughgrad')} · commit <code>{values('git_commit', 12)}</code> · "
        f"report written {now}<br>Python {values('python')} · torch {values('torch')} · "
        f"machine: {html.escape('; '.join(machine) or 'unknown')}"
    )


def _banner(records: list[RunRecord]) -> str:
    profiles = sorted({r.profile for r in records})
    if profiles == ["default"]:
        return (
            "<p class='banner'>Profile: <b>default</b> (the settings of the write-ups; "
            "<code>full</code> is larger).</p>"
        )
    named = ", ".join(f"<b>{html.escape(p)}</b>" for p in profiles)
    return (
        f"<p class='banner reduced'>Profile: {named}. A reduced profile (<code>quick</code>) "
        "runs small budgets to check that everything works: its numbers are not the "
        "experiments' results, and its claims may not hold for that reason alone.</p>"
    )


def _toc(records: list[RunRecord]) -> str:
    items = []
    for i, r in enumerate(records):
        t = claim_tally([r])
        n = sum(t.values())
        cls = next((_STATUS_CLASS[w] for w in _STATUS_CLASS if w != "holds" and t[w]), "holds")
        title = f"{t['holds']} of {n} claims hold"
        tally = f"<span class='tally {cls}' title='{title}'>{t['holds']}/{n}</span>" if n else ""
        items.append(f"<li><a href='#{_anchor(r, i)}'>{html.escape(r.experiment)}</a>{tally}</li>")
    return (
        "<nav class='toc' aria-label='contents'><b>Contents</b><ol>"
        "<li><a href='#claims'>All claims</a></li>" + "".join(items) + "</ol></nav>"
    )


def build_report(
    records: list[RunRecord],
    out_dir: Path,
    docs: dict[str, tuple[str, str]] | None = None,
    title: str = "roughgrad report",
) -> Path:
    """Write ``out_dir/index.html`` for ``records``; ``docs`` maps experiment -> (source, doc).

    The page names the roughgrad version and commit, Python, torch and the machine of the runs,
    the profile (a banner when it is reduced), a table of contents with each experiment's claim
    tally, every claim with links to its run's figures and metrics, and run directories as
    paths relative to ``out_dir``; figures are embedded, so the page opens offline.
    """
    docs = docs or {}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tally = claim_tally(records)
    overview = "\n".join(_claims_rows(r, i) for i, r in enumerate(records))
    sections = "\n".join(_section(r, i, docs, out_dir) for i, r in enumerate(records))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{CSS}</style></head><body><div class="layout">
{_toc(records)}
<main>
<h1>{html.escape(title)}</h1>
<p class="meta">{_provenance(records)}</p>
{_banner(records)}
<p>{len(records)} run(s){_span(records)}; {sum(tally.values())} claims: {tally["holds"]} hold,
{tally["does not hold"]} do not hold, {tally["inconclusive"]} inconclusive,
{tally["not checked"]} not checked.
A claim that does not reproduce is listed as not holding, one whose margin is inside two
standard errors as inconclusive, and one a run could not check as not checked, never hidden.</p>
<h2 id="claims">Claims</h2>
<table><tr><th>experiment</th><th>claim</th><th>result</th><th>evidence</th></tr>
{overview}</table>
{sections}
</main></div>
</body></html>
"""
    path = out_dir / "index.html"
    atomic_write_text(path, page)
    return path
