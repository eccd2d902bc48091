"""`agentctl inventory charter/NAME`: a charter's effective permissions (text and json)."""

from __future__ import annotations

from typing import Any

from agentctl.model.permissions import CharterPermissions
from agentctl.render.envelope import envelope
from agentctl.render.json import dumps


def render_text(report: CharterPermissions, *, color: bool = False) -> str:
    ref, perms = report.ref, report.operations
    if not perms:
        return f"{ref} can reach no operation (deny by default: spec.tools is empty)\n"
    rows = [("OPERATION", "EFFECT", "SCOPE", "DATA CLASSES", "VIA")]
    for p in perms.values():
        rows.append(
            (p.operation, p.effect, p.scope, ", ".join(p.data_classes) or "-", ", ".join(p.grants))
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"{ref} can reach {len(perms)} operation(s):"]
    for r in rows:
        cells = [r[i].ljust(widths[i]) for i in range(4)]
        lines.append("  ".join(cells) + "  " + r[4])
    return "\n".join(line.rstrip() for line in lines) + "\n"


def render_json(report: CharterPermissions, *, color: bool = False) -> str:
    perms = report.operations
    data: dict[str, Any] = {
        "kind": "permissions",
        "charter": report.ref,
        "operations": [
            {
                "operation": p.operation,
                "connector": p.connector,
                "scope": p.scope,
                "effect": p.effect,
                "data_classes": list(p.data_classes),
                "grants": list(p.grants),
            }
            for p in perms.values()
        ],
    }
    return dumps(envelope(data))
