"""Reading the ledger: filtered events, the agents that touched a data class, one trace."""

from __future__ import annotations

import datetime as _dt
import fnmatch
from dataclasses import dataclass, field
from typing import Any

import orjson

from agentctl.ledger.schema import EVENT_COLUMNS
from agentctl.ledger.store import Ledger

# the columns of an event row, in table order: one list, kept in schema.py
EVENT_FIELDS = EVENT_COLUMNS
_SELECT = "SELECT " + ", ".join(f"e.{c}" for c in EVENT_FIELDS) + " FROM events e"


@dataclass
class Filters:
    """What `agentctl ledger query` filters on; times are absolute RFC 3339 strings."""

    agents: list[str] = field(default_factory=list)
    data_classes: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    traces: list[str] = field(default_factory=list)
    since: str | None = None
    until: str | None = None
    limit: int | None = None


@dataclass
class QueryResult:
    """What `ledger query` found: events, or per-agent counts when `agents` is set."""

    filters: Filters
    agents: bool
    rows: list[dict[str, Any]]


@dataclass
class TraceResult:
    """One trace's events, oldest first (`ledger show`)."""

    trace_id: str
    events: list[dict[str, Any]]


def run_query(ledger: Ledger, f: Filters, *, agents: bool = False) -> QueryResult:
    return QueryResult(f, agents, agents_summary(ledger, f) if agents else query(ledger, f))


def show_trace(ledger: Ledger, text: str) -> TraceResult:
    """The trace that `text` (an id or a unique prefix) names."""
    tid = resolve_trace(ledger, text)
    return TraceResult(tid, trace_events(ledger, tid))


def class_matches(pattern: str, name: str) -> bool:
    """`pii` matches pii.ssn (a dotted prefix), `ssn` matches pii.ssn (a dotted suffix),
    `pii.*` is a glob, anything else matches exactly."""
    if any(ch in pattern for ch in "*?["):
        return fnmatch.fnmatchcase(name, pattern)
    return name == pattern or name.startswith(pattern + ".") or name.endswith("." + pattern)


def resolve_classes(ledger: Ledger, patterns: list[str]) -> list[str]:
    """The recorded data classes the patterns name (from the small data_classes table)."""
    known = [r[0] for r in ledger.conn.execute("SELECT name FROM data_classes")]
    return sorted({n for n in known for p in patterns if class_matches(p, n)})


def agents_touching(
    ledger: Ledger, data_class: str, since: str | None, until: str | None
) -> list[str]:
    """Distinct agents that touched `data_class` (a pattern) in [since, until)."""
    names = resolve_classes(ledger, [data_class])
    if not names:
        return []
    where, args = _time_where("ts", since, until)
    marks = ", ".join("?" * len(names))
    sql = (
        f"SELECT DISTINCT principal FROM event_data_classes "
        f"WHERE data_class IN ({marks}){where} ORDER BY principal"
    )
    return [r[0] for r in ledger.conn.execute(sql, [*names, *args])]


def agents_summary(ledger: Ledger, f: Filters) -> list[dict[str, Any]]:
    """Per agent: how many matching events, first and last time (for `query --agents`)."""
    sql, args = _events_sql(ledger, f, columns="e.principal, count(*), min(e.ts), max(e.ts)")
    if sql is None:
        return []
    sql += " GROUP BY e.principal ORDER BY e.principal"
    return [
        {"agent": a, "events": n, "first": lo, "last": hi}
        for a, n, lo, hi in ledger.conn.execute(sql, args)
    ]


def query(ledger: Ledger, f: Filters) -> list[dict[str, Any]]:
    """Events matching every filter, oldest first, as dicts of their stored columns."""
    sql, args = _events_sql(ledger, f)
    if sql is None:
        return []
    sql += " ORDER BY e.seq"
    if f.limit is not None:
        sql += " LIMIT ?"
        args.append(f.limit)
    return [_row(r) for r in ledger.conn.execute(sql, args)]


def trace_events(ledger: Ledger, trace_id: str) -> list[dict[str, Any]]:
    sql = _SELECT + " WHERE e.trace_id = ? ORDER BY e.seq"
    return [_row(r) for r in ledger.conn.execute(sql, (trace_id,))]


def resolve_trace(ledger: Ledger, text: str) -> str:
    """The full trace id that `text` (an id, or a unique prefix of one, any case) names.
    LedgerError when no trace or several traces match."""
    from agentctl.ledger.errors import LedgerError

    prefix = text.strip().lower()
    found = find_traces(ledger, prefix) if prefix else []
    if prefix in found:
        return prefix
    if not found:
        raise LedgerError(
            f"no trace {text!r} in the ledger",
            hint="list traces with: agentctl ledger query --kind run_start",
        )
    if len(found) > 1:
        raise LedgerError(
            f"trace prefix {text!r} is ambiguous: {', '.join(found[:3])}…",
            hint="give more characters of the trace id",
        )
    return found[0]


def find_traces(ledger: Ledger, prefix: str) -> list[str]:
    """Trace ids starting with `prefix` (so `ledger show 4bf9` works like a git hash)."""
    rows = ledger.conn.execute(
        "SELECT DISTINCT trace_id FROM events WHERE trace_id >= ? AND trace_id < ? LIMIT 10",
        (prefix, prefix + "g"),
    )
    return [r[0] for r in rows]


def _row(r: tuple[Any, ...]) -> dict[str, Any]:
    d = dict(zip(EVENT_FIELDS, r, strict=True))
    d["data_classes"] = orjson.loads(d["data_classes"])
    d["attrs"] = orjson.loads(d["attrs"])
    return d


def _time_where(col: str, since: str | None, until: str | None) -> tuple[str, list[Any]]:
    where, args = "", []
    if since is not None:
        where += f" AND {col} >= ?"
        args.append(since)
    if until is not None:
        where += f" AND {col} < ?"
        args.append(until)
    return where, args


def _in(col: str, values: list[str]) -> tuple[str, list[Any]]:
    return f" AND {col} IN ({', '.join('?' * len(values))})", list(values)


def _events_sql(
    ledger: Ledger, f: Filters, columns: str | None = None
) -> tuple[str | None, list[Any]]:
    head = _SELECT if columns is None else f"SELECT {columns} FROM events e"
    where, args = _time_where("e.ts", f.since, f.until)
    for col, values in (
        ("e.principal", f.agents),
        ("e.kind", f.kinds),
        ("e.status", f.statuses),
        ("e.trace_id", f.traces),
    ):
        if values:
            w, a = _in(col, values)
            where += w
            args += a
    if f.data_classes:
        names = resolve_classes(ledger, f.data_classes)
        if not names:
            return None, []
        # the (data_class, ts, principal) index finds the seqs; the events come by rowid
        sub, sub_args = _in("d.data_class", names)
        tw, ta = _time_where("d.ts", f.since, f.until)
        where += f" AND e.seq IN (SELECT d.seq FROM event_data_classes d WHERE 1{sub}{tw})"
        args += sub_args + ta
    return head + (" WHERE 1" + where if where else ""), args


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def resolve_when(text: str, now: _dt.datetime) -> str:
    """`7d`, `12h`, `30m`, `2w`, `90s` before `now`; or a date / RFC 3339 time; as a ledger ts.

    Raises ValueError with a readable reason.
    """
    from agentctl.ledger.record import format_ts

    t = text.strip()
    if t and t[-1] in _UNITS and t[:-1].isdigit():
        return format_ts(now - _dt.timedelta(seconds=int(t[:-1]) * _UNITS[t[-1]]))
    try:
        if len(t) == 10:
            moment = _dt.datetime.combine(_dt.date.fromisoformat(t), _dt.time(), _dt.UTC)
        else:
            moment = _dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=_dt.UTC)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a duration (7d, 12h, 30m, 2w) nor a date or time"
        ) from None
    return format_ts(moment)
