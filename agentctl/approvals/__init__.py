"""One approval mechanism, shared by deployments (`plan`/`apply`) and by `serve`'s
`needs_approval` decisions: a request bound to a subject digest, granted or denied by a
member of the required role, used once. docs/deploy.md ("Approvals") documents it.

This module is pure: the records and the rules. agentctl/approvals/store.py keeps them in
the ledger (approval_request, approval_granted, approval_denied, approval_used events) and
applies the rules under the ledger's write lock; the shell passes identity and time in.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from agentctl.errors import AgentctlError, ExitCode
from agentctl.ledger.record import format_ts
from agentctl.model.index import Workspace
from agentctl.model.kinds import RoleDoc

SUBJECT_KINDS = ("deployment", "decision")
EVENT_KINDS = ("approval_request", "approval_granted", "approval_denied", "approval_used")
PREFIX = "apr-"


class ApprovalError(AgentctlError):
    """An approval refused: not a member, the change's author, stale, expired, used."""

    exit_code = ExitCode.FINDINGS


@dataclass(frozen=True)
class Request:
    id: str  # apr- and 8 hex digits
    subject_kind: str  # deployment | decision
    subject: str  # what is approved, for people: "charter/x in prod", "decision d-…"
    digest: str  # binds the exact versions or values approved
    role: str  # role/NAME that must approve
    requested_by: str
    requested_at: str  # RFC 3339 (ledger format)
    expires_at: str | None = None
    description: str = ""
    env: str | None = None
    value_usd: str | None = None  # a decision's value: bounded by the role's approves.max_usd
    authors: tuple[str, ...] = ()  # who may not approve (the change's authors)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subject_kind": self.subject_kind,
            "subject": self.subject,
            "digest": self.digest,
            "role": self.role,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at,
            "expires_at": self.expires_at,
            "description": self.description,
            "env": self.env,
            "value_usd": self.value_usd,
            "authors": list(self.authors),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Request:
        return cls(
            id=d["id"],
            subject_kind=d["subject_kind"],
            subject=d["subject"],
            digest=d["digest"],
            role=d["role"],
            requested_by=d["requested_by"],
            requested_at=d["requested_at"],
            expires_at=d.get("expires_at"),
            description=d.get("description", ""),
            env=d.get("env"),
            value_usd=d.get("value_usd"),
            authors=tuple(d.get("authors", ())),
        )


@dataclass(frozen=True)
class Answer:
    """A grant or a denial: who (as which role), why, when."""

    role: str
    identity: str
    reason: str
    at: str

    def as_dict(self) -> dict[str, Any]:
        return {"role": self.role, "identity": self.identity, "reason": self.reason, "at": self.at}


@dataclass(frozen=True)
class Use:
    by: str  # the deployment or action that consumed it
    identity: str
    at: str


@dataclass(frozen=True)
class Approval:
    """A request and what happened to it, folded from its events."""

    request: Request
    grant: Answer | None = None
    denial: Answer | None = None
    use: Use | None = None

    @property
    def id(self) -> str:
        return self.request.id

    def expired(self, now: _dt.datetime) -> bool:
        exp = self.request.expires_at
        return exp is not None and format_ts(now) >= exp

    def status(self, now: _dt.datetime) -> str:
        """used | denied | granted | expired | pending (an unused grant also expires)."""
        if self.use is not None:
            return "used"
        if self.denial is not None:
            return "denied"
        if self.expired(now):
            return "expired"
        return "granted" if self.grant is not None else "pending"


def same_identity(a: str, b: str) -> bool:
    """Identities compare without case and surrounding space (emails, GitHub logins)."""
    return a.strip().casefold() == b.strip().casefold()


def role_chain(roles: Mapping[str, RoleDoc], role: str) -> list[str]:
    """`role` and the roles above it through reports_to (where approvals escalate)."""
    out: list[str] = []
    at: str | None = role
    while at is not None and at not in out:
        out.append(at)
        doc = roles.get(at)
        at = str(doc.spec.reports_to) if doc is not None and doc.spec.reports_to else None
    return out


def check_member(
    roles: Mapping[str, RoleDoc], role: str, identity: str, value_usd: str | None = None
) -> None:
    """`identity` holds `role`, and the role may approve `value_usd` (approves.max_usd)."""
    doc = roles.get(role)
    if doc is None:
        raise ApprovalError(
            f"no role {role!r} in the workspace",
            hint="roles: " + (", ".join(sorted(roles)) or "none declared"),
        )
    if not any(same_identity(identity, m) for m in doc.spec.members):
        raise ApprovalError(
            f"{identity} is not a member of {role}",
            hint=f"only members of {role} may approve (spec.members); "
            "pass your identity with --by if it differs",
        )
    if value_usd is not None:
        try:
            value = Decimal(value_usd)
        except InvalidOperation:
            raise ApprovalError(f"the approved value {value_usd!r} is not an amount") from None
        limit = doc.spec.approves.max_usd if doc.spec.approves else None
        if limit is None or value > limit:
            above = doc.spec.reports_to
            raise ApprovalError(
                f"{role} may approve up to {'$' + str(limit) if limit is not None else 'nothing'}"
                f" (approves.max_usd); this is ${value}",
                hint=f"ask {above} (reports_to)" if above else "raise approves.max_usd",
            )


def check_answer(
    approval: Approval,
    roles: Mapping[str, RoleDoc],
    role: str,
    identity: str,
    now: _dt.datetime,
    *,
    current_digest: str | None = None,
    granting: bool = True,
) -> None:
    """May `identity`, as `role`, grant (or deny) `approval` now? Raises ApprovalError."""
    req = approval.request
    status = approval.status(now)
    if status == "used":
        raise ApprovalError(
            f"{req.id} was already used by {approval.use.by if approval.use else '?'}",
            hint="an approval is used once: request a new one",
        )
    if status == "denied" and approval.denial is not None:
        raise ApprovalError(
            f"{req.id} was denied by {approval.denial.identity} ({approval.denial.role})",
            hint="a denied request stays denied: make a new plan or request",
        )
    if status == "expired":
        raise ApprovalError(
            f"{req.id} expired at {req.expires_at}", hint="an expired request cannot be answered"
        )
    if status == "granted" and approval.grant is not None:
        raise ApprovalError(
            f"{req.id} was already approved by {approval.grant.identity} ({approval.grant.role})",
            hint="nothing to do",
        )
    if current_digest is not None and current_digest != req.digest:
        raise ApprovalError(
            f"{req.id} approves an older version of {req.subject}: it changed since",
            hint="approve the current plan (agentctl plan, then agentctl approve)",
        )
    chain = role_chain(roles, req.role)
    if role not in chain:
        raise ApprovalError(
            f"{req.id} needs {req.role}, not {role}",
            hint="approve --as " + " or --as ".join(chain),
        )
    check_member(roles, role, identity, req.value_usd if granting else None)
    if granting and any(same_identity(identity, a) for a in req.authors):
        raise ApprovalError(
            f"{identity} authored this change to {req.subject} and cannot approve it "
            "(separation of duties)",
            hint=f"ask another member of {role}",
        )


def check_use(approval: Approval, digest: str, now: _dt.datetime) -> None:
    """May `approval` be used now for the subject with `digest`? Raises ApprovalError."""
    req = approval.request
    status = approval.status(now)
    if status == "used":
        raise ApprovalError(
            f"{req.id} was already used by {approval.use.by if approval.use else '?'}",
            hint="an approval is used once: request a new one",
        )
    if status != "granted":
        raise ApprovalError(f"{req.id} is {status}, not granted", hint=f"agentctl approve {req.id}")
    if digest != req.digest:
        raise ApprovalError(
            f"{req.id} approved another version of {req.subject} (stale)",
            hint="approve the current plan (agentctl plan, then agentctl approve)",
        )


def roles_of(ws: Workspace) -> dict[str, RoleDoc]:
    """The workspace's roles by reference (`role/NAME`): what the rules check against."""
    return {r.ref: r.doc for r in ws.roles}


@dataclass
class Listing:
    """Approvals to show (`agentctl approvals`, and what approve/deny recorded)."""

    items: list[Approval]
    now: _dt.datetime
    action: str = "list"  # list | approved | denied


def approval_data(a: Approval, now: _dt.datetime) -> dict[str, Any]:
    return {
        **a.request.as_dict(),
        "status": a.status(now),
        "granted": a.grant.as_dict() if a.grant else None,
        "denied": a.denial.as_dict() if a.denial else None,
        "used": {"by": a.use.by, "identity": a.use.identity, "at": a.use.at} if a.use else None,
    }
