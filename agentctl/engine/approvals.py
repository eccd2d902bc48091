"""The approvals graph: required Roles, escalated up `reports_to` until one may approve."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from agentctl.engine.compiled import Role
from agentctl.model.types import format_usd


@dataclass(frozen=True, slots=True)
class ApprovalStep:
    """One required sign-off: who the rule named, who can actually approve, and the path."""

    required: str  # the role the approval rule names
    approver: str | None  # the first role up the chain whose approves.max_usd covers it
    chain: tuple[str, ...]  # required, then each reports_to walked
    amount: Decimal

    @property
    def escalated(self) -> bool:
        return self.approver != self.required

    def to_dict(self) -> dict[str, Any]:
        return {
            "required": self.required,
            "approver": self.approver,
            "chain": list(self.chain),
            "escalated": self.escalated,
        }


def resolve(required: str, amount: Decimal, roles: dict[str, Role]) -> ApprovalStep:
    """Walk up from `required` to the first role that may approve `amount`.

    A role may approve when it has `approves.max_usd` at least `amount`. The walk stops
    with no approver at the top of the chain, at a role that is not defined, or on a cycle.
    """
    chain = [required]
    current = required
    while True:
        role = roles.get(current)
        if role is None:
            return ApprovalStep(required, None, tuple(chain), amount)
        if role.max_usd is not None and amount <= role.max_usd:
            return ApprovalStep(required, current, tuple(chain), amount)
        nxt = role.reports_to
        if nxt is None or nxt in chain:
            return ApprovalStep(required, None, tuple(chain), amount)
        chain.append(nxt)
        current = nxt


def describe(steps: tuple[ApprovalStep, ...]) -> str:
    parts = []
    for s in steps:
        if s.approver is None:
            parts.append(f"nobody in {' → '.join(s.chain)} may approve {format_usd(s.amount)}")
        elif s.escalated:
            parts.append(f"{s.required} escalated to {s.approver} ({format_usd(s.amount)})")
        else:
            parts.append(f"{s.approver} must approve")
    return "; ".join(parts)
