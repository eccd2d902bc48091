"""Event lines: parsing, findings for bad lines, time order and the reordering window."""

from __future__ import annotations

import json
from typing import Any

import pytest
from engine_helpers import ev

from agentctl.engine import Event, format_ts, parse_line, reorder
from agentctl.findings import Finding


def test_parse_keeps_unknown_fields_and_makes_numbers_doubles() -> None:
    line = (
        b'{"ts":"2026-03-01T08:00:00+01:00","type":"a","data":{"n":[1,{"m":2}]},'
        b'"x":3,"metrics":{"r":1}}'
    )
    e = parse_line(line, 7, "f.jsonl")
    assert isinstance(e, Event)
    assert e.seq == 7
    assert format_ts(e.ts) == "2026-03-01T07:00:00Z"
    assert e.cel == {
        "ts": "2026-03-01T08:00:00+01:00",
        "type": "a",
        "data": {"n": [1.0, {"m": 2.0}]},
        "x": 3.0,
    }
    assert e.metrics == {"r": 1.0}
    assert type(e.metrics["r"]) is float


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "an event is a JSON object, got list"),
        (b'{"type": "a"}', "the event has no 'ts' string"),
        (b'{"ts": "2026-03-01T08:00:00Z"}', "the event has no 'type' string"),
        (b'{"ts": "2026-03-01T08:00:00", "type": "a"}', "is not an RFC 3339 time with a zone"),
        (b'{"ts": "yesterday", "type": "a"}', "is not an RFC 3339 time"),
        (b'{"ts": "2026-03-01T08:00:00Z", "type": "a", "data": 3}', "'data' must be an object"),
        (b'{"ts": "2026-03-01T08:00:00Z", "type": "a", "metrics": []}', "'metrics' must be"),
    ],
)
def test_bad_lines_are_findings_with_their_line(line: bytes, message: str) -> None:
    f = parse_line(line, 12, "sim/events.jsonl")
    assert isinstance(f, Finding)
    assert f.code == "event-invalid"
    assert message in f.message
    assert str(f.location) == "sim/events.jsonl:12:1"
    assert f.hint


def _stream(times: list[str]) -> list[Event]:
    return [ev(t, seq=i + 1) for i, t in enumerate(times)]


def test_out_of_order_without_a_window_is_a_finding_and_skipped() -> None:
    items = list(
        reorder(
            _stream(["2026-03-01T08:00:00Z", "2026-03-01T09:00:00Z", "2026-03-01T08:30:00Z"]),
            0,
            "e.jsonl",
        )
    )
    assert [type(i).__name__ for i in items] == ["Event", "Event", "Finding"]
    f = items[2]
    assert isinstance(f, Finding)
    assert f.code == "event-out-of-order"
    assert str(f.location) == "e.jsonl:3:1"
    assert "30m earlier than the one before it" in f.message
    assert "--reorder-window" in (f.hint or "")


def test_equal_times_are_in_order() -> None:
    items = list(reorder(_stream(["2026-03-01T08:00:00Z"] * 3), 0))
    assert [i.seq for i in items if isinstance(i, Event)] == [1, 2, 3]


def test_reordering_window_puts_late_events_back() -> None:
    times = [
        "2026-03-01T08:00:00Z",
        "2026-03-01T08:04:00Z",
        "2026-03-01T08:01:00Z",  # 3 minutes late: inside a 5m window
        "2026-03-01T08:20:00Z",
        "2026-03-01T08:02:00Z",  # after 08:04 was released: too late
    ]
    items = list(reorder(_stream(times), 300, "e.jsonl"))
    evs = [i for i in items if isinstance(i, Event)]
    assert [format_ts(e.ts)[11:16] for e in evs] == ["08:00", "08:01", "08:04", "08:20"]
    (f,) = [i for i in items if isinstance(i, Finding)]
    assert f.location.line == 5
    assert "later than the reordering window" in f.message


def test_gzip_and_plain_streams_read_the_same(tmp_path: Any) -> None:
    import gzip

    from agentctl.simulate.stream import read_events

    lines = [json.dumps({"ts": f"2026-03-01T08:0{i}:00Z", "type": "a"}) for i in range(5)]
    text = "\n".join(lines[:2]) + "\n\n" + "\n".join(lines[2:]) + "\n"
    (tmp_path / "e.jsonl").write_text(text)
    (tmp_path / "e.jsonl.gz").write_bytes(gzip.compress(text.encode()))
    plain = list(read_events(tmp_path / "e.jsonl"))
    packed = list(read_events(tmp_path / "e.jsonl.gz"))
    assert [(e.seq, e.ts) for e in plain] == [(e.seq, e.ts) for e in packed]  # type: ignore[union-attr]
    assert [e.seq for e in plain] == [1, 2, 4, 5, 6]  # type: ignore[union-attr]


def test_truncated_gzip_is_a_finding(tmp_path: Any) -> None:
    import gzip

    from agentctl.simulate.stream import read_events

    body = "".join(
        json.dumps({"ts": "2026-03-01T08:00:00Z", "type": "a", "n": i}) + "\n" for i in range(2000)
    )
    data = gzip.compress(body.encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    items = list(read_events(tmp_path / "cut.jsonl.gz", "cut.jsonl.gz"))
    assert isinstance(items[-1], Finding)
    assert items[-1].code == "event-stream-corrupt"
