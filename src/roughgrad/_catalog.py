"""The experiments' catalog: names, sources, config keys and profiles, without importing them.

The registry (``MODULES``) names where each experiment lives; ``catalog.json``, generated
from it by ``python -m roughgrad._catalog``, holds what the command line shows before it runs
anything: summaries, docstrings, config keys with their types, ranges and defaults, profiles
and claims. ``roughgrad --help``, ``--version``, ``list``, ``describe`` and shell completion
read only this file, so they start without importing torch's heavy neighbours (matplotlib,
scipy, scikit-learn) or any experiment module. A test regenerates the catalog and fails when the
committed file is stale.

This module imports nothing from roughgrad but [`roughgrad.config`][roughgrad.config]'s error type,
lazily.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
import sys
from importlib import resources
from pathlib import Path
from typing import Any

# The four write-ups the experiments come from: key, title, topic.
SOURCES: dict[str, tuple[str, str]] = {
    "000": (
        "Nevermind XOR - Deep Learning has an issue with Sin",
        "the frequency of sin(f x), the Clock Problem",
    ),
    "001": (
        "Experiments on Snake Activation",
        "extrapolation, interpolation, a decaying signal, coefficients, t-SNE",
    ),
    "002": ("Predicting sin(t/2) from sin(t) with an RNN", "a question and its answer"),
    "003": (
        "Loss Landscapes Emerging from BNNs",
        "Hodgkin-Huxley networks, mollification, smoothed gradients, digits",
    ),
}

# name -> "module:attribute", in the order of the write-ups and the report. Adding an
# experiment is one module, one line here, and `python -m roughgrad._catalog`.
MODULES: dict[str, str] = {
    "sin-frequency": "roughgrad.experiments.sin_frequency:EXPERIMENT",
    "sin-gradient-field": "roughgrad.experiments.sin_gradient_field:EXPERIMENT",
    "clock": "roughgrad.experiments.clock:EXPERIMENT",
    "snake-cycles": "roughgrad.experiments.snake.cycles:EXPERIMENT",
    "gradient-fidelity": "roughgrad.experiments.gradient_fidelity:EXPERIMENT",
    "mc-vs-quadrature": "roughgrad.experiments.mc_vs_quadrature:EXPERIMENT",
    "hh-fi-curve": "roughgrad.experiments.hh_fi_curve:EXPERIMENT",
    "hh-silence": "roughgrad.experiments.hh_silence:EXPERIMENT",
    "hh-descent-1d": "roughgrad.experiments.hh_descent_1d:EXPERIMENT",
    "mollify": "roughgrad.experiments.mollify:EXPERIMENT",
    "hh-complete-graph": "roughgrad.experiments.hh_complete_graph:EXPERIMENT",
    "cross-correlation-loss": "roughgrad.experiments.cross_correlation_loss:EXPERIMENT",
    "rnn-frequency-halving": "roughgrad.experiments.rnn_frequency_halving:EXPERIMENT",
    "snake-extrapolation": "roughgrad.experiments.snake.fit:EXTRAPOLATION",
    "snake-interpolation": "roughgrad.experiments.snake.fit:INTERPOLATION",
    "snake-decay": "roughgrad.experiments.snake.decay:EXPERIMENT",
    "snake-coefficients": "roughgrad.experiments.snake.coefficients:EXPERIMENT",
    "snake-tsne": "roughgrad.experiments.snake.tsne:EXPERIMENT",
    "periodic-targets": "roughgrad.experiments.periodic_targets:EXPERIMENT",
    "digits-linear": "roughgrad.experiments.digits.linear:EXPERIMENT",
    "digits-ann": "roughgrad.experiments.digits.ann:EXPERIMENT",
    "digits-bnn": "roughgrad.experiments.digits.bnn:EXPERIMENT",
    "bnn-gradient-fit": "roughgrad.experiments.digits.bnn_fit:EXPERIMENT",
}

_FILE = "catalog.json"


def cite(source: str) -> str:
    """``"write-up 003, 'Training Complete Graph'"`` -> the write-up's title and the section."""
    key, _, section = source.removeprefix("write-up ").partition(",")
    title = SOURCES[key][0] if key in SOURCES else f"write-up {key}"
    return f"{title}: {section.strip()}" if section.strip() else title


_SHORT = {
    "000": "Nevermind XOR",
    "001": "Experiments on Snake Activation",
    "002": "Predicting sin(t/2)",
    "003": "Loss Landscapes Emerging from BNNs",
}


def cite_text(text: str) -> str:
    """Prose for readers, who have the write-ups' titles, not our numbering: "write-up 003" ->
    "*Loss Landscapes Emerging from BNNs*"."""
    return re.sub(r"\bwrite-ups?[ -](00[0-3])\b", lambda m: f"*{_SHORT[m.group(1)]}*", text)


@functools.cache
def catalog() -> dict[str, dict[str, Any]]:
    """name -> the experiment's entry (see ``build``), in registry order."""
    text = resources.files("roughgrad").joinpath(_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def entry(name: str) -> dict[str, Any]:
    """The catalog entry of ``name``; an unknown name is a one-line ConfigError."""
    _check(name)
    return catalog()[name]


def _check(name: str) -> None:
    if name not in MODULES:
        from roughgrad._names import unknown_name
        from roughgrad.config import ConfigError

        listing = f"`roughgrad list` shows the {len(MODULES)}: {', '.join(MODULES)}"
        raise ConfigError(unknown_name("experiment", name, MODULES, listing))


@functools.cache
def load(name: str) -> Any:
    """Import the experiment ``name`` (its module only) and return its Experiment, named by
    its registry key (the one place a name is written)."""
    import dataclasses

    _check(name)
    module, _, attr = MODULES[name].partition(":")
    return dataclasses.replace(getattr(importlib.import_module(module), attr), name=name)


def _allowed(kind: str, meta: Any) -> str:
    """A field's type with its bounds: "a number > 0, <= 10"."""
    syms = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    bounds = [f"{syms[k]} {meta[k]:g}" for k in syms if meta.get(k) is not None]
    if meta.get("interval"):
        bounds.append("two values lo,hi with lo < hi")
    return kind + (" " + ", ".join(bounds) if bounds else "")


def _describe(exp: Any) -> dict[str, Any]:
    import dataclasses

    from roughgrad.config import _jsonable, field_help

    metas = {f.name: f.metadata for f in dataclasses.fields(exp.config_cls)}
    keys = [
        {
            "key": key,
            "allowed": _allowed(kind, metas[key]),
            "default": default,
            "help": cite_text(text),
        }
        for key, kind, default, text in field_help(exp.config_cls)
    ]
    profiles = {p: {k: _jsonable(v) for k, v in o.items()} for p, o in exp.profiles.items()}
    return {
        "write_up": exp.write_up,
        "source": exp.source,
        "summary": cite_text(exp.summary),
        "doc": cite_text(exp.doc.strip()),
        "landscape": exp.objective is not None,
        "keys": keys,
        "profiles": profiles,
        "claims": [c.name for c in exp.claims],
    }


def build() -> dict[str, dict[str, Any]]:
    """The catalog computed from the experiments themselves (imports every one)."""
    return {name: _describe(load(name)) for name in MODULES}


def render(data: dict[str, dict[str, Any]]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def main() -> None:
    """Write ``src/roughgrad/catalog.json`` beside this module."""
    path = Path(__file__).with_name(_FILE)
    path.write_text(render(build()), encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
