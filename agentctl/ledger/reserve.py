"""Budget reservations: what a charter, or a contract, has used today and holds in flight.

Per-day limits are shared by every run of a charter (and every request under a contract),
whichever process makes it. Reading the day's totals once at the start lets concurrent runs
each spend the whole day. So a run *reserves* before it spends: a `reservation` event
(committed under a lock file, runtime/reserve.py) adds to what its span holds, and the span's
closing event releases the hold (`run_end` for a charter's run, the `agent_request` for a
contract's request). A decision counts what was used (committed step events) plus what other
spans still hold and have not used yet; since no run uses more than it holds, the day's
committed totals never pass a limit. A span that never closes (its process was killed)
keeps its hold until the day ends: the limit errs on the side of stopping.

This module is the ledger side: the rows, read once per day window and then kept up to date
from new rows (a rowid range scan), and the pure arithmetic over them. No locks here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from agentctl.ledger.store import STEP_KINDS, Ledger

KIND = "reservation"
ZERO = Decimal(0)

# (seq, kind, span_id, parent_span_id, status, cost_usd, tokens, latency_ms, attrs or None)
Row = tuple[int, str, str, str | None, str, float, int, float, str | None]
_COLUMNS = (
    "seq, kind, span_id, parent_span_id, status, cost_usd, tokens, latency_ms, "
    "CASE WHEN kind IN ('reservation', 'agent_request') THEN attrs END"
)


def money(value: Any) -> Decimal:
    """A stored amount (a float column, or a string or number in attrs) as an exact Decimal:
    sums of many small floats must not drift past a limit."""
    if value is None:
        return ZERO
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


@dataclass
class Amounts:
    """The counters a per-day limit is kept on."""

    usd: Decimal = ZERO
    steps: int = 0
    tool_calls: int = 0
    tokens: int = 0

    def add(self, other: Amounts) -> None:
        self.usd += other.usd
        self.steps += other.steps
        self.tool_calls += other.tool_calls
        self.tokens += other.tokens

    def unused(self, used: Amounts) -> Amounts:
        """What a hold still covers: never below zero (a hold is not a credit)."""
        return Amounts(
            max(ZERO, self.usd - used.usd),
            max(0, self.steps - used.steps),
            max(0, self.tool_calls - used.tool_calls),
            max(0, self.tokens - used.tokens),
        )

    @classmethod
    def from_attrs(cls, a: dict[str, Any]) -> Amounts:
        return cls(
            money(a.get("usd")),
            int(a.get("steps", 0)),
            int(a.get("tool_calls", 0)),
            int(a.get("tokens", 0)),
        )


@dataclass
class _Hold:
    reserved: Amounts = field(default_factory=Amounts)
    used: Amounts = field(default_factory=Amounts)


def _attrs(text: str | None) -> dict[str, Any]:
    if not text or text == "{}":
        return {}
    value = orjson.loads(text)
    return value if isinstance(value, dict) else {}


def _step(row: Row, a: dict[str, Any]) -> Amounts:
    """What a step event used, as the guard counts it (Guard.note_call, note_model,
    note_ask): an ask costs the consumer what the provider spent (attrs.cost_usd)."""
    _seq, kind, _span, _parent, _status, cost, tokens, _lat, _a = row
    usd = money(cost)
    if kind == "agent_request":
        usd += money(a.get("cost_usd"))
    return Amounts(usd, 1, int(kind == "tool_call"), int(tokens))


@dataclass
class CharterDay:
    """A charter's day: what its step events used, and what its runs in flight hold."""

    used: Amounts = field(default_factory=Amounts)
    wall_time_s: float = 0.0
    holds: dict[str, _Hold] = field(default_factory=dict)  # run span -> its hold

    def apply(self, row: Row) -> None:
        _seq, kind, span, parent, status, _cost, _tok, latency, text = row
        if kind in STEP_KINDS and status != "denied":
            step = _step(row, _attrs(text) if kind == "agent_request" else {})
            self.used.add(step)
            hold = self.holds.get(parent or "")
            if hold is not None:
                hold.used.add(step)
        elif kind == "run_end":
            self.wall_time_s += latency / 1000.0
            self.holds.pop(span, None)
        elif kind == KIND:
            a = _attrs(text)
            if a.get("reserve") == "budget" and parent:
                self.holds.setdefault(parent, _Hold()).reserved.add(Amounts.from_attrs(a))

    def others(self, span: str | None) -> tuple[Amounts, int]:
        """What the runs other than `span` have used or still hold, and how many of them
        hold something: what `span`'s next reservation is judged against."""
        total = Amounts()
        total.add(self.used)
        mine = self.holds.get(span or "")
        if mine is not None:  # this run's own steps: the guard counts them itself
            total.usd -= mine.used.usd
            total.steps -= mine.used.steps
            total.tool_calls -= mine.used.tool_calls
            total.tokens -= mine.used.tokens
        flying = 0
        for key, hold in self.holds.items():
            if key == span:
                continue
            left = hold.reserved.unused(hold.used)
            if left != Amounts():
                flying += 1
            total.add(left)
        return total, flying


@dataclass
class ContractDay:
    """A contract's day: its requests (spend, outcomes) and the requests in flight."""

    usd: Decimal = ZERO
    requests: int = 0
    ok: int = 0
    complete: int = 0  # ok responses that carried every SLA field
    holds: dict[str, Decimal] = field(default_factory=dict)  # request span -> usd held

    def apply(self, row: Row) -> None:
        _seq, kind, span, parent, status, _cost, _tok, _lat, text = row
        a = _attrs(text)
        if kind == "agent_request":
            self.usd += money(a.get("cost_usd"))
            self.requests += 1
            self.ok += status == "ok"
            self.complete += bool(a.get("fields_complete"))
            self.holds.pop(span, None)
        elif kind == KIND and a.get("reserve") == "contract" and parent:
            self.holds[parent] = self.holds.get(parent, ZERO) + money(a.get("usd"))

    @property
    def committed_and_held(self) -> Decimal:
        return self.usd + sum(self.holds.values(), ZERO)


class DayRows:
    """The rows of one day window for one charter or one contract: read once, then only
    the rows committed since (whoever wrote them)."""

    def __init__(
        self, ledger: Ledger, since: str, until: str, *, principal: str = "", contract: str = ""
    ) -> None:
        self.ledger = ledger
        self.since = since
        self.until = until
        self.principal = principal
        self.contract = contract
        self.last_seq = -1

    def fetch(self) -> list[Row]:
        ledger = self.ledger
        # the writer shares the connection: reading inside its lock never sees a batch
        # half-way through its transaction
        with ledger._lock:
            conn = ledger.conn
            tail = int(conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])
            if self.last_seq < 0:
                if self.principal:
                    where = "principal = ? AND ts >= ? AND ts < ? AND seq <= ?"
                    args: tuple[Any, ...] = (self.principal, self.since, self.until, tail)
                else:
                    where = (
                        "kind IN ('agent_request', 'reservation') AND ts >= ? AND ts < ? "
                        "AND seq <= ? AND json_extract(attrs, '$.contract') = ?"
                    )
                    args = (self.since, self.until, tail, self.contract)
                sql = f"SELECT {_COLUMNS} FROM events WHERE {where} ORDER BY seq"
            else:
                # the new rows only: a rowid range (NOT INDEXED keeps the planner off the
                # principal and kind indexes, which would scan the whole day)
                if self.principal:
                    match = "principal = ?"
                    key = self.principal
                else:
                    match = (
                        "kind IN ('agent_request', 'reservation') "
                        "AND json_extract(attrs, '$.contract') = ?"
                    )
                    key = self.contract
                sql = (
                    f"SELECT {_COLUMNS} FROM events NOT INDEXED WHERE seq > ? AND seq <= ? "
                    f"AND ts >= ? AND ts < ? AND {match} ORDER BY seq"
                )
                args = (self.last_seq, tail, self.since, self.until, key)
            rows: list[Row] = conn.execute(sql, args).fetchall()
        self.last_seq = tail
        return rows
