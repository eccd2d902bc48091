"""No value may cost an event: what orjson cannot encode (integers beyond 64 bits, lone
surrogates, nesting deeper than 254 levels, objects whose conversion raises) is recorded
all the same, and one bad event never takes the rest of its batch with it. Values orjson
encodes keep their bytes (the chain's contract, docs/ledger.md)."""

from __future__ import annotations

import json
import math
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentctl.ledger import Ledger, LedgerEvent
from agentctl.ledger.record import DEPTH_MARKER, MAX_DEPTH, encode_json
from agentctl.ledger.store import LedgerWriteError
from agentctl.ledger.verify import verify

T = "0" * 31 + "1"


def event(i: int, **kw: Any) -> LedgerEvent:
    base: dict[str, Any] = dict(
        kind="tool_call",
        trace_id=T,
        span_id=f"{i + 1:016x}",
        parent_span_id=None,
        ts=f"2026-03-01T09:00:{i % 60:02d}.000000Z",
        principal="planner",
        operation="sys.write",
    )
    base.update(kw)
    return LedgerEvent(**base)


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def depth_of(value: Any) -> int:
    d = 0
    while isinstance(value, list):
        value, d = (value[0] if value else None), d + 1
    return d


class Hostile:
    def __str__(self) -> str:
        raise RuntimeError("no string for you")


def payloads(led: Ledger, column: str) -> list[Any]:
    rows = led.conn.execute(
        f"SELECT p.content FROM events e JOIN payloads p ON p.hash = e.{column} ORDER BY e.seq"
    )
    return [orjson.loads(r[0]) for r in rows]


def test_a_batch_with_unencodable_values_loses_no_event(tmp_path: Path) -> None:
    """The issue's reproduction: 5 executed writes, each output unencodable, one batch."""
    outputs: list[Any] = [
        {"n": 2**64},
        {"n": -(2**63) - 1, 2**70: "key"},
        {"s": "\ud800", "\udc00": 1},
        {"deep": nested(300)},
        {"obj": Hostile(), "huge": 10**5000},
    ]
    with Ledger.open(tmp_path / "l.db") as led:
        with led.writer(batch=500, max_delay_s=3600) as w:
            for i, out in enumerate(outputs):
                w.add(event(i, input={"i": i}, output=out, attrs={"usage": out}))
        assert led.count() == 5
        assert verify(led).ok
        got = payloads(led, "output_hash")
    assert got[0] == {"n": str(2**64)}
    assert got[1] == {"n": str(-(2**63) - 1), str(2**70): "key"}
    assert got[2] == {"s": "\\ud800", "\\udc00": 1}  # the escape, as visible text
    assert depth_of(got[3]["deep"]) == MAX_DEPTH - 1  # under the {"deep": ...} object
    inner = got[3]["deep"]
    while isinstance(inner, list):
        inner = inner[0]
    assert inner == DEPTH_MARKER
    assert got[4] == {
        "obj": "[UNENCODABLE Hostile: no string for you]",
        "huge": f"0x{10**5000:x}",  # beyond the digits Python converts: exact, in hex
    }


def test_values_orjson_encodes_keep_their_bytes() -> None:
    """The fast path is orjson itself: the bytes of existing ledgers do not change."""
    opts = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    for value in [
        {"b": 1, "a": [1.5, "x", None, True]},
        {1: "int key", "ü": "é", "n": 2**64 - 1, "m": -(2**63)},
        {"nan": math.nan, "inf": math.inf, "money": Decimal("0.10")},
        nested(MAX_DEPTH),
    ]:
        assert encode_json(value) == orjson.dumps(value, default=str, option=opts)


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # unbounded: beyond 64 bits too
    st.floats(),
    st.text(st.characters(codec=None, categories=None), max_size=8),  # surrogates included
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=4), st.integers()), inner, max_size=4),
    ),
    max_leaves=20,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_value, depth=st.integers(0, 400))
def test_encode_json_never_fails_and_stays_readable(value: Any, depth: int) -> None:
    wrapped = value
    for _ in range(depth):
        wrapped = {"k": wrapped} if depth % 2 else [wrapped]
    data = encode_json(wrapped)
    data.decode("utf-8")  # valid UTF-8
    orjson.loads(data)  # and JSON orjson reads back (so does redact_bytes)
    json.loads(data)


def test_one_broken_event_never_takes_its_batch_with_it(tmp_path: Path) -> None:
    broken = event(2, attrs=5)  # not a mapping: this event's fields cannot be stored
    batch = [event(0), event(1), broken, event(3), event(4)]
    with Ledger.open(tmp_path / "l.db") as led:
        assert led.append(batch) == [1, 2, 3, 4, 5]
        row = led.conn.execute("SELECT kind, operation, attrs FROM events WHERE seq = 3").fetchone()
        assert verify(led).ok
    assert row[:2] == ("tool_call", "sys.write")
    assert json.loads(row[2])["unrecordable"].startswith("TypeError")


def test_columns_beyond_sqlite_are_recorded(tmp_path: Path) -> None:
    """Model usage can claim any number of tokens; an agent can name any operation."""
    with Ledger.open(tmp_path / "l.db") as led:
        led.append(
            [
                event(0, tokens=2**80, cost_usd=math.nan, operation="x.\ud800"),
                event(1, tokens=-(2**70), latency_ms=10**400, operation=12),
            ]
        )
        rows = led.conn.execute(
            "SELECT tokens, cost_usd, latency_ms, operation, attrs FROM events ORDER BY seq"
        ).fetchall()
        assert verify(led).ok
    assert rows[0][:4] == (2**63 - 1, 0.0, 0.0, "x.\\ud800")
    assert json.loads(rows[0][4]) == {"tokens_exact": str(2**80), "cost_usd_invalid": "nan"}
    assert rows[1][0] == -(2**63) and rows[1][2] == math.inf and rows[1][3] == "12"
    assert json.loads(rows[1][4]) == {"tokens_exact": str(-(2**70))}


def test_a_failed_batch_stays_with_the_writer(tmp_path: Path) -> None:
    """The write lock held by another connection (what a full disk or a read-only file
    also does: the commit fails). The batch is kept, reported, and committed later."""
    path = tmp_path / "l.db"
    with Ledger.open(path) as led:
        led.conn.execute("PRAGMA busy_timeout = 50")
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        w = led.writer(batch=2, max_delay_s=3600)
        w.add(event(0))
        w.add(event(1))  # the batch is due: its commit fails, quietly
        assert w.failure is not None and w.pending == 2
        w.add(event(2))  # a failed writer waits for an explicit flush
        with pytest.raises(LedgerWriteError, match="cannot write the ledger"):
            w.journal(event(3))
        assert w.pending == 3  # the journaled event is withdrawn, the rest kept
        other.execute("ROLLBACK")
        other.close()
        assert w.flush() == [1, 2, 3]
        assert w.committed == [
            tuple(r) for r in led.conn.execute("SELECT seq, hash FROM events ORDER BY seq")
        ]
        assert led.missing(w.committed) == []
        assert verify(led).ok


def test_ctrl_c_during_a_commit_loses_no_event(tmp_path: Path) -> None:
    """SIGINT lands while the batch is being committed (from SQLite's progress handler):
    the batch is committed and noted once, then KeyboardInterrupt goes on."""
    import os
    import signal

    with Ledger.open(tmp_path / "l.db") as led:
        w = led.writer(batch=1000, max_delay_s=3600)
        for i in range(3):
            w.add(event(i))
        fired: list[int] = []

        def ctrl_c() -> int:
            if not fired:
                fired.append(1)
                os.kill(os.getpid(), signal.SIGINT)
            return 0

        led.conn.set_progress_handler(ctrl_c, 1)
        with pytest.raises(KeyboardInterrupt):
            w.flush()
        led.conn.set_progress_handler(None, 1)
        assert fired and w.pending == 0 and w.seqs == [1, 2, 3]
        assert led.count() == 3 and verify(led).ok
