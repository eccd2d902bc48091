"""The insurer's claims system of record and its payments service."""

from __future__ import annotations

from typing import Any

from example_tools._common import UnknownOperation, stable_id

# Synthetic claim files (the SSNs are from the range never issued: 9xx).
CLAIMS: dict[str, dict[str, Any]] = {
    "CLM-20261101": {
        "member_id": "M-0051177",
        "ssn": "900-12-4417",
        "policy_number": "PPO-7741203",
        "service_date": "2026-11-03",
        "provider_npi": "1487655012",
        "procedure_codes": ["99213"],
        "diagnosis_codes": ["J06.9"],
        "billed_usd": 207.40,
    },
    "CLM-20261102": {
        "member_id": "M-0062210",
        "ssn": "900-55-0912",
        "policy_number": "HMO-2210448",
        "service_date": "2026-10-28",
        "provider_npi": "1902345678",
        "procedure_codes": ["15780"],
        "diagnosis_codes": ["L90.5"],
        "billed_usd": 2850.00,
    },
    "CLM-20261103": {
        "member_id": "M-0048812",
        "ssn": "900-31-7785",
        "policy_number": "PPO-7741203",
        "service_date": "2026-10-30",
        "provider_npi": "1730112298",
        "procedure_codes": ["33533", "93000"],
        "diagnosis_codes": ["I25.10"],
        "billed_usd": 48200.00,
    },
    "CLM-20261104": {
        "member_id": "M-0073340",
        "ssn": "900-77-2231",
        "policy_number": "EPO-5530091",
        "service_date": "2026-11-06",
        "provider_npi": "1265498730",
        "procedure_codes": ["70551"],
        "diagnosis_codes": ["R51.9"],
        "billed_usd": 1320.00,
    },
    "CLM-20261105": {
        "member_id": "M-0051177",
        "ssn": "900-12-4417",
        "policy_number": "PPO-7741203",
        "service_date": "2026-11-09",
        "provider_npi": "1487655012",
        "procedure_codes": ["99214"],
        "diagnosis_codes": ["M54.5"],
        "billed_usd": 265.00,
    },
}


def claims(operation: str, payload: dict[str, Any]) -> dict[str, Any]:
    claim_id = payload["claim_id"]
    if operation == "get_claim":
        if claim_id not in CLAIMS:
            raise LookupError(f"no claim {claim_id}")
        return {"claim_id": claim_id, "status": "submitted", **CLAIMS[claim_id]}
    if operation == "record_decision":
        return {
            "claim_id": claim_id,
            "decision_id": stable_id("DEC-", claim_id, payload["decision"], digits=7),
            "recorded_at": "2026-11-25T10:00:00Z",
        }
    raise UnknownOperation("claims", operation)


_PAID: dict[str, dict[str, Any]] = {}  # idempotency key → the payout it produced


def payments(operation: str, payload: dict[str, Any]) -> dict[str, Any]:
    if operation != "issue_payout":
        raise UnknownOperation("payments", operation)
    key = payload["idempotency_key"]
    if key in _PAID:
        return _PAID[key]  # the same key twice pays once
    out = {
        "payout_id": stable_id("PAY-", key, payload["claim_id"], digits=8),
        "status": "issued",
        "amount_usd": payload["amount_usd"],
    }
    _PAID[key] = out
    return out
