"""Events: one JSON object a line, parsed into what the engine needs; time order.

An event is `{"ts": RFC 3339, "type": "pos.sale", "data": {...}, "metrics": {...}}`.
`ts` and `type` are required; `data` and `metrics` are optional objects; any other key is
kept and visible to CEL as `event.<key>` (unknown fields are not errors). Numbers become
doubles, as everywhere in agentctl's CEL. See docs/simulate.md.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from agentctl.findings import Finding, Location, Severity
from agentctl.model.types import format_duration


@dataclass(slots=True)
class Event:
    """One event, ready for the engine. `cel` is the `event` variable (numbers as doubles)."""

    seq: int  # position in the stream: the line number for a file
    ts: float  # seconds since the epoch (UTC)
    type: str
    cel: dict[str, Any]  # integers become doubles when CEL first needs it (doubles_in_place)
    metrics: dict[str, Any] | None
    doubled: bool = False


FIRST_TS = -62135596800.0  # 0001-01-01T00:00:00Z
LAST_TS = 253402300799.0  # 9999-12-31T23:59:59Z, the last whole second a datetime holds


def parse_ts(text: str) -> float:
    """RFC 3339 with a zone (`2026-03-01T08:00:00Z`, `...+01:00`) → epoch seconds."""
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        raise ValueError("no time zone")
    # in UTC it must still be a date (0001-01-01T00:00+01:00 is in year 0), and a float
    # that format_ts can turn back (9999-12-31T23:59:59.99999Z rounds into year 10000)
    ts = dt.timestamp()
    if not FIRST_TS <= ts <= LAST_TS:
        raise ValueError("out of range: years 1 to 9999 in UTC")
    return ts


def format_ts(ts: float) -> str:
    """Epoch seconds → RFC 3339 in UTC, whole seconds unless there is a fraction."""
    dt = datetime.fromtimestamp(ts, UTC)
    if dt.microsecond:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0") + "Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


# The caps on one event (docs/simulate.md): a longer line is refused unparsed, a deeper
# value too (orjson alone allows 1024 levels, past Python's recursion limit and CEL's).
MAX_LINE_BYTES = 1024 * 1024
MAX_DEPTH = 100  # as for YAML documents


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and objects in `value` nest deeper than `limit` (no recursion)."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        t = type(v)
        if t is dict or t is list:
            if depth > limit:
                return True
            stack.extend((c, depth + 1) for c in (v.values() if t is dict else v))
    return False


def doubles_in_place(d: dict[str, Any]) -> None:
    """Every integer in `d` (nested) becomes a double, in place: orjson gives fresh objects,
    and a walk that rebuilds them costs twice as much."""
    for k, v in d.items():
        t = type(v)
        if t is int:
            d[k] = float(v)
        elif t is dict:
            doubles_in_place(v)
        elif t is list:
            _doubles_list(v)


def _doubles_list(xs: list[Any]) -> None:
    for i, v in enumerate(xs):
        t = type(v)
        if t is int:
            xs[i] = float(v)
        elif t is dict:
            doubles_in_place(v)
        elif t is list:
            _doubles_list(v)


def _bad(file: str, line: int, message: str, hint: str) -> Finding:
    return Finding("event-invalid", Severity.ERROR, message, Location(file, line, 1), hint)


FORMAT_HINT = 'one JSON object a line: {"ts": "2026-03-01T08:00:00Z", "type": "...", "data": {}}'


def line_too_long(file: str, line: int) -> Finding:
    return _bad(
        file,
        line,
        f"the line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB; it was skipped",
        "one event a line: is this a JSON array of events rather than JSONL?",
    )


def parse_line(raw: bytes | str, line: int, file: str) -> Event | Finding:
    """One line → an Event, or a Finding that says what is wrong with it (never raises)."""
    if len(raw) > MAX_LINE_BYTES and len(raw.rstrip()) > MAX_LINE_BYTES:  # the break is free
        return line_too_long(file, line)
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return _bad(file, line, f"not JSON: {str(exc).split(':', 1)[0]}", FORMAT_HINT)
    if type(obj) is not dict:
        return _bad(file, line, f"an event is a JSON object, got {type(obj).__name__}", FORMAT_HINT)
    # Nesting is capped in parse_object, so every later walk (doubles_in_place, CEL) stays
    # far from a recursion limit. Counting brackets is C-fast; only a line with over
    # MAX_DEPTH of them can nest that deep, so only such a line is walked.
    if isinstance(raw, bytes):
        opens = raw.count(b"[") + raw.count(b"{")
    else:
        opens = raw.count("[") + raw.count("{")
    return parse_object(obj, line, file, deep=opens > MAX_DEPTH)


def parse_object(obj: dict[str, Any], line: int, file: str, deep: bool = True) -> Event | Finding:
    """An event already parsed from JSON (a line's object, or serve's queued CloudEvent) →
    an Event, or a Finding (never raises). The same checks for every source of events.
    `obj` becomes the Event's `event` variable (its `metrics` taken out); `deep=False`: the
    caller knows it cannot nest past MAX_DEPTH (parse_line's bracket count)."""
    ts_text = obj.get("ts")
    etype = obj.get("type")
    if type(ts_text) is not str:
        return _bad(file, line, "the event has no 'ts' string", FORMAT_HINT)
    if type(etype) is not str or not etype:
        return _bad(file, line, "the event has no 'type' string", FORMAT_HINT)
    try:
        ts = parse_ts(ts_text)
    except (ValueError, OverflowError, OSError) as exc:
        return _bad(
            file,
            line,
            f"'ts' {ts_text!r} is not an RFC 3339 time with a zone ({exc})",
            "write e.g. 2026-03-01T08:00:00Z",
        )
    metrics = obj.pop("metrics", None)
    if metrics is not None and type(metrics) is not dict:
        return _bad(file, line, "'metrics' must be an object of name: value", FORMAT_HINT)
    data = obj.get("data")
    if data is None:
        obj["data"] = {}
    elif type(data) is not dict:
        return _bad(file, line, "'data' must be an object", FORMAT_HINT)
    if deep and (too_deep(obj) or too_deep(metrics, MAX_DEPTH - 1)):
        return _bad(file, line, f"the event nests deeper than {MAX_DEPTH} levels", FORMAT_HINT)
    # the event itself is converted only if CEL needs it: the engine's fast path reads
    # integers as doubles on the way (agentctl/engine/fastpath.py)
    if metrics:
        doubles_in_place(metrics)
    return Event(line, ts, etype, obj, metrics)


def reorder(
    items: Iterable[Event | Finding], window: float, file: str = ""
) -> Iterator[Event | Finding]:
    """Events in time order. Within `window` seconds, late events are put back in place
    (ties keep stream order); later than that, an event is dropped with a finding."""
    heap: list[tuple[float, int, Event]] = []
    newest = float("-inf")  # the latest ts seen
    released = float("-inf")  # the ts of the last event handed on
    n = 0
    for item in items:
        if not isinstance(item, Event):
            yield item
            continue
        if item.ts < released or (window <= 0 and item.ts < newest):
            yield _late(item, newest if window <= 0 else released, window, file)
            continue
        if window <= 0:
            newest = released = item.ts
            yield item
            continue
        newest = max(newest, item.ts)
        n += 1
        heapq.heappush(heap, (item.ts, n, item))
        while heap and heap[0][0] <= newest - window:
            ev = heapq.heappop(heap)[2]
            released = ev.ts
            yield ev
    while heap:
        yield heapq.heappop(heap)[2]


def _late(ev: Event, before: float, window: float, file: str) -> Finding:
    by = format_duration(timedelta(seconds=before - ev.ts))
    if window <= 0:
        msg = f"event at {format_ts(ev.ts)} is out of order: {by} earlier than the one before it"
        hint = "sort the stream by ts, or allow a reordering window: --reorder-window 5m"
    else:
        msg = (
            f"event at {format_ts(ev.ts)} arrived {by} after newer events were already "
            "decided: later than the reordering window"
        )
        hint = "sort the stream by ts, or widen --reorder-window"
    return Finding(
        "event-out-of-order",
        Severity.ERROR,
        msg + "; it was skipped",
        Location(file, ev.seq, 1),
        hint,
    )
