"""`agentctl diff --format github`: annotations on the changed lines, highest risk first."""

from __future__ import annotations

from agentctl.diff import DiffReport
from agentctl.findings import Finding, Severity
from agentctl.render.github import render_findings

SEVERITY = {"high": Severity.ERROR, "medium": Severity.WARNING, "low": Severity.INFO}


def findings(report: DiffReport) -> list[Finding]:
    out = []
    for c in report.changes:
        for r in c.risks:
            hint = f"approval: {c.approver}" if c.approver and r.level == "high" else None
            out.append(
                Finding(
                    f"diff-{r.level}",
                    SEVERITY[r.level],
                    f"{c.ref}: {r.message}",
                    c.location(r.path),
                    hint,
                    resource=c.ref,
                )
            )
    return out


def render(report: DiffReport, *, color: bool = False, prefix: str = "", **_: object) -> str:
    return render_findings(findings(report), prefix)
