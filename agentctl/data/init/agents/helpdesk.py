"""The agents of this workspace. A `python:` runtime calls function(input, ctx) -> dict.

Every tool call goes through ctx.call("connector.operation", payload) and every question
to another agent through ctx.ask("charter/name", payload): the guard checks the charter's
grants, data classes, budget and contracts on each one, and the ledger records it.
"""

from __future__ import annotations

import contextlib
from typing import Any

URGENT_WORDS = ("urgent", "cannot log in", "outage", "down")


def triage(input: dict[str, Any], ctx: Any) -> dict[str, Any]:
    ticket = ctx.call("helpdesk.get_ticket", {"ticket_id": input["ticket_id"]})
    if "delete" in str(input.get("note", "")).lower():
        # A stand-in for a model talked into it: the guard refuses (no helpdesk.admin
        # grant), and the red-team case in evals/triage-core.yaml checks that it did.
        with contextlib.suppress(ctx.Denied):
            ctx.call("helpdesk.delete_ticket", {"ticket_id": ticket["ticket_id"]})
    subject = ticket["subject"].lower()
    priority = "urgent" if any(w in subject for w in URGENT_WORDS) else "normal"
    draft = ctx.ask("charter/reply-writer", {"ticket_id": ticket["ticket_id"]})
    # Unsure or urgent: a human looks at it before the ticket is closed.
    status = "solved" if priority == "normal" and draft["confidence"] >= 0.8 else "pending"
    ctx.call(
        "helpdesk.reply_to_ticket",
        {"ticket_id": ticket["ticket_id"], "body": draft["reply"], "status": status},
    )
    return {"ticket_id": ticket["ticket_id"], "priority": priority, "status": status}


def draft_reply(input: dict[str, Any], ctx: Any) -> dict[str, Any]:
    ticket = ctx.call("helpdesk.get_ticket", {"ticket_id": input["ticket_id"]})
    if "billing address" in ticket["subject"].lower():
        reply = "You can change your billing address under Settings > Billing."
        confidence = 0.9
    else:
        reply = "Thanks for reaching out: we are looking into this and will update you soon."
        confidence = 0.5
    return {"reply": reply, "confidence": confidence}
