"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

Each result carries `partialFingerprints` computed without line numbers, so code scanning
follows a finding across commits that move it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentctl import __version__
from agentctl.render.json import dumps

if TYPE_CHECKING:
    from agentctl.lint import LintReport

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
INFO_URI = "https://github.com/agentctl/agentctl"


def sarif_data(report: LintReport) -> dict[str, Any]:
    rules = list(report.rules.values())
    index = {r.id: i for i, r in enumerate(rules)}
    driver = {
        "name": "agentctl",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": INFO_URI,
        "rules": [
            {
                "id": r.id,
                "name": "".join(part.capitalize() for part in r.id.split("-")),
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.explanation},
                "help": {
                    "text": f"{r.summary}\n\n{r.explanation}\n\nagentctl explain {r.id}",
                    "markdown": f"**{r.summary}**\n\n{r.explanation}\n\n`agentctl explain {r.id}`",
                },
                "defaultConfiguration": {"level": LEVEL[r.severity.value]},
                "properties": {"category": r.category, "tags": ["agentctl", r.category]},
            }
            for r in rules
        ],
    }
    results = []
    for f in report.findings:
        text = f.message + (f"\nhint: {f.hint}" if f.hint else "")
        result: dict[str, Any] = {
            "ruleId": f.code,
            "level": LEVEL[f.severity.value],
            "message": {"text": text},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": report.repo_prefix + f.location.file,
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": {
                            "startLine": f.location.line,
                            "startColumn": f.location.column,
                        },
                    }
                }
            ],
            "partialFingerprints": {"agentctlFindingHash/v1": f.fingerprint()},
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        props: dict[str, Any] = {}
        if f.key_path:
            props["keyPath"] = f.key_path
        if f.resource:
            props["resource"] = f.resource
        if props:
            result["properties"] = props
        results.append(result)
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///"}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if report.workspace.commit:
        run["versionControlProvenance"] = [
            {"repositoryUri": INFO_URI, "revisionId": report.workspace.commit}
        ]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render_lint(report: LintReport, *, color: bool = False) -> str:
    return dumps(sarif_data(report))
