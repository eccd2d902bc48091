"""`agentctl tasks`: human tasks as a table (text) or a document (json)."""

from __future__ import annotations

from typing import Any

import orjson

from agentctl.render.envelope import envelope


def render_text(tasks: list[Any], *, color: bool = False, **_: Any) -> str:
    if not tasks:
        return "No tasks.\n"
    lines = []
    for t in tasks:
        state = "open" if t.open else "closed"
        lines.append(f"{t.id}  {state:<6}  {t.severity:<8}  {t.role}  {t.opened_at[:19]}Z")
        lines.append(f"    {t.title}")
        if not t.open:
            lines.append(f"    closed by {t.closed_by} at {t.closed_at[:19]}Z: {t.reason}")
    n_open = sum(1 for t in tasks if t.open)
    lines.append(f"{len(tasks)} task(s), {n_open} open")
    return "\n".join(lines) + "\n"


def render_json(tasks: list[Any], *, color: bool = False, **_: Any) -> str:
    doc = envelope({"tasks": [t.to_dict() for t in tasks]})
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"
