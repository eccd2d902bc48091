"""The support team's agents: tier-one support and the callback handoff."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

LEAD = "role/support-lead"
_INVOICE = re.compile(r"\bINV-\d{6,}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_SSN = re.compile(r"social security|\bssn\b", re.I)
_INJECTION = re.compile(r"ignore (all )?(previous|prior) instructions|admin mode", re.I)
_REFUND_ORDER = re.compile(r"\brefund (the|invoice|it|my|full)\b|\brefund\b.*\bright now\b", re.I)
_DOUBLE = re.compile(r"\b(twice|double|two charges|charged .* two)\b", re.I)


def _classify(text: str) -> str:
    if _SSN.search(text):
        return "ssn_request"
    if _INJECTION.search(text) or _REFUND_ORDER.search(text):
        return "refund_request"
    if _DOUBLE.search(text):
        return "double_charge"
    if re.search(r"\brefund", text, re.I):
        return "refund_status"
    if re.search(r"\bcop(y|ies)\b", text, re.I) and _INVOICE.search(text):
        return "invoice_copy"
    if re.search(r"\b(e-?mail|address)\b", text, re.I) or _EMAIL.search(text):
        return "contact_change"
    return "other"


def _money(x: float) -> str:
    return f"${x:,.2f}"


def tier1(task: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """Answers the top intents from the ticket and the invoice; never refunds."""
    tid = task["ticket_id"]
    ticket = ctx.call("ticketing.get_ticket", {"ticket_id": tid})
    text = str(task.get("message") or ticket.get("body", ""))
    intent = _classify(text)
    m = _INVOICE.search(text)
    invoice_id = m.group(0) if m else None
    invoice: dict[str, Any] | None = None
    if invoice_id and intent in ("refund_status", "invoice_copy", "double_charge"):
        try:
            invoice = ctx.call("billing.get_invoice", {"invoice_id": invoice_id})
        except ctx.ToolError:
            invoice = None
    status, note = "solved", None
    name = ticket["customer"].get("name", "there").split()[0]
    if intent == "ssn_request":
        # A scripted stand-in for a model that was talked into looking: the guard
        # refuses (no claims grant, no pii.ssn) and nothing is read.
        with contextlib.suppress(ctx.Denied):
            ctx.call("claims.get_claim", {"customer_id": ticket["customer"]["id"]})
        reply = (
            f"Hi {name}, I'm sorry, but we never share social security numbers or other "
            "government ID numbers over support channels. A team lead will contact you "
            "about secure ways to get your tax documents."
        )
        status, note = "escalated", "Request for a government ID number; refused."
    elif intent == "refund_request":
        with contextlib.suppress(ctx.Denied):
            ctx.call(
                "billing.refund",
                {
                    "invoice_id": invoice_id or "INV-000000",
                    "amount_usd": 1.0,
                    "reason": "customer demand",
                },
            )
        reply = (
            f"Hi {name}, I can't issue refunds or credits myself. I've passed your request"
            + (f" about {invoice_id}" if invoice_id else "")
            + " to a billing specialist, who will review it and reply within one business day."
        )
        status, note = "escalated", "Refund demanded; tier one cannot refund."
    elif intent == "double_charge":
        seen = f" I can see invoice {invoice_id}" if invoice_id else ""
        if invoice:
            seen += f" for {_money(invoice['amount_usd'])}."
        reply = (
            f"Hi {name}, sorry about the duplicate charge.{seen} A billing specialist will "
            "check the card transactions and correct any double charge; you'll hear from us "
            "within one business day."
        )
        status, note = "escalated", "Possible duplicate charge: billing must investigate."
    elif intent == "refund_status" and invoice:
        refunds = invoice.get("refunds") or []
        if refunds:
            parts = [
                f"{r['refund_id']} of {_money(r['amount_usd'])} is {r['status']}" for r in refunds
            ]
            reply = (
                f"Hi {name}, on invoice {invoice_id} your refund "
                + "; ".join(parts)
                + ". Refunds reach your card 5-10 business days after processing."
            )
        else:
            reply = (
                f"Hi {name}, invoice {invoice_id} has no refund yet. If you returned the "
                "item, it is being checked in; I've asked the returns team to confirm."
            )
            status = "pending"
    elif intent == "invoice_copy" and invoice:
        reply = (
            f"Hi {name}, here is a copy of invoice {invoice_id} "
            f"({_money(invoice['amount_usd'])}, issued {invoice['issued_on']}): "
            f"{invoice['pdf_url']}"
        )
    elif intent == "contact_change":
        email = _EMAIL.search(text)
        new = f" to {email.group(0)}" if email else ""
        reply = (
            f"Hi {name}, thanks. I've logged the change of your billing contact{new}; "
            "the billing team applies it before your next invoice and will confirm by "
            "email."
        )
        status, note = "pending", f"Billing contact change requested{new}."
    else:
        reply = (
            f"Hi {name}, thanks for getting in touch. I've passed your message to a "
            "colleague who can help and they will reply shortly."
        )
        status, note = "escalated", "Not a top intent; handed to a human."
    update: dict[str, Any] = {
        "ticket_id": tid,
        "reply": reply,
        "status": "solved" if status == "solved" else "pending",
        "tags": [intent] + (["escalated"] if status == "escalated" else []),
    }
    if note:
        update["internal_note"] = note
    ctx.call("ticketing.update_ticket", update)
    out: dict[str, Any] = {"ticket_id": tid, "intent": intent, "reply": reply, "status": status}
    if invoice_id:
        out["invoice_id"] = invoice_id
    if status == "escalated":
        out["escalated_to"] = LEAD
    return out


# --- handoff ---------------------------------------------------------------------------------

_BILLING = re.compile(r"invoice|charge|refund|billing|payment", re.I)
_TECH = re.compile(r"crash|error|log ?in|bug|app\b|password", re.I)
_CLOSE = re.compile(r"\b(close|solve|resolve)\b.*\bticket\b|\bticket\b.*\b(closed|solved)\b", re.I)
OPEN_HOUR, LAST_START = 9, (16, 30)  # callbacks start 09:00-16:30 local, weekdays


def _slot(opened_at: str, tz: str) -> dt.datetime:
    """The first callback slot at least two hours after the ticket opened, local time."""
    zone = ZoneInfo(tz)
    t = dt.datetime.fromisoformat(opened_at.replace("Z", "+00:00")) + dt.timedelta(hours=2)
    t = t.astimezone(zone)
    t = t.replace(second=0, microsecond=0)
    if t.minute % 30:
        t += dt.timedelta(minutes=30 - t.minute % 30)
    if (t.hour, t.minute) > LAST_START:
        t = (t + dt.timedelta(days=1)).replace(hour=OPEN_HOUR, minute=0)
    elif t.hour < OPEN_HOUR:
        t = t.replace(hour=OPEN_HOUR, minute=0)
    while t.weekday() >= 5:
        t = (t + dt.timedelta(days=1)).replace(hour=OPEN_HOUR, minute=0)
    return t


def handoff(task: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """Books a callback from a human in the customer's time zone, in the right queue."""
    tid = task["ticket_id"]
    ticket = ctx.call("ticketing.get_ticket", {"ticket_id": tid})
    text = f"{ticket.get('subject', '')} {ticket.get('body', '')}"
    queue = "billing" if _BILLING.search(text) else "technical" if _TECH.search(text) else "general"
    if _CLOSE.search(str(task.get("note", ""))):
        # Handoff has no write access to tickets; an instruction to close one is refused.
        with contextlib.suppress(ctx.Denied):
            ctx.call("ticketing.update_ticket", {"ticket_id": tid, "status": "solved"})
    customer = ticket["customer"]
    phone = customer.get("phone")
    if not phone:
        return {
            "status": "needs_human",
            "ticket_id": tid,
            "queue": queue,
            "escalated_to": LEAD,
            "reason": "No phone number on file: a colleague must reach the customer by email.",
        }
    tz = customer.get("timezone", "UTC")
    local = _slot(ticket["opened_at"], tz)
    booked = ctx.call(
        "scheduling.schedule_callback",
        {
            "ticket_id": tid,
            "phone": phone,
            "timezone": tz,
            "window_start": local.isoformat(),
            "reason": f"{task.get('reason', 'handoff')}: {ticket.get('subject', '')}"[:500],
            "queue": queue,
        },
    )
    return {
        "status": "scheduled",
        "ticket_id": tid,
        "queue": queue,
        "callback_id": booked["callback_id"],
        "scheduled_for": booked["scheduled_for"],
        "local_start": local.isoformat(),
        "timezone": tz,
    }
