"""Small HTML helpers of the reports: docstrings rendered, values at a readable precision."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

SIGNIFICANT = 4  # digits of a float in the report; metrics.json keeps every digit


def number(value: float) -> str:
    """A float at ``SIGNIFICANT`` significant digits: 0.1235, 1.235e+05, 12."""
    return f"{value:.{SIGNIFICANT}g}"


def value_text(value: Any, limit: int = 160) -> str:
    """A metric or config value as text: floats rounded, lists element-wise, long ones cut."""
    if isinstance(value, bool) or value is None:
        return str(value).lower() if value is not None else "none"
    if isinstance(value, float):
        return number(value)
    if isinstance(value, list | tuple):
        text = "[" + ", ".join(value_text(v, limit) for v in value) + "]"
        return text if len(text) <= limit else text[: limit - 4] + " ...]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {value_text(v, limit)}" for k, v in value.items()) + "}"
    return str(value)


# A user's own experiment may write Sphinx roles (func, class, ...) in its docstring: shown as code
ROLE = re.compile(r":(?:func|class|mod|meth|data|attr):`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")
_EMPHASIS = re.compile(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])")

Block = tuple[str, str, str]  # (kind, lead, body): "para", "list" (items joined by \n), "pre"


def doc_blocks(text: str) -> Iterator[Block]:
    """An experiment docstring (reST-like plain text) as blocks, for any output format.

    Blank lines separate blocks. ``* item`` / ``- item`` lines make a "list" (continuation
    lines join their item; body: one item per line); a block indented under a line ending in
    ``:`` (the claims table) is "pre" with that line as its lead; a block indented by 4 is
    "pre" without one; anything else is a "para" (lines joined).
    """
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        if not lines:
            continue
        if lines[0].lstrip().startswith(("* ", "- ")):
            items: list[str] = []
            for line in lines:
                if line.lstrip().startswith(("* ", "- ")):
                    items.append(line.lstrip()[2:])
                else:
                    items[-1] += " " + line.strip()
            yield "list", "", "\n".join(items)
        elif len(lines) > 1 and lines[0].rstrip().endswith(":") and lines[1].startswith("  "):
            body = "\n".join(line[2:] if line.startswith("  ") else line for line in lines[1:])
            yield "pre", lines[0], body
        elif all(line.startswith("    ") for line in lines):
            yield "pre", "", "\n".join(line[4:] for line in lines)
        else:
            yield "para", "", " ".join(line.strip() for line in lines)


def _inline(text: str) -> str:
    """Escape, then ``code`` and :role:`target` as <code>, *title* as <em>."""
    out = html.escape(text, quote=False)
    out = ROLE.sub(lambda m: f"<code>{m.group(1)}</code>", out)
    out = _LITERAL.sub(lambda m: f"<code>{m.group(1)}</code>", out)
    return _EMPHASIS.sub(lambda m: f"<em>{m.group(1)}</em>", out)


def render_doc(text: str) -> str:
    """An experiment's docstring as HTML (blocks: ``doc_blocks``)."""
    out = []
    for kind, lead, body in doc_blocks(text):
        if kind == "list":
            out.append(
                "<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in body.split("\n")) + "</ul>"
            )
        elif kind == "pre":
            head = f"<p>{_inline(lead)}</p>" if lead else ""
            out.append(f"{head}<pre>{html.escape(body)}</pre>")
        else:
            out.append(f"<p>{_inline(body)}</p>")
    return "\n".join(out)
