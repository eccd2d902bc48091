"""`agentctl diff --format markdown`: a pull-request comment.

The verdict and a risk table first, details in collapsible sections, a hidden marker so CI
updates one sticky comment in place, and never over GitHub's 65,536-character limit:
details are cut (with a pointer to the full report) before the table is.
"""

from __future__ import annotations

import html
from typing import Any

from agentctl.diff import SYMBOLS, DiffReport, ResourceChange
from agentctl.diff.fields import show

MARKER = "<!-- agentctl:diff -->"
LIMIT = 65_536
BUDGET = 60_000  # room for the closing note under the limit
ICON = {"high": "🔴 high", "medium": "🟠 medium", "low": "⚪ low"}


def _cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "&#124;").replace("\n", " ")


def _code(text: str) -> str:
    return f"<code>{_cell(text)}</code>"


def _details(c: ResourceChange) -> str:
    out = [f"<details><summary><code>{SYMBOLS[c.action]} {c.ref}</code> — {c.level}</summary>", ""]
    out.append(f"`{c.file}`" + (f" (was `{c.old_file}`)" if c.old_file else ""))
    out.append("")
    for r in c.risks:
        out.append(f"- **{r.level}** ({r.direction}): {_cell(r.message)}")
    if c.fields:
        out += ["", "| field | old | new |", "|---|---|---|"]
        for f in c.fields:
            old, new = show(f.old)[:200], show(f.new)[:200]
            out.append(f"| {_code(f.key)} | {_code(old)} | {_code(new)} |")
    if c.failed_expectations:
        out += ["", "Scenario expectations that now fail:"]
        out += [f"- {_cell(e)}" for e in c.failed_expectations]
    if c.flips:
        out += ["", "Decision flips on the recorded events:"]
        out += [f"- {_cell(str(f))}" for f in c.flips]
    out += ["", "</details>", ""]
    return "\n".join(out)


def render(report: DiffReport, *, color: bool = False, **_: Any) -> str:
    head = [
        MARKER,
        f"### agentctl diff: {report.verdict()}",
        "",
        f"`{report.base}` → `{report.head}`",
        "",
    ]
    if report.changes:
        head += ["| risk | | resource | why | approval |", "|---|---|---|---|---|"]
        for c in report.changes:
            why = "; ".join(r.message for r in c.risks if r.level == c.level)
            head.append(
                f"| {ICON[c.level]} | {SYMBOLS[c.action]} | `{c.ref}` | {_cell(why)[:300]} "
                f"| {c.approver or ''} |"
            )
        head.append("")
    text = "\n".join(head)
    if len(text) > BUDGET:  # the table alone is too long: keep its first rows
        text = text[:BUDGET].rsplit("\n", 1)[0] + "\n"
        return text + "\n_The table was cut to fit a comment: run `agentctl diff` for all of it._\n"
    body = []
    used = len(text)
    for i, c in enumerate(report.changes):
        part = _details(c)
        if used + len(part) > BUDGET:
            left = len(report.changes) - i
            body.append(
                f"_{left} more change(s) not shown in detail (comment size limit): "
                "run `agentctl diff` or `agentctl diff --format json` for the full report._\n"
            )
            break
        body.append(part)
        used += len(part)
    return text + "\n" + "\n".join(body)
