"""`agentctl approvals`, `approve` and `deny` output: text and json."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from agentctl.approvals import Approval, Listing, approval_data
from agentctl.model.types import format_usd
from agentctl.render.envelope import envelope
from agentctl.render.json import dumps


def _line(a: Approval, listing: Listing) -> list[str]:
    req = a.request
    status = a.status(listing.now)
    lines = [f"{req.id}  {status:<8} {req.subject}"]
    lines.append(f"    needs {req.role}; requested by {req.requested_by} at {req.requested_at}")
    if req.value_usd is not None:
        lines.append(f"    value {format_usd(Decimal(req.value_usd))}")
    if req.expires_at:
        lines.append(f"    expires {req.expires_at}")
    if req.description:
        lines.append(f"    {req.description}")
    if a.grant:
        why = f": {a.grant.reason}" if a.grant.reason else ""
        lines.append(f"    approved by {a.grant.identity} as {a.grant.role} at {a.grant.at}{why}")
    if a.denial:
        why = f": {a.denial.reason}" if a.denial.reason else ""
        lines.append(f"    denied by {a.denial.identity} as {a.denial.role} at {a.denial.at}{why}")
    if a.use:
        lines.append(f"    used by {a.use.by} at {a.use.at}")
    return lines


def render_text(listing: Listing, *, color: bool = False, **_: Any) -> str:
    if listing.action == "list":
        if not listing.items:
            return "No approvals pending.\n"
        pending = sum(1 for a in listing.items if a.status(listing.now) == "pending")
        head = [f"{len(listing.items)} approval(s), {pending} pending."]
    else:
        head = [f"{listing.action.capitalize()} {len(listing.items)} request(s)."]
    lines = head
    for a in listing.items:
        lines.append("")
        lines.extend(_line(a, listing))
    return "\n".join(lines) + "\n"


def render_json(listing: Listing, *, color: bool = False, **_: Any) -> str:
    return dumps(
        envelope(
            {
                "kind": "approvals",
                "action": listing.action,
                "approvals": [approval_data(a, listing.now) for a in listing.items],
            }
        )
    )
