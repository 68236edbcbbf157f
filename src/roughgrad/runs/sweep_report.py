"""The HTML page of a sweep: claims held per grid point, metrics over seeds, the runs."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from roughgrad.runs.report import CSS, figures_html
from roughgrad.runs.rundir import atomic_write_text
from roughgrad.runs.runner import RunRecord


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
<style>{CSS}</style></head><body>
<h1>Sweep of {html.escape(meta["experiment"])}</h1>
<p class="meta">profile {html.escape(meta["profile"])} · {len(meta.get("runs", []))} runs ·
seeds {html.escape(_seed_text(meta["seeds"]))} · backend {html.escape(meta.get("backend", "?"))}
· {meta.get("threads", 1)} torch thread(s) per run<br>
command: <code>{html.escape(meta.get("command", ""))}</code></p>
{failed}
<h2>Claims: seeds for which each held</h2>
<table><tr><th>claim</th>{head}</tr>{claims}</table>
<h2>Figures</h2>{figures_html(fake)}
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
