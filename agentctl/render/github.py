"""GitHub Actions workflow commands (`::error file=…::`), most severe first.

GitHub shows only 10 error and 10 warning annotations per step; the complete list goes to
the job summary (markdown), which the CLI writes when $GITHUB_STEP_SUMMARY is set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from agentctl.findings import Finding, by_severity

if TYPE_CHECKING:
    from agentctl.lint import LintReport

COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding, prefix: str = "") -> str:
    props = ",".join(
        [
            f"file={_escape_property(prefix + f.location.file)}",
            f"line={f.location.line}",
            f"col={f.location.column}",
            f"title={_escape_property(f.code)}",
        ]
    )
    text = f.message + (f"\n{f.hint}" if f.hint else "")
    return f"::{COMMAND[f.severity.value]} {props}::{_escape_data(text)}"


def render_findings(findings: Sequence[Finding], prefix: str = "") -> str:
    return "".join(annotation(f, prefix) + "\n" for f in by_severity(findings))


def render_lint(report: LintReport, *, color: bool = False) -> str:
    return render_findings(report.findings, report.repo_prefix)


def write_step_summary(report: LintReport, environ: Mapping[str, str]) -> bool:
    """Append the complete findings (markdown) to $GITHUB_STEP_SUMMARY, when it is set:
    annotations stop at 10 per severity. True when written."""
    from agentctl.render import markdown

    path = environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(markdown.render_lint(report))
    return True
