"""Claims: what an experiment states, how a measured value decides it, and when a run counts.

A claim has four statuses:

* **holds** / **does not hold**: the measured value is on one side of the claim's bar, by more
  than two standard errors where the value is noisy;
* **inconclusive**: the margin is inside two standard errors (or the baseline's learning-rate
  search was not bracketed), so this run cannot tell;
* **not checked**: the run did not compute what the claim needs (a model not selected, a
  baseline that did not train), with the reason.

A counterexample is a setting under which a claim must report *does not hold* in a *healthy*
run: one where the experiment works as usual (its ``Floor`` s are met: training reaches
its usual accuracy, the neuron fires). A setting in which nothing trains shows only that the
claim fails when nothing works, so the registry test checks the floors as well.

Example:
    >>> m = at_least(0.975, 0.97, se=0.008)  # 97.5% against a 97% bar, one SE 0.8 points
    >>> m.verdict is None  # 0.5 points above the bar is inside two standard errors
    True
    >>> Claim.from_margin("reaches_97", m, "test accuracy 97.5%").status
    'inconclusive'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

CLAIM_STATUSES = ("holds", "does not hold", "inconclusive", "not checked")


@dataclass(frozen=True)
class Margin:
    """How far a measured value clears a claim's bar, with the standard error of that margin.

    ``margin`` is positive on the claim's side. The verdict is True when margin > z se, False
    when margin < -z se, and None (inconclusive) in between; with se = 0 (an exact, noise-free
    value) it is margin > 0 (a margin of exactly 0 does not clear the bar).
    """

    margin: float
    se: float = 0.0
    z: float = 2.0

    @property
    def verdict(self) -> bool | None:
        if not math.isfinite(self.margin):
            return False if self.margin == -math.inf or math.isnan(self.margin) else True
        if self.se == 0:
            return self.margin > 0
        if self.margin > self.z * self.se:
            return True
        if self.margin < -self.z * self.se:
            return False
        return None

    def text(self, scale: float = 100.0, unit: str = " points", digits: int = 1) -> str:
        """``margin +0.5 ± 0.8 points (inside two standard errors)``, in ``unit`` after
        multiplying by ``scale`` (default: accuracies as percentage points)."""
        side = {True: "beyond", False: "beyond", None: "inside"}[self.verdict]
        m, s = self.margin * scale, self.se * scale
        return f"margin {m:+.{digits}f} ± {s:.{digits}f}{unit} ({side} two standard errors)"


def at_least(value: float, bar: float, se: float = 0.0) -> Margin:
    """The claim "value >= bar"."""
    return Margin(value - bar, se)


def at_most(value: float, bar: float, se: float = 0.0) -> Margin:
    """The claim "value <= bar"."""
    return Margin(bar - value, se)


def within(difference: float, tolerance: float, se: float = 0.0) -> Margin:
    """The claim "|difference| <= tolerance"."""
    return Margin(tolerance - abs(difference), se)


def binomial_se(p: float, n: int) -> float:
    """Standard error of an accuracy p measured on n examples: sqrt(p (1 - p) / n)."""
    return float(np.sqrt(max(p * (1 - p), 0.0) / max(n, 1)))


def difference_se(*ses: float) -> float:
    """Standard error of a sum or difference of independent estimates: sqrt(sum se^2)."""
    return float(np.sqrt(sum(s * s for s in ses)))


def seeds_se(values: Sequence[float]) -> float:
    """Standard error of the mean over seeds: std (ddof 1) / sqrt(n); 0 for one seed."""
    v = np.asarray(values, dtype=float)
    return float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else 0.0


@dataclass(frozen=True)
class Claim:
    """A named statement the experiment checked: its status and the measured evidence.

    ``holds`` is True / False, or None when the run could not decide: *not checked* (build
    with ``not_checked``) or, with ``inconclusive``, a margin inside the noise (build with
    ``from_margin`` or ``undecided``).
    """

    name: str
    holds: bool | None
    evidence: str
    inconclusive: bool = False

    @classmethod
    def not_checked(cls, name: str, reason: str) -> Claim:
        return cls(name, None, f"not checked: {reason}")

    @classmethod
    def undecided(cls, name: str, reason: str) -> Claim:
        """An inconclusive claim, with the reason (e.g. "search not bracketed")."""
        return cls(name, None, f"inconclusive: {reason}", inconclusive=True)

    @classmethod
    def from_margin(cls, name: str, margin: Margin, evidence: str) -> Claim:
        """The claim decided by ``margin``: inconclusive inside two standard errors."""
        verdict = margin.verdict
        return cls(name, verdict, evidence, inconclusive=verdict is None)

    @classmethod
    def from_margins(cls, name: str, margins: Sequence[Margin], evidence: str) -> Claim:
        """A claim that every one of ``margins`` must clear: it does not hold when one fails
        beyond two standard errors, holds when all clear it, and is inconclusive otherwise."""
        verdicts = [m.verdict for m in margins]
        verdict = False if False in verdicts else None if None in verdicts else True
        return cls(name, verdict, evidence, inconclusive=verdict is None)

    @property
    def status(self) -> str:
        """One of CLAIM_STATUSES."""
        if self.holds is None:
            return "inconclusive" if self.inconclusive else "not checked"
        return "holds" if self.holds else "does not hold"

    def to_dict(self) -> dict[str, Any]:
        holds = None if self.holds is None else bool(self.holds)
        return {"name": self.name, "holds": holds, "status": self.status, "evidence": self.evidence}


def claim_evidence(claim: Mapping[str, Any]) -> str:
    """The evidence as shown beside the status: without a leading "<status>: " that would
    repeat it ("not checked — not checked: ...")."""
    evidence = str(claim["evidence"])
    prefix = f"{claim_status(claim)}: "
    return evidence[len(prefix) :] if evidence.startswith(prefix) else evidence


def claim_status(claim: Mapping[str, Any]) -> str:
    """The status of a claim read back from claims.json (older files lack "status")."""
    if "status" in claim:
        return str(claim["status"])
    if claim.get("holds") is None:
        return "not checked"
    return "holds" if claim["holds"] else "does not hold"


def trained_or_reason(accuracies: Mapping[str, float], floor: float, chance: float) -> str:
    """ "" when every method's accuracy is at least ``floor``; else why a comparison between
    them is not checked (a method that did not train makes any comparison with it empty)."""
    low = {m: a for m, a in accuracies.items() if not a >= floor}
    if not low:
        return ""
    listing = ", ".join(f"{m} {100 * a:.1f}%" for m, a in low.items())
    return (
        f"{listing} did not train (below {100 * floor:.0f}%, chance {100 * chance:.0f}%): a "
        "comparison with a method that did not train says nothing"
    )


@dataclass(frozen=True)
class Floor:
    """What a healthy run of an experiment reaches: ``value(metrics) >= at_least``.

    ``what`` names the quantity for a reader ("autodiff's best validation accuracy").
    """

    what: str
    value: Callable[[Mapping[str, Any]], float]
    at_least: float

    def check(self, metrics: Mapping[str, Any]) -> tuple[bool, str]:
        """(met, "what = v (floor f)"); a value the run did not compute is not met."""
        try:
            v = float(self.value(metrics))
        except (KeyError, ValueError, TypeError) as exc:
            return False, f"{self.what}: not computed ({type(exc).__name__}: {exc})"
        ok = bool(v >= self.at_least)
        return ok, f"{self.what} = {v:.4g} (floor {self.at_least:g})"


@dataclass(frozen=True)
class Counterexample:
    """A setting under which a claim must report "does not hold" in a healthy run: overrides
    applied on top of the quick profile, and why the claim fails there. The registry test runs
    every one and checks the experiment's floors too."""

    overrides: Mapping[str, Any]
    why: str


@dataclass(frozen=True)
class ClaimSpec:
    """What an experiment declares about one claim: its name, what it checks, at least one
    counterexample, and the tests that check its detector on synthetic data with the structure
    present and absent (``controls``: test names in tests/, for the claims page).

    A statement without a counterexample cannot fail: it is a unit test, not a claim, and the
    registry refuses it."""

    name: str
    checks: str
    counterexamples: tuple[Counterexample, ...]
    controls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.counterexamples:
            raise TypeError(f"claim {self.name} has no counterexample: make it a unit test")
        for ce in self.counterexamples:
            if not ce.overrides:
                raise TypeError(
                    f"claim {self.name}: a counterexample needs overrides that state its setting "
                    "(the bare quick profile is not a counterexample)"
                )


def counterexample(why: str, **overrides: Any) -> Counterexample:
    """``counterexample("why it fails", key=value, ...)``: a Counterexample in one call."""
    return Counterexample(overrides, why)
