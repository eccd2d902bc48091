"""Human tasks: work for a person, opened by a policy (escalate, incident), by an SLA breach
or by an interrupted action, and closed by a person with a reason. Only ledger events
(`task_opened`, `task_closed`): hash-chained like everything else, nothing kept beside.

A task's id is derived from what opened it (`origin`: a decision id and action index, a
run's trace and span), so reopening the same task after a restart is recognised and
refused rather than duplicated. docs/serve.md, "Human tasks".
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import orjson

from agentctl.errors import UsageError
from agentctl.ledger import Ledger
from agentctl.ledger.record import LedgerEvent, format_ts, new_span_id, new_trace_id

OPENED, CLOSED = "task_opened", "task_closed"
SEVERITIES = ("low", "medium", "high", "critical")


def task_id(origin: str) -> str:
    """The id of the task `origin` opens: short enough to type (`task-` + 10 hex)."""
    return "task-" + hashlib.sha256(origin.encode()).hexdigest()[:10]


@dataclass
class Task:
    id: str
    role: str  # who must act: role/NAME
    title: str
    severity: str
    origin: str  # what opened it (a decision id, a run's trace/span)
    opened_at: str
    opened_by: str  # the principal that opened it (policy/x, charter/x)
    detail: dict[str, Any] = field(default_factory=dict)
    closed_at: str | None = None
    closed_by: str | None = None
    reason: str | None = None

    @property
    def open(self) -> bool:
        return self.closed_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": "open" if self.open else "closed",
            "role": self.role,
            "title": self.title,
            "severity": self.severity,
            "origin": self.origin,
            "opened_at": self.opened_at,
            "opened_by": self.opened_by,
            "detail": self.detail,
            "closed_at": self.closed_at,
            "closed_by": self.closed_by,
            "reason": self.reason,
        }


def opened_attrs(
    role: str, title: str, origin: str, *, severity: str = "medium", detail: Any = None
) -> dict[str, Any]:
    """The attrs of a `task_opened` event (every writer builds them here: one format)."""
    return {
        "task_id": task_id(origin),
        "role": role,
        "title": title,
        "severity": severity,
        "origin": origin,
        "detail": detail if detail is not None else {},
    }


def opened_event(
    attrs: dict[str, Any],
    *,
    principal: str,
    ts: str,
    trace_id: str | None = None,
    parent_span_id: str | None = None,
) -> LedgerEvent:
    return LedgerEvent(
        kind=OPENED,
        trace_id=trace_id or new_trace_id(),
        span_id=new_span_id(),
        parent_span_id=parent_span_id,
        ts=ts,
        principal=principal,
        operation=attrs["role"],
        status="open",
        attrs=attrs,
    )


_SELECT = "SELECT kind, ts, principal, attrs FROM events WHERE kind IN (?, ?) ORDER BY seq"


def _fold(rows: list[tuple[str, str, str, str]]) -> dict[str, Task]:
    tasks: dict[str, Task] = {}
    for kind, ts, principal, raw in rows:
        a = orjson.loads(raw)
        tid = a.get("task_id")
        if not isinstance(tid, str):
            continue
        if kind == OPENED and tid not in tasks:
            tasks[tid] = Task(
                tid,
                str(a.get("role", "")),
                str(a.get("title", "")),
                str(a.get("severity", "medium")),
                str(a.get("origin", "")),
                ts,
                principal,
                a.get("detail") or {},
            )
        elif kind == CLOSED and tid in tasks and tasks[tid].open:
            t = tasks[tid]
            t.closed_at, t.closed_by, t.reason = ts, str(a.get("by", "")), str(a.get("reason", ""))
    return tasks


def _read(conn: sqlite3.Connection) -> dict[str, Task]:
    return _fold(conn.execute(_SELECT, (OPENED, CLOSED)).fetchall())


def list_tasks(ledger: Ledger, open_only: bool = False) -> list[Task]:
    """Every task in opening order (or only the open ones)."""
    tasks = _read(ledger.conn).values()
    return [t for t in tasks if t.open or not open_only]


def close_task(ledger: Ledger, tid: str, reason: str, by: str, now: _dt.datetime) -> Task:
    """Close task `tid`; read and appended under the ledger's write lock, so two people
    closing the same task at once close it once. Raises UsageError: unknown, closed."""
    if not reason.strip():
        raise UsageError("a task is closed with a reason", hint="add --reason 'what was done'")
    found: list[Task] = []

    def build(conn: sqlite3.Connection) -> LedgerEvent:
        tasks = _read(conn)
        t = tasks.get(tid)
        if t is None:
            known = ", ".join(x.id for x in tasks.values() if x.open) or "none open"
            raise UsageError(f"no task {tid!r}", hint=f"open tasks: {known} (agentctl tasks)")
        if not t.open:
            raise UsageError(
                f"{tid} was already closed by {t.closed_by} at {t.closed_at}: {t.reason}",
                hint="agentctl tasks lists the open ones",
            )
        t.closed_at, t.closed_by, t.reason = format_ts(now), by, reason
        found.append(t)
        return LedgerEvent(
            kind=CLOSED,
            trace_id=new_trace_id(),
            span_id=new_span_id(),
            parent_span_id=None,
            ts=format_ts(now),
            principal=f"user/{by}",
            operation=t.role,
            status="closed",
            attrs={"task_id": tid, "by": by, "reason": reason},
        )

    ledger.append_with(build, lambda _c, _s: None)
    return found[0]
