"""Close-name suggestions for one-line errors ("did you mean ...?"); imports nothing."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_names(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """The known names closest to ``name`` (difflib's ratio >= 0.6), best first."""
    return difflib.get_close_matches(name, list(known), n=n, cutoff=0.6)


def unknown_name(what: str, name: str, known: Iterable[str], listing: str | None = None) -> str:
    """``unknown experiment 'sin-frequncy'; did you mean 'sin-frequency'?`` when a known name is
    close, else ``unknown experiment 'x'; known: a, b, c`` (or ``listing`` in place of the
    list, e.g. a command that prints it)."""
    known = list(known)
    close = close_names(name, known)
    if close:
        return f"unknown {what} {name!r}; did you mean {' or '.join(repr(c) for c in close)}?"
    return f"unknown {what} {name!r}; " + (listing or f"known: {', '.join(known)}")
