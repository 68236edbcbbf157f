"""The simulators' backends: one class each, a registry, and the one place that dispatches.

    >>> from roughgrad.neurons.backends import BACKENDS
    >>> sorted(BACKENDS)
    ['compile', 'fused', 'torch']

A backend ([`Backend`][roughgrad.neurons.backends.base.Backend]) says whether it runs a
simulation (``supports`` returns None, or the reason it does not) and runs it. ``simulate``
asks ``check`` for the backend a user named (an unsupported choice is a one-line error with
the reason) or for ``"auto"``: the fastest that supports the request. Adding a backend (a GPU
kernel, say) is one class in this package plus one line in ``BACKENDS``.

The layered classifiers (``roughgrad.neurons.layered``) declare the models each backend runs
for them in ``Backend.layered``; ``check_layered`` and ``resolve_layered`` serve them.
"""

from __future__ import annotations

import warnings

from roughgrad.neurons.backends.base import (
    Backend,
    Request,
    SimResult,
    SimState,
)
from roughgrad.neurons.backends.compiled import Compiled
from roughgrad.neurons.backends.eager import Eager
from roughgrad.neurons.backends.fused import Fused
from roughgrad.neurons.hh import SimulationError

BACKENDS: dict[str, Backend] = {b.name: b for b in (Eager(), Compiled(), Fused())}
FASTEST_FIRST = ("fused", "compile", "torch")  # the order "auto" tries them in


class FusedFallback(UserWarning):
    """backend='auto' fell back from the fused kernel to torch."""


def get(name: str) -> Backend:
    """The backend registered as ``name``, or a one-line error listing the known ones."""
    if name not in BACKENDS:
        raise SimulationError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}, auto")
    return BACKENDS[name]


def check(name: str, request: Request) -> Backend:
    """The backend that runs ``request``: ``name`` if it supports it (else a one-line
    SimulationError with its reason and the backends that do), or for ``"auto"`` the fastest
    that supports it (the fused kernel only where it builds: else a one-line notice)."""
    if name == "auto":
        for key in FASTEST_FIRST:
            if BACKENDS[key].supports(request) is None and _builds(key):
                return BACKENDS[key]
    found = get(name)
    reason = found.supports(request)
    if reason is None:
        return found
    able = [b.name for b in BACKENDS.values() if b.supports(request) is None]
    hint = f"use backend={' or '.join(repr(a) for a in able)}" if able else "no backend does"
    raise SimulationError(f"backend {name!r} does not run this simulation: {reason}; {hint}")


def _builds(key: str) -> bool:
    """Whether backend ``key`` can run here (only the fused kernel can fail to build); a
    fallback from it warns once, naming why."""
    if key != "fused":
        return True
    from roughgrad.neurons import fused

    reason = fused.unavailable_reason()
    if reason is None:
        return True
    warnings.warn(
        f"backend='auto' runs on torch (slower): the fused C kernel is unavailable here "
        f"({reason.split(';')[0]})",
        FusedFallback,
        stacklevel=3,
    )
    return False


def check_layered(name: str, model: str) -> Backend:
    """The backend ``name`` if it runs layered classifiers of ``model`` neurons, else a
    one-line SimulationError naming the backends that do."""
    found = get(name)
    if model in found.layered:
        return found
    able = [b.name for b in BACKENDS.values() if model in b.layered]
    runs = ", ".join(found.layered) or "none"
    hint = f"use backend={' or '.join(repr(a) for a in able)}" if able else "no backend does"
    raise SimulationError(
        f"backend {name!r} does not run layered networks of {model!r} neurons (it runs: "
        f"{runs}); {hint}"
    )


def resolve_layered(name: str, model: str) -> str:
    """``"auto"`` -> the fastest backend that runs layered classifiers of ``model`` neurons
    here ("fused" where its kernel builds, else "torch"); any other name as it is (checked
    where it is used: an explicit "fused" without a compiler is an error, not a fallback)."""
    if name != "auto":
        return name
    for key in FASTEST_FIRST:
        if model in BACKENDS[key].layered and key != "compile" and _builds(key):
            return key
    return "torch"


__all__ = [
    "BACKENDS",
    "Backend",
    "FusedFallback",
    "Request",
    "SimResult",
    "SimState",
    "check",
    "check_layered",
    "get",
    "resolve_layered",
]
