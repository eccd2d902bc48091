"""`agentctl diff --format json`: every change with its fields, risks and approver."""

from __future__ import annotations

from typing import Any

from agentctl.diff import DiffReport, ResourceChange
from agentctl.diff.fields import MISSING, show
from agentctl.render.envelope import envelope
from agentctl.render.json import dumps


def _value(v: Any) -> Any:
    if v is MISSING:
        return None
    if isinstance(v, str | int | float | bool) or v is None:
        return v
    if isinstance(v, dict):
        return {str(k): _value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_value(x) for x in v]
    return show(v)


def change_data(c: ResourceChange) -> dict[str, Any]:
    return {
        "ref": c.ref,
        "kind": c.kind,
        "action": c.action,
        "risk": c.level,
        "file": c.file,
        "old_ref": c.old_ref,
        "old_file": c.old_file,
        "owner": c.owner,
        "approver": c.approver,
        "location": c.location().to_dict(),
        "risks": [
            {"level": r.level, "direction": r.direction, "message": r.message} for r in c.risks
        ],
        "fields": [
            {
                "path": f.key,
                "old": _value(f.old),
                "new": _value(f.new),
                "added": f.added,
                "removed": f.removed,
            }
            for f in c.fields
        ],
        "failed_expectations": c.failed_expectations,
        "flips": [str(f) for f in c.flips],
    }


def render(report: DiffReport, *, color: bool = False, **_: Any) -> str:
    return dumps(
        envelope(
            {
                "kind": "diff",
                "base": report.base,
                "head": report.head,
                "verdict": report.verdict(),
                "max_risk": report.max_risk,
                "approvers": report.approvers,
                "counts": {lv: report.count(lv) for lv in ("high", "medium", "low")},
                "changes": [change_data(c) for c in report.changes],
            }
        )
    )
