"""The insurer's agents: claims intake, claims policy (coverage), claims payout."""

from __future__ import annotations

import re
from typing import Any

ADJUSTER_LIMIT_USD = 10000  # role/claims-adjuster approves up to this much alone
_FISHING = re.compile(r"\b(ssn|social security|claim file)\b", re.I)


# --- intake ------------------------------------------------------------------------------


def _decide(claim: dict[str, Any], elig: dict[str, Any]) -> tuple[str, str, float | None]:
    """(decision, reason, payable) from the claim file and the eligibility answer."""
    code = elig["coverage_code"]
    if code == "PRIOR-AUTH-REQUIRED":
        return "pend", f"Pended for prior authorization. {elig['reason']}", None
    if not elig["eligible"]:
        return "deny", f"Denied under the member's plan. {elig['reason']}", None
    billed = float(claim["billed_usd"])
    if billed > ADJUSTER_LIMIT_USD:
        return (
            "pend",
            f"Covered ({code}), but ${billed:,.2f} billed is above the adjuster review "
            f"threshold of ${ADJUSTER_LIMIT_USD:,}; pended for role/claims-adjuster.",
            None,
        )
    payable = round(max(0.0, billed - float(elig.get("copay_usd") or 0)), 2)
    return "approve", f"Approved ({code}). {elig['reason']}", payable


def intake(task: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """Reads the claim (with the SSN), asks claims-policy for eligibility, records a decision.

    The SSN stays here: it is used for nothing but the identity check on the claim file,
    and never goes into the eligibility request, the decision or the output."""
    claim_id = task["claim_id"]
    claim = ctx.call("claims.get_claim", {"claim_id": claim_id})
    submitted = task.get("submitted_member_id")
    elig: dict[str, Any] = {}
    if submitted and submitted != claim["member_id"]:
        decision, payable = "pend", None
        reason = (
            "Pended: identity mismatch between the submitted member id and the claim file; "
            "an adjuster must verify the member."
        )
    else:
        try:
            elig = ctx.ask(
                "charter/claims-policy",
                {
                    k: claim[k]
                    for k in ("member_id", "policy_number", "service_date", "procedure_codes")
                },
            )
        except ctx.Escalated as exc:
            # the eligibility answer missed the contract's SLA and the contract escalates:
            # a person decides, whatever the late (or incomplete) answer said
            elig = {}
            decision, payable = "pend", None
            reason = (
                f"Pended for a human adjuster: the eligibility answer missed its SLA "
                f"({'; '.join(exc.reasons)})."
            )
        except (ctx.ToolError, ctx.Denied) as exc:
            elig = {}
            decision, payable = "pend", None
            reason = f"Pended: no eligibility decision was available ({exc.kind})."
        else:
            decision, reason, payable = _decide(claim, elig)
    record: dict[str, Any] = {"claim_id": claim_id, "decision": decision, "reason": reason}
    if elig.get("coverage_code"):
        record["coverage_code"] = elig["coverage_code"]
    if payable is not None:
        record["payable_usd"] = payable
    done = ctx.call("claims.record_decision", record)
    out = {**record, "decision_id": done["decision_id"], "member_id": claim["member_id"]}
    if decision == "pend":
        out["escalated_to"] = "role/claims-adjuster"
    return out


# --- policy (coverage interpretation) ------------------------------------------------------


def policy(task: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """Eligibility from clinical codes only; always answers the contract's three fields."""
    request = {
        k: task[k] for k in ("member_id", "policy_number", "service_date", "procedure_codes")
    }
    elig = ctx.call("coverage.check_eligibility", request)
    out = {
        "eligible": bool(elig["eligible"]),
        "coverage_code": elig["coverage_code"],
        "reason": elig["reason"],
    }
    for k in ("copay_usd", "deductible_remaining_usd"):
        if k in elig:
            out[k] = elig[k]
    return out


# --- payout ---------------------------------------------------------------------------------


def payout(task: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """One payout per approved claim, keyed by the decision id; holds what it must not pay."""
    claim_id, amount = task["claim_id"], float(task["payable_usd"])
    base = {"claim_id": claim_id, "decision_id": task["decision_id"]}
    if _FISHING.search(str(task.get("note", ""))):
        # An instruction in the task asks for the claim file. Payout was never granted it;
        # the guard refuses, and the payout goes on without it.
        try:
            ctx.call("claims.get_claim", {"claim_id": claim_id})
        except ctx.Denied:
            base["note"] = "The claim file is not available to payout; it was not read."
    if task["payee_id"] != task.get("payee_on_file", task["payee_id"]):
        return {
            **base,
            "status": "held",
            "amount_usd": 0,
            "hold_reason": "The payee differs from the payee on file at decision time.",
            "escalated_to": "role/claims-adjuster",
        }
    if amount > ADJUSTER_LIMIT_USD:
        return {
            **base,
            "status": "held",
            "amount_usd": 0,
            "hold_reason": (
                f"${amount:,.2f} is above the adjuster approval limit of "
                f"${ADJUSTER_LIMIT_USD:,}: a claims director must release it."
            ),
            "escalated_to": "role/claims-director",
        }
    paid = ctx.call(
        "payments.issue_payout",
        {
            "claim_id": claim_id,
            "payee_id": task["payee_id"],
            "amount_usd": amount,
            "method": task.get("method", "ach"),
            "idempotency_key": task["decision_id"],
        },
    )
    return {**base, **paid}
