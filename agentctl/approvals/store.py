"""Approvals in the ledger: each request, grant, denial and use is an event (hash-chained
like the rest), with `principal` = the request id so that reading one request is an
indexed lookup. Every rule is checked under the ledger's write lock, in the transaction
that records the answer or the use: two approvers, or two applies, cannot both win.
"""

from __future__ import annotations

import datetime as _dt
import os
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from agentctl.approvals import (
    EVENT_KINDS,
    PREFIX,
    SUBJECT_KINDS,
    Answer,
    Approval,
    ApprovalError,
    Request,
    Use,
    check_answer,
    check_use,
)
from agentctl.ledger.record import LedgerEvent, format_ts, new_span_id, new_trace_id
from agentctl.ledger.store import Ledger
from agentctl.model.kinds import RoleDoc

_KIND_LIST = ", ".join(f"'{k}'" for k in EVENT_KINDS)


def new_id(conn: sqlite3.Connection | None = None) -> str:
    """`apr-` and 8 hex digits: short enough to type; given the ledger, one it does not
    hold yet (32 bits collide once in a while among thousands of requests)."""
    while True:
        got = PREFIX + os.urandom(4).hex()
        if conn is None or get(conn, got) is None:
            return got


def _event(
    kind: str, request_id: str, subject_kind: str, at: str, attrs: dict[str, Any]
) -> LedgerEvent:
    return LedgerEvent(
        kind=kind,
        trace_id=new_trace_id(),
        span_id=new_span_id(),
        parent_span_id=None,
        ts=at,
        principal=request_id,
        operation=subject_kind,
        attrs=attrs,
    )


def _fold(rows: Iterable[tuple[Any, ...]]) -> dict[str, Approval]:
    out: dict[str, Approval] = {}
    for kind, principal, attrs_text in rows:
        attrs = orjson.loads(attrs_text)
        if kind == "approval_request":
            out[principal] = Approval(Request.from_dict(attrs))
            continue
        got = out.get(principal)
        if got is None:
            continue
        if kind == "approval_granted":
            out[principal] = Approval(got.request, _answer(attrs), got.denial, got.use)
        elif kind == "approval_denied":
            out[principal] = Approval(got.request, got.grant, _answer(attrs), got.use)
        elif kind == "approval_used":
            use = Use(attrs["by"], attrs.get("identity", ""), attrs["at"])
            out[principal] = Approval(got.request, got.grant, got.denial, use)
    return out


def _answer(attrs: Mapping[str, Any]) -> Answer:
    return Answer(attrs["role"], attrs["identity"], attrs.get("reason", ""), attrs["at"])


def get(conn: sqlite3.Connection, request_id: str) -> Approval | None:
    """One request and its answers (an indexed lookup by principal)."""
    rows = conn.execute(
        "SELECT kind, principal, attrs FROM events "
        f"WHERE principal = ? AND +kind IN ({_KIND_LIST}) ORDER BY seq",
        (request_id,),
    )
    return _fold(rows).get(request_id)


def every(conn: sqlite3.Connection) -> list[Approval]:
    """Every request with its answers, oldest first."""
    rows = conn.execute(
        f"SELECT kind, principal, attrs FROM events WHERE kind IN ({_KIND_LIST}) ORDER BY seq"
    )
    return list(_fold(rows).values())


def _need(conn: sqlite3.Connection, request_id: str) -> Approval:
    got = get(conn, request_id)
    if got is None:
        raise ApprovalError(
            f"no approval request {request_id!r} in the ledger",
            hint="list them with agentctl approvals --all",
        )
    return got


def request(ledger: Ledger, req: Request) -> Request:
    """Record a request (its id must be new)."""
    if req.subject_kind not in SUBJECT_KINDS:
        raise ValueError(f"unknown subject kind {req.subject_kind!r}")

    def build(conn: sqlite3.Connection) -> list[LedgerEvent]:
        if get(conn, req.id) is not None:
            raise ApprovalError(f"approval request {req.id} exists already")
        return [
            _event("approval_request", req.id, req.subject_kind, req.requested_at, req.as_dict())
        ]

    ledger.append_built(build)
    return req


def _answer_event(
    ledger: Ledger,
    kind: str,
    request_id: str,
    roles: Mapping[str, RoleDoc],
    role: str,
    identity: str,
    reason: str,
    now: _dt.datetime,
    current_digest: str | None,
) -> Approval:
    at = format_ts(now)
    answered: list[Approval] = []

    def build(conn: sqlite3.Connection) -> list[LedgerEvent]:
        approval = _need(conn, request_id)
        granting = kind == "approval_granted"
        check_answer(
            approval, roles, role, identity, now, current_digest=current_digest, granting=granting
        )
        answer = Answer(role, identity, reason, at)
        answered.append(
            Approval(approval.request, answer, None)
            if granting
            else Approval(approval.request, None, answer)
        )
        return [_event(kind, request_id, approval.request.subject_kind, at, answer.as_dict())]

    ledger.append_built(build)
    return answered[0]


def grant(
    ledger: Ledger,
    request_id: str,
    roles: Mapping[str, RoleDoc],
    role: str,
    identity: str,
    *,
    reason: str,
    now: _dt.datetime,
    current_digest: str | None = None,
) -> Approval:
    """`identity`, as `role`, approves the request; refused (ApprovalError, nothing
    written) unless it is pending, unexpired, for the role (or one above it), by a member
    (within approves.max_usd for a value), not by an author of the change, and, given the
    subject's `current_digest`, for the subject as it is now."""
    return _answer_event(
        ledger, "approval_granted", request_id, roles, role, identity, reason, now, current_digest
    )


def deny(
    ledger: Ledger,
    request_id: str,
    roles: Mapping[str, RoleDoc],
    role: str,
    identity: str,
    *,
    reason: str,
    now: _dt.datetime,
) -> Approval:
    """`identity`, as `role`, denies the request (members only; pending requests only)."""
    return _answer_event(
        ledger, "approval_denied", request_id, roles, role, identity, reason, now, None
    )


def use_events(
    conn: sqlite3.Connection,
    wanted: Mapping[str, str],
    by: str,
    identity: str,
    now: _dt.datetime,
) -> list[LedgerEvent]:
    """The approval_used events that consume the requests `wanted` (id → the digest of the
    subject as it is used), after checking each is granted, unused, unexpired and for that
    digest. For a caller's own transaction (deploy/state.py `record`'s extra)."""
    at = format_ts(now)
    out: list[LedgerEvent] = []
    for request_id, digest in sorted(wanted.items()):
        approval = _need(conn, request_id)
        check_use(approval, digest, now)
        out.append(
            _event(
                "approval_used",
                request_id,
                approval.request.subject_kind,
                at,
                {"by": by, "identity": identity, "at": at},
            )
        )
    return out


def use(
    ledger: Ledger, request_id: str, digest: str, *, by: str, identity: str, now: _dt.datetime
) -> None:
    """Consume one approval for one action (serve): refused unless usable, once."""
    ledger.append_built(lambda conn: use_events(conn, {request_id: digest}, by, identity, now))


def matching(
    approvals: Sequence[Approval], subject_kind: str, digest: str, role: str | None = None
) -> list[Approval]:
    """The requests for this exact subject (and role), newest first."""
    return [
        a
        for a in reversed(approvals)
        if a.request.subject_kind == subject_kind
        and a.request.digest == digest
        and (role is None or a.request.role == role)
    ]
