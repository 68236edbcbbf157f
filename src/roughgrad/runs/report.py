"""A static, self-contained HTML report of finished runs (figures embedded; opens offline)."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from roughgrad.experiments.base import claim_status
from roughgrad.runs.rundir import atomic_write_text
from roughgrad.runs.runner import RunRecord

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{margin-bottom:.2em} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2.2em}
table{border-collapse:collapse;margin:.8em 0;font-size:.92em} td,th{border:1px solid #ccc;
padding:.3em .6em;text-align:left;vertical-align:top} th{background:#f3f3f3}
.holds{color:#0a6b2a;font-weight:600} .fails{color:#b00020;font-weight:600}
.unchecked{color:#8a6d00;font-weight:600}
.doc{white-space:pre-wrap;background:#fafafa;border-left:4px solid #8ab;padding:.6em 1em;
font-size:.95em}
figure{margin:1em 0} figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.85em;color:#555} .meta{color:#666;font-size:.85em}
details{margin:.6em 0} code{background:#f3f3f3;padding:0 .2em}
"""


_STATUS_CLASS = {"holds": "holds", "does not hold": "fails", "not checked": "unchecked"}


def claim_tally(records: list[RunRecord]) -> dict[str, int]:
    """How many claims hold, do not hold, and were not checked, over ``records``."""
    tally = dict.fromkeys(_STATUS_CLASS, 0)
    for r in records:
        for c in r.claims:
            tally[claim_status(c)] += 1
    return tally


def _anchor(record: RunRecord, index: int) -> str:
    return f"run-{index}-{record.experiment}"


def _claims_rows(record: RunRecord, index: int) -> str:
    rows = []
    for claim in record.claims:
        word = claim_status(claim)
        cls = _STATUS_CLASS[word]
        rows.append(
            f"<tr><td><a href='#{_anchor(record, index)}'>{html.escape(record.experiment)}</a></td>"
            f"<td><code>{html.escape(claim['name'])}</code></td><td class='{cls}'>{word}</td>"
            f"<td>{html.escape(claim['evidence'])}</td></tr>"
        )
    return "\n".join(rows)


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        text = json.dumps(value)
        return text if len(text) <= 120 else text[:117] + "..."
    return str(value)


def _table(mapping: dict[str, Any], headers: tuple[str, str]) -> str:
    rows = "".join(
        f"<tr><td><code>{html.escape(k)}</code></td><td>{html.escape(_format_value(v))}</td></tr>"
        for k, v in mapping.items()
    )
    return f"<table><tr><th>{headers[0]}</th><th>{headers[1]}</th></tr>{rows}</table>"


def _figures(record: RunRecord) -> str:
    folder = record.run_dir / "figures"
    parts = []
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        mime = {".png": "image/png", ".gif": "image/gif"}.get(path.suffix)
        if mime is None:
            continue
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        parts.append(
            f"<figure><img alt='{html.escape(path.stem)}' src='data:{mime};base64,{data}'>"
            f"<figcaption>{html.escape(path.name)}</figcaption></figure>"
        )
    return "\n".join(parts)


def _section(record: RunRecord, index: int, docs: dict[str, tuple[str, str]]) -> str:
    source, doc = docs.get(record.experiment, ("", ""))
    claims = "".join(
        f"<li><code>{html.escape(c['name'])}</code>: "
        f"<span class='{_STATUS_CLASS[claim_status(c)]}'>"
        f"{claim_status(c)}</span> — {html.escape(c['evidence'])}</li>"
        for c in record.claims
    )
    failed = (
        f"<p class='fails'>This run failed in part: {html.escape(record.error)}. "
        "What the other parts produced is below.</p>"
        if record.status == "failed"
        else ""
    )
    return f"""
<section id="{_anchor(record, index)}">
<h2>{html.escape(record.experiment)}</h2>
<p class="meta">source: {html.escape(source)} · profile: {html.escape(record.profile)} ·
run directory: <code>{html.escape(str(record.run_dir))}</code></p>
{failed}<div class="doc">{html.escape(doc)}</div>
<h3>Claims</h3><ul>{claims}</ul>
<h3>Figures</h3>{_figures(record)}
<h3>Metrics</h3>{_table(record.metrics, ("metric", "value"))}
<details><summary>Resolved config</summary>{_table(record.config, ("key", "value"))}</details>
</section>"""


def build_report(
    records: list[RunRecord],
    out_dir: Path,
    docs: dict[str, tuple[str, str]] | None = None,
    title: str = "roughgrad report",
) -> Path:
    """Write ``out_dir/index.html`` for ``records``; ``docs`` maps experiment -> (source, doc)."""
    docs = docs or {}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tally = claim_tally(records)
    overview = "\n".join(_claims_rows(r, i) for i, r in enumerate(records))
    sections = "\n".join(_section(r, i, docs) for i, r in enumerate(records))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="meta">{len(records)} run(s); {sum(tally.values())} claims: {tally["holds"]} hold,
{tally["does not hold"]} do not hold, {tally["not checked"]} not checked.
A claim that does not reproduce is listed as not holding, and one a run could not check as not
checked, never hidden.</p>
<h2>Claims</h2>
<table><tr><th>experiment</th><th>claim</th><th>result</th><th>evidence</th></tr>
{overview}</table>
{sections}
</body></html>
"""
    path = out_dir / "index.html"
    atomic_write_text(path, page)
    return path


def point_label(point: dict[str, str]) -> str:
    """``lr=0.1, steps=500`` (or ``(defaults)`` for the empty grid point)."""
    return ", ".join(f"{k}={v}" for k, v in point.items()) or "(defaults)"


def _cell(stats: dict[str, float]) -> str:
    if not stats["n"]:
        return "nan"
    text = f"{stats['mean']:.4g} ± {stats['std']:.2g}"
    if stats["n"] > 1:
        text += f" [{stats['min']:.4g}, {stats['max']:.4g}]"
    return text + (f" ({stats['nan']} nan)" if stats.get("nan") else "")


def build_sweep_report(sweep_dir: Path, meta: dict[str, Any], agg: list[dict]) -> Path:
    """Write ``sweep_dir/index.html``: claims held per grid point, metric mean ± std [min, max]
    over seeds, the figures in ``sweep_dir/figures`` and links to every run directory."""
    labels = [html.escape(point_label(a["point"])) for a in agg]
    head = "".join(f"<th>{label}</th>" for label in labels)
    claim_names = list(dict.fromkeys(c for a in agg for c in a["claims"]))
    claims = "".join(
        f"<tr><td><code>{html.escape(c)}</code></td>"
        + "".join(_held_cell(a["claims"].get(c)) for a in agg)
        + "</tr>"
        for c in claim_names
    )
    metric_names = list(dict.fromkeys(m for a in agg for m in a["metrics"]))
    metrics = "".join(
        f"<tr><td><code>{html.escape(m)}</code></td>"
        + "".join(
            f"<td>{html.escape(_cell(a['metrics'][m])) if m in a['metrics'] else ''}</td>"
            for a in agg
        )
        + "</tr>"
        for m in metric_names
    )
    runs = "".join(
        f"<tr><td><a href='runs/{r['run']}/'>{r['run']}</a></td>"
        f"<td>{html.escape(point_label(r['point']))}</td><td>{r['seed']}</td></tr>"
        for r in meta.get("runs", [])
    )
    failures = "".join(
        f"<li><a href='runs/{f['run']}/'>{f['run']}</a> ({html.escape(point_label(a['point']))}, "
        f"seed {f['seed']}): <span class='fails'>{html.escape(f['error'])}</span></li>"
        for a in agg
        for f in a.get("failed", [])
    )
    failed = f"<h2>Failed runs</h2><ul>{failures}</ul>" if failures else ""
    fake = RunRecord("sweep", "", {}, {}, [], Path(sweep_dir))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sweep: {html.escape(meta["experiment"])}</title>
<style>{_CSS}</style></head><body>
<h1>Sweep of {html.escape(meta["experiment"])}</h1>
<p class="meta">profile {html.escape(meta["profile"])} · {len(meta.get("runs", []))} runs ·
seeds {html.escape(_seed_text(meta["seeds"]))} · backend {html.escape(meta.get("backend", "?"))}
· {meta.get("threads", 1)} torch thread(s) per run<br>
command: <code>{html.escape(meta.get("command", ""))}</code></p>
{failed}
<h2>Claims: seeds for which each held</h2>
<table><tr><th>claim</th>{head}</tr>{claims}</table>
<h2>Figures</h2>{_figures(fake)}
<h2>Metrics: mean ± std [min, max] over seeds</h2>
<table><tr><th>metric</th>{head}</tr>{metrics}</table>
<h2>Runs</h2><table><tr><th>run</th><th>grid point</th><th>seed</th></tr>{runs}</table>
</body></html>
"""
    path = Path(sweep_dir) / "index.html"
    atomic_write_text(path, page)
    return path


def _held_cell(held: list[int] | None) -> str:
    if held is None:
        return "<td></td>"
    k, n = held
    cls = "holds" if k == n else "fails" if k == 0 else ""
    return f"<td class='{cls}'>{k}/{n}</td>"


def _seed_text(seeds: list[int]) -> str:
    if seeds and seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{seeds[0]}-{seeds[-1]}"
    return ",".join(map(str, seeds))
