"""Machine output: stable keys, a format_version, findings in a fixed order."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from agentctl.render.envelope import envelope

if TYPE_CHECKING:
    from agentctl.lint import LintReport


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def lint_data(report: LintReport) -> dict[str, Any]:
    ws = report.workspace
    return envelope(
        {
            "rev": ws.rev,
            "summary": {
                "files": report.files,
                "resources": ws.summary(),
                "findings": report.counts,
            },
            "findings": [f.to_dict() for f in report.findings],
        }
    )


def render_lint(report: LintReport, *, color: bool = False) -> str:
    return dumps(lint_data(report))
