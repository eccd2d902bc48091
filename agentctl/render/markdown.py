"""Markdown: job summaries and pull-request comments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from agentctl.findings import Finding, by_severity

if TYPE_CHECKING:
    from agentctl.lint import LintReport

ICON = {"error": "🔴", "warning": "🟡", "info": "🔵"}


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def findings_table(findings: Sequence[Finding]) -> str:
    if not findings:
        return "No findings.\n"
    rows = ["| | Location | Rule | Message |", "|---|---|---|---|"]
    for f in by_severity(findings):
        msg = f.message + (f" — {f.hint}" if f.hint else "")
        rows.append(
            f"| {ICON[f.severity.value]} | `{_cell(str(f.location))}` | `{f.code}` | {_cell(msg)} |"
        )
    return "\n".join(rows) + "\n"


def render_lint(report: LintReport, *, color: bool = False) -> str:
    c = report.counts
    head = f"### agentctl lint: {c['error']} errors, {c['warning']} warnings, {c['info']} info\n\n"
    return head + findings_table(report.findings)
