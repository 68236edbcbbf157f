"""A sweep's aggregate: per grid point, each metric's mean/std/min/max/n over seeds and the
claims that held (``roughgrad.runs.sweep``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def aggregate(
    points: list[dict[str, str]],
    results: list[tuple[int, int, dict]],
    failed: Sequence[dict[str, Any]] = (),
) -> list[dict]:
    """Per grid point: mean/std/min/max/n of every numeric metric over seeds (NaN excluded from
    the statistics and counted apart), per claim how many seeds it held for, and the runs that
    failed (run, seed, error)."""
    out = []
    for i, point in enumerate(points):
        records = [r for p, _, r in results if p == i]
        values: dict[str, list[float]] = {}
        for r in records:
            for k, v in r["metrics"].items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    values.setdefault(k, []).append(float(v))
        metrics = {k: _stats(v) for k, v in values.items()}
        claims: dict[str, list[int]] = {}
        for r in records:
            for c in r["claims"]:
                held = claims.setdefault(c["name"], [0, 0])
                held[0] += c["holds"] is True
                held[1] += 1
        errors = [
            {k: f[k] for k in ("run", "seed", "error")} for f in failed if f["point"] == point
        ]
        out.append(
            {
                "point": point,
                "runs": len(records),
                "failed": errors,
                "metrics": metrics,
                "claims": claims,
            }
        )
    return out


def _stats(values: list[float]) -> dict[str, float]:
    finite = np.asarray([v for v in values if math.isfinite(v)])
    if not len(finite):
        return {
            "mean": math.nan,
            "std": math.nan,
            "min": math.nan,
            "max": math.nan,
            "n": 0,
            "nan": len(values),
        }
    return {
        "mean": float(finite.mean()),
        "std": float(finite.std(ddof=1)) if len(finite) > 1 else 0.0,
        "min": float(finite.min()),
        "max": float(finite.max()),
        "n": len(finite),
        "nan": len(values) - len(finite),
    }
