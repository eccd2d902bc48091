"""Human output for findings: `file:line:col: RULE-ID severity: message`, grouped by file."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from agentctl.findings import Finding
from agentctl.render.ansi import SEVERITY_COLOR, style

if TYPE_CHECKING:
    from agentctl.lint import LintReport

WIDTH = 80


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_findings(findings: Sequence[Finding], *, color: bool = False) -> str:
    lines: list[str] = []
    current: str | None = None
    for f in findings:
        if f.location.file != current:
            if current is not None:
                lines.append("")
            current = f.location.file
        sev = f.severity.value
        head = f"{f.location}: {f.code} {sev}: "
        body = textwrap.wrap(
            f.message, WIDTH, initial_indent=" " * len(head), subsequent_indent="    "
        ) or [" " * len(head)]
        first = body[0][len(head) :]
        lines.append(
            style(str(f.location), "bold", color)
            + ": "
            + style(f.code, "dim", color)
            + " "
            + style(sev, SEVERITY_COLOR[sev], color)
            + ": "
            + first
        )
        lines.extend(body[1:])
        if f.hint:
            for i, part in enumerate(textwrap.wrap(f.hint, WIDTH - 10)):
                lines.append(
                    ("    hint: " if i == 0 else "          ") + style(part, "cyan", color)
                )
    return "\n".join(lines) + ("\n" if lines else "")


def render_counts(counts: dict[str, int], *, color: bool = False) -> str:
    parts = [
        style(_plural(counts["error"], "error"), "red" if counts["error"] else "dim", color),
        style(
            _plural(counts["warning"], "warning"), "yellow" if counts["warning"] else "dim", color
        ),
        style(f"{counts['info']} info", "dim", color),
    ]
    return ", ".join(parts)


def render_lint(report: LintReport, *, color: bool = False) -> str:
    """Findings grouped by file, then what the workspace holds, then the verdict."""
    out = render_findings(report.findings, color=color)
    if out:
        out += "\n"
    ws = report.workspace
    kinds = ws.summary()
    total = sum(kinds.values())
    name = f" {ws.name}" if ws.name else ""
    name += f" at {ws.rev}" if ws.rev else ""
    out += f"Workspace{name}: {_plural(report.files, 'file')}, {_plural(total, 'resource')}\n"
    if kinds:
        items = [f"{n} {k}" for k, n in kinds.items()]
        out += "\n".join(
            textwrap.wrap(" · ".join(items), WIDTH - 2, initial_indent="  ", subsequent_indent="  ")
        )
        out += "\n"
    counts = report.counts
    if not report.findings:
        out += style("No findings.", "green", color) + "\n"
    else:
        out += render_counts(counts, color=color) + "\n"
    return out
