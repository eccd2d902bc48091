"""The append API: chain, batching, totals, redaction, refusal of malformed events."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import ledger_event

from agentctl.ledger import Ledger, new_span_id, new_trace_id, redact
from agentctl.ledger.record import CHAINED
from agentctl.ledger.verify import verify


def test_ids_are_w3c_shaped() -> None:
    t, s = new_trace_id(), new_span_id()
    assert len(t) == 32 and int(t, 16) != 0 and t == t.lower()
    assert len(s) == 16 and int(s, 16) != 0
    assert new_trace_id() != t


def test_open_creates_folders_wal_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "ledger.db"
    with Ledger.open(path) as led:
        assert led.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        ident = led.ledger_id
    with Ledger.open(path) as again:
        assert again.ledger_id == ident  # reopening keeps the identity
    names = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert {
        "events",
        "payloads",
        "event_data_classes",
        "meta",
        "v_runs",
        "v_denials",
        "v_data_class_access",
        "v_events",
        "events_no_update",
    } <= names


def test_append_chains_rows_and_returns_seqs(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as led:
        assert led.append([ledger_event(span=1, at=0), ledger_event(span=2, at=1)]) == [1, 2]
        assert led.append([ledger_event(span=3, at=2)]) == [3]
        assert led.append([]) == []
        rows = led.conn.execute("SELECT seq, prev_hash, hash FROM events ORDER BY seq").fetchall()
        assert rows[0][1] == "00" * 32
        assert rows[1][1] == rows[0][2] and rows[2][1] == rows[1][2]
        assert verify(led).ok


def test_hash_is_the_documented_canonical_encoding(tmp_path: Path) -> None:
    """docs/ledger.md: sha256(prev 32 bytes || orjson sorted-keys object of CHAINED)."""
    with Ledger.open(tmp_path / "l.db") as led:
        led.append(
            [
                ledger_event(
                    span=1,
                    at=0,
                    input={"b": 1, "a": [1.5, "x"]},
                    cost_usd=1,
                    tokens=3,
                    data_classes=["pii.ssn", "pii.email", "pii.ssn"],
                    attrs={"z": 1, "reason": "ü"},
                    commit="abc",
                )
            ]
        )
        led.append([ledger_event(span=2, at=1)])
        cur = led.conn.execute(f"SELECT {', '.join(CHAINED)}, prev_hash, hash FROM events")
        prev = bytes(32)
        for row in cur:
            obj = dict(zip(CHAINED, row[: len(CHAINED)], strict=True))
            body = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
            assert hashlib.sha256(prev + body).hexdigest() == row[-1]
            prev = bytes.fromhex(row[-1])
        first = led.conn.execute("SELECT data_classes, attrs, input_hash FROM events").fetchone()
        assert first[0] == '["pii.email","pii.ssn"]'  # sorted, unique
        assert first[1] == '{"reason":"ü","z":1}'
        content = led.conn.execute(
            "SELECT content FROM payloads WHERE hash = ?", (first[2],)
        ).fetchone()[0]
        assert content == '{"a":[1.5,"x"],"b":1}'
        assert hashlib.sha256(content.encode()).hexdigest() == first[2]
    assert list(CHAINED) == sorted(CHAINED)


def test_same_payload_is_stored_once(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as led:
        led.append([ledger_event(span=i + 1, at=i, input={"same": True}) for i in range(5)])
        assert led.conn.execute("SELECT count(*) FROM payloads").fetchone()[0] == 1


def test_writer_batches_by_size_and_flushes_on_exit(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as led:
        with led.writer(batch=3, max_delay_s=3600) as w:
            for i in range(7):
                w.add(ledger_event(span=i + 1, at=i))
                # committed in batches: visible to another connection at 3 and 6
                other = sqlite3.connect(tmp_path / "l.db")
                seen = other.execute("SELECT count(*) FROM events").fetchone()[0]
                other.close()
                assert seen == (i + 1) // 3 * 3
        assert w.seqs == list(range(1, 8))
        assert led.count() == 7


def test_writer_flushes_after_max_delay(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as led:
        w = led.writer(batch=1000, max_delay_s=0.05)
        w.add(ledger_event(span=1, at=0))
        assert led.count() == 0
        time.sleep(0.08)
        w.add(ledger_event(span=2, at=1))  # the delay is checked on add
        assert led.count() == 2


def test_writer_flushes_when_the_block_raises(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as led:
        with pytest.raises(RuntimeError), led.writer(batch=100) as w:
            w.add(ledger_event(span=1, at=0))
            raise RuntimeError("agent crashed")
        assert led.count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ts": "2026-03-01 09:00:00"}, "is not RFC 3339 UTC with microseconds"),
        ({"trace_id": "ABC"}, "is not 32 lowercase hex chars"),
        ({"span_id": "0" * 15 + "g"}, "is not 16 lowercase hex chars"),
        ({"parent_span_id": "xyz"}, "is not 16 hex chars"),
        ({"kind": ""}, "without a kind"),
    ],
)
def test_malformed_events_are_refused_before_writing(tmp_path: Path, change, message) -> None:
    with Ledger.open(tmp_path / "l.db") as led:
        with pytest.raises(ValueError, match=message):
            led.append([ledger_event(span=1, at=0), ledger_event(span=2, at=1, **change)])
        assert led.count() == 0  # all or nothing
        with pytest.raises(ValueError, match=message):
            led.writer().add(ledger_event(span=2, at=1, **change))


def test_daily_totals(tmp_path: Path, data) -> None:
    with Ledger.open(tmp_path / "l.db") as led:
        led.append(data.sample_events())
        day1 = led.daily_totals("replenishment-planner", data.ts(0), data.ts(86400))
        assert day1 == {
            "usd": pytest.approx(4 * 0.013),
            "tokens": 4 * 420.0,
            "steps": 12.0,
            "tool_calls": 4.0,
            "runs": 4.0,
            "wall_time_s": pytest.approx(4.6),
        }
        day2 = led.daily_totals("replenishment-planner", data.ts(86400), data.ts(2 * 86400))
        assert day2["runs"] == 4 and day2["steps"] == 12  # denials are not steps
        none = led.daily_totals("nobody", data.ts(0), data.ts(10 * 86400))
        assert none == dict.fromkeys(none, 0.0)


def test_daily_totals_uses_the_principal_ts_index(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as led:
        plan = led.conn.execute(
            "EXPLAIN QUERY PLAN SELECT total(cost_usd) FROM events "
            "WHERE principal = ? AND ts >= ? AND ts < ?",
            ("a", "b", "c"),
        ).fetchall()
        assert "events_principal_ts" in str(plan)


def test_redact_secrets_and_bearer_tokens() -> None:
    value = {
        "headers": {"Authorization": "Bearer sk-abc.DEF_123=="},
        "note": ["key is hunter2hunter2 ok", ("bearer xyz",)],
        "n": 3,
        "sk": None,
    }
    got = redact(value, ["hunter2hunter2", ""])
    assert got == {
        "headers": {"Authorization": "Bearer [REDACTED]"},
        "note": ["key is [REDACTED] ok", ["bearer [REDACTED]"]],
        "n": 3,
        "sk": None,
    }
    assert redact("no secrets here", ["", "  "]) == "no secrets here"


def test_ledger_redacts_bearer_tokens_itself(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as led:
        led.append(
            [
                ledger_event(
                    span=1,
                    at=0,
                    input={"auth": "BEARER abc123"},
                    attrs={"header": "Authorization: Bearer tok.en"},
                )
            ]
        )
        dump = "\n".join(str(r) for r in led.conn.execute("SELECT * FROM v_events"))
        assert "abc123" not in dump and "tok.en" not in dump
        assert "BEARER [REDACTED]" in dump and "Bearer [REDACTED]" in dump


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**63), 2**63 - 1)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
        max_leaves=12,
    )
)
def test_any_json_payload_round_trips_and_verifies(tmp_path_factory, value) -> None:
    path = tmp_path_factory.mktemp("p") / "l.db"
    with Ledger.open(path) as led:
        led.append([ledger_event(input=value, attrs={"v": value})])
        h = led.conn.execute("SELECT input_hash FROM events").fetchone()[0]
        if value is not None:
            assert led.payload(h) == orjson.loads(orjson.dumps(redact(value)))
        assert verify(led).ok
