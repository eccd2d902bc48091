"""`agentctl diff` as text: the verdict first, then Terraform's symbols per resource."""

from __future__ import annotations

import textwrap
from typing import Any

from agentctl.diff import SYMBOLS, DiffReport, ResourceChange
from agentctl.diff.fields import show
from agentctl.render.ansi import style

WIDTH = 80
BADGE = {"high": "HIGH", "medium": "MEDIUM", "low": "low"}
COLOR = {"high": "red", "medium": "yellow", "low": "dim"}
MARK = {"widening": "!", "narrowing": "-", "neutral": " "}


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def field_lines(fields: Any) -> list[str]:
    """A change's fields, `key: old → new` on one line when it fits, else on three (the
    plan's text shows them the same way)."""
    lines = []
    for f in fields:
        old, new = show(f.old), show(f.new)
        one = f"      {f.key}: {old} → {new}"
        if len(one) <= WIDTH:
            lines.append(one)
        else:
            lines.append(f"      {f.key}:")
            lines.append(_clip(f"        - {old}", WIDTH))
            lines.append(_clip(f"        + {new}", WIDTH))
    return lines


def _change(c: ResourceChange, color: bool) -> list[str]:
    badge = style(f"[{BADGE[c.level]}]", COLOR[c.level], color)
    head = f"{SYMBOLS[c.action]} {c.ref}  {badge}  {c.action}"
    lines = [head]
    if c.action == "rename":
        lines.append(f"    renamed from {c.old_ref} ({c.old_file})")
    where = c.file if not c.old_file or c.action == "rename" else f"{c.old_file} → {c.file}"
    lines.append(f"    {where}")
    for r in c.risks:
        if r.direction == "neutral" and (c.fields or c.action != "update"):
            continue  # said by the field changes below, or by the lines above
        if c.failed_expectations and "expectation" in r.message:
            continue  # listed below
        lines.extend(_wrap(f"{MARK[r.direction]} {r.message}", "    "))
    lines.extend(field_lines(c.fields))
    if c.failed_expectations:
        lines.append(f"    {len(c.failed_expectations)} scenario expectation(s) now fail:")
        lines.extend(ln for e in c.failed_expectations for ln in _wrap(e, "      "))
    for flip in c.flips:
        lines.extend(_wrap(str(flip), "      "))
    if c.approver:
        lines.append(f"    approval: {c.approver}")
    return lines


def render(report: DiffReport, *, color: bool = False, **_: Any) -> str:
    lines = [report.verdict(), f"{report.base} → {report.head}"]
    for c in report.changes:
        lines.append("")
        lines.extend(_change(c, color))
    return "\n".join(lines) + "\n"
