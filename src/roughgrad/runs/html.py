"""Small HTML helpers of the reports: docstrings rendered, values at a readable precision."""

from __future__ import annotations

import html
import re
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


_ROLE = re.compile(r":(?:func|class|mod|meth|data|attr):`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")
_EMPHASIS = re.compile(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])")


def _inline(text: str) -> str:
    """Escape, then ``code`` and :role:`target` as <code>."""
    out = html.escape(text, quote=False)
    out = _ROLE.sub(lambda m: f"<code>{m.group(1)}</code>", out)
    out = _LITERAL.sub(lambda m: f"<code>{m.group(1)}</code>", out)
    return _EMPHASIS.sub(lambda m: f"<em>{m.group(1)}</em>", out)


def render_doc(text: str) -> str:
    """An experiment's docstring (reST-like plain text) as HTML.

    The first line is a lead paragraph; blank lines separate paragraphs; ``* item`` / ``- item``
    lines make a list (continuation lines indented); a block indented under a line ending in
    ``:`` (the claims table) is kept as preformatted text; ``code`` and :func:`x` become
    ``<code>``; *title* becomes ``<em>``.
    """
    blocks, out = re.split(r"\n\s*\n", text.strip()), []
    for block in blocks:
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
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
        elif len(lines) > 1 and lines[0].rstrip().endswith(":") and lines[1].startswith("  "):
            body = "\n".join(line[2:] if line.startswith("  ") else line for line in lines[1:])
            out.append(f"<p>{_inline(lines[0])}</p><pre>{html.escape(body)}</pre>")
        elif all(line.startswith("    ") for line in lines):
            out.append(f"<pre>{html.escape(chr(10).join(line[4:] for line in lines))}</pre>")
        else:
            out.append(f"<p>{_inline(' '.join(line.strip() for line in lines))}</p>")
    return "\n".join(out)
