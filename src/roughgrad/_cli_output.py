"""What the `roughgrad` commands print and how they exit: the claims summary on stdout,
diagnostics on stderr, user errors as one line."""

from __future__ import annotations

import sys

from roughgrad import _catalog


def err(message: str) -> None:
    from roughgrad.runs.console import ERR

    ERR.print(message, highlight=False)


def docs() -> dict[str, tuple[str, str]]:
    docs = {}
    for name, e in _catalog.catalog().items():
        docs[name] = (e["source"], e["doc"])
        if e["landscape"]:
            docs[f"{name}-landscape"] = (
                e["source"],
                f"Loss landscape of {name}'s objective "
                "(roughgrad landscape): losses along random "
                "filter-normalised directions through its point.",
            )
    return docs


MARKS = {
    "holds": "[green]holds[/]",
    "does not hold": "[red]does not hold[/]",
    "inconclusive": "[magenta]inconclusive[/]",
    "not checked": "[yellow]not checked[/]",
}


def print_claims(records) -> None:
    from roughgrad.experiments.base import claim_evidence, claim_status
    from roughgrad.runs.console import OUT

    for r in records:
        for c in r.claims:
            mark = MARKS[claim_status(c)]
            OUT.print(f"{r.experiment}: {c['name']}: {mark} — {claim_evidence(c)}", highlight=False)
        if not r.healthy:
            OUT.print(
                f"{r.experiment}: [yellow]not a healthy run[/] ({'; '.join(r.unmet())}): its "
                "claims say little (the quick profile only checks that everything runs)",
                highlight=False,
            )


def exit_if_failed(records) -> None:
    """Exit 1 when a part of any run failed (its run.json says failed; the rest is written)."""
    failed = [r for r in records if r.status == "failed"]
    for r in failed:
        print(f"roughgrad: error: {r.experiment} failed in part: {r.error}", file=sys.stderr)
    if failed:
        sys.exit(1)


def exit_if_strict(records, strict: bool) -> None:
    """With --strict, exit 1 when any claim does not hold or is inconclusive (the run's files
    are all written)."""
    from roughgrad.experiments.base import claim_status

    failed = [
        f"{r.experiment}:{c['name']} ({claim_status(c)})"
        for r in records
        for c in r.claims
        if claim_status(c) in ("does not hold", "inconclusive")
    ]
    if strict and failed:
        print(
            f"roughgrad: --strict: {len(failed)} claim(s) do not hold or are inconclusive: "
            + ", ".join(failed),
            file=sys.stderr,
        )
        sys.exit(1)


def known_error(exc: Exception) -> tuple[str, int | None]:
    """(message prefix, exit code) of an error the user can act on; (_, None): a bug."""
    from roughgrad.config import ConfigError

    if isinstance(exc, ConfigError):  # the common case, without importing torch
        return "error: ", 2
    from roughgrad.data import DataError
    from roughgrad.runs import RunDirError, RunInterrupted
    from roughgrad.runtime import NumericalError

    if isinstance(exc, RunDirError | DataError):
        return "error: ", 2
    if isinstance(exc, NumericalError):
        return "error: ", 1
    if isinstance(exc, RunInterrupted):
        return "", 130
    return "", None
