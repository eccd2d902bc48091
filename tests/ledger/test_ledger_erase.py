"""Erase exactly what the request names: payloads are content-addressed and shared, so an
erasure works per (event, payload) reference and wipes content only when no other event
still refers to it. Who asked and why are recorded; verify still passes, and tampering with
the erasures is caught."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from agentctl.ledger import Ledger, LedgerError, schema
from agentctl.ledger.erasure import EraseRequest, actor, erase
from agentctl.ledger.export import events as export_events
from agentctl.ledger.query import Filters, resolve_trace
from agentctl.ledger.verify import verify

TS = "2026-03-09T00:00:00.000000Z"


@pytest.fixture
def shared(tmp_path: Path, data) -> Path:
    """Two traces whose tool call has the same input and output (one payload row each)."""
    path = tmp_path / "ledger.db"
    with Ledger.open(path) as led:
        led.append(data.run_events(1, "replenishment-planner", "v1", 0))
        led.append(data.run_events(2, "claims-intake", "v1", 60))
    return path


def _v_events(path: Path, trace: str) -> list[tuple[Any, ...]]:
    with Ledger.open(path, readonly=True) as led:
        return led.conn.execute(
            "SELECT kind, input, output, prompt FROM v_events WHERE trace_id = ? ORDER BY seq",
            (trace,),
        ).fetchall()


def test_erasing_one_trace_keeps_what_another_trace_shares(shared: Path, data) -> None:
    t1, t2 = data.tid(1), data.tid(2)
    before = _v_events(shared, t2)
    with Ledger.open(shared) as led:
        # the tool call's input {"sku": n} differs; its output {"on_hand": 3} is shared
        res = erase(led, EraseRequest(trace=t1), by="dpo@example.com", reason="art. 17", ts=TS)
        assert res.refs == [
            (1, "input"),
            (2, "output"),
            (2, "prompt"),
            (3, "input"),
            (3, "output"),
            (4, "output"),
        ]
        assert len(res.wiped) == 3 and len(res.kept) == 3
        # the other trace reads everything it read before
        assert _v_events(shared, t2) == before
        exported = {e["seq"]: e for e in export_events(led, Filters(traces=[t2]))}
        assert exported[7]["output"] == {"on_hand": 3}
        # the erased trace reads nothing, shared or not
        for e in export_events(led, Filters(traces=[t1])):
            assert (e["input"], e["output"], e["prompt"]) == (None, None, None), e
        assert verify(led).ok
    assert all(row[1:] == (None, None, None) for row in _v_events(shared, t1))


def test_the_erase_event_says_who_what_and_why(shared: Path, data) -> None:
    with Ledger.open(shared) as led:
        res = erase(led, EraseRequest(trace=data.tid(1)), by="dpo@example.com", reason="r", ts=TS)
        row = led.conn.execute(
            "SELECT kind, principal, operation, attrs FROM events WHERE seq = ?", (res.seq,)
        ).fetchone()
    assert row[:3] == ("erase", "dpo@example.com", "erase")
    attrs = json.loads(row[3])
    assert attrs["by"] == "dpo@example.com" and attrs["reason"] == "r"
    assert attrs["request"] == {"trace": data.tid(1)}
    assert attrs["refs"] == [[s, p] for s, p in res.refs]
    assert attrs["payloads"] == res.wiped


def test_erasing_a_payload_erases_every_reference_to_it(shared: Path) -> None:
    with Ledger.open(shared) as led:
        (h,) = led.conn.execute("SELECT output_hash FROM events WHERE seq = 3").fetchone()
        res = erase(led, EraseRequest(payloads=(h,)), by="a", reason="r", ts=TS)
        assert res.refs == [(3, "output"), (7, "output")] and res.wiped == [h]
        assert led.conn.execute("SELECT content FROM payloads WHERE hash = ?", (h,)).fetchone() == (
            None,
        )
        assert verify(led).ok


def test_the_same_content_appended_after_an_erasure_is_readable(shared: Path, data) -> None:
    with Ledger.open(shared) as led:
        erase(led, EraseRequest(trace=data.tid(1)), by="a", reason="r", ts=TS)
        erase(led, EraseRequest(trace=data.tid(2)), by="a", reason="r", ts=TS)
        led.append(data.run_events(3, "claims-intake", "v1", 120))
        new = {e["seq"]: e for e in export_events(led, Filters(traces=[data.tid(3)]))}
        assert {
            e["output"] == {"on_hand": 3} for e in new.values() if e["kind"] == "tool_call"
        } == {True}
        old = list(export_events(led, Filters(traces=[data.tid(1)])))
        assert all(e["output"] is None for e in old)
        assert verify(led).ok
    # wiping it again behind the tool's back: the new event lost content no erasure names
    conn = sqlite3.connect(shared)
    conn.execute("UPDATE payloads SET content = NULL WHERE content = '{\"on_hand\":3}'")
    conn.commit()
    conn.close()
    with Ledger.open(shared, readonly=True) as led:
        (p,) = verify(led).problems
    assert (p.code, p.seq) == ("payload", 13)  # the new tool call
    assert p.message.endswith("was erased, and no erase event erased it for this event")


def test_nulling_a_kept_payload_is_caught(shared: Path, data) -> None:
    with Ledger.open(shared) as led:
        res = erase(led, EraseRequest(trace=data.tid(1)), by="a", reason="r", ts=TS)
    conn = sqlite3.connect(shared)
    conn.execute("UPDATE payloads SET content = NULL WHERE hash = ?", (res.kept[0],))
    conn.commit()
    conn.close()
    with Ledger.open(shared, readonly=True) as led:
        problems = verify(led).problems
    assert [p.code for p in problems] == ["payload"]
    assert problems[0].message.endswith("was erased without an erase event")


def _tamper(path: Path, statement: str, *args: Any) -> None:
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER erased_refs_no_delete")
    conn.execute(statement, args)
    for stmt in schema.statements(schema.ALL):
        if stmt.startswith("CREATE TRIGGER"):
            conn.execute(stmt)
    conn.commit()
    conn.close()


def test_hiding_or_unhiding_a_reference_is_caught(shared: Path, data, tmp_path: Path) -> None:
    with Ledger.open(shared) as led:
        res = erase(led, EraseRequest(trace=data.tid(1)), by="a", reason="r", ts=TS)
    hide = tmp_path / "hide.db"
    shutil.copyfile(shared, hide)
    _tamper(hide, "INSERT INTO erased_refs VALUES (7, 'input', ?)", res.seq)
    unhide = tmp_path / "unhide.db"
    shutil.copyfile(shared, unhide)
    _tamper(unhide, "DELETE FROM erased_refs WHERE seq = 3 AND part = 'output'")
    with Ledger.open(hide, readonly=True) as led:
        (p,) = verify(led).problems
    assert (p.code, p.seq) == ("index", 7)
    assert p.message == (
        "the erasure table hides seq 7's input, and no erase event erased it "
        f"(seq {res.seq} does not list it)"
    )
    with Ledger.open(unhide, readonly=True) as led:
        (p,) = verify(led).problems
    assert (p.code, p.seq) == ("index", 3)


def test_resolve_trace_and_erase_need_no_cli(shared: Path, data) -> None:
    with Ledger.open(shared) as led:
        led.append(data.run_events(0xABC, "claims-intake", "v1", 300))
        assert resolve_trace(led, data.tid(0xABC)[:30].upper()) == data.tid(0xABC)
        assert resolve_trace(led, data.tid(2)) == data.tid(2)
        with pytest.raises(LedgerError, match="is ambiguous"):
            resolve_trace(led, "0000")
        with pytest.raises(LedgerError, match="no trace 'ffff' in the ledger"):
            resolve_trace(led, "ffff")
        with pytest.raises(LedgerError, match="an erasure needs a reason"):
            erase(led, EraseRequest(trace=data.tid(1)), by="a", reason=" ", ts=TS)
        with pytest.raises(LedgerError, match="no payload 'abab"):
            erase(led, EraseRequest(payloads=("ab" * 32,)), by="a", reason="r", ts=TS)


def test_who_erases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert actor("  dpo@example.com ", {"GITHUB_ACTOR": "octocat"}) == "dpo@example.com"
    assert actor(None, {"GITHUB_ACTOR": "octocat"}) == "octocat"
    monkeypatch.chdir(tmp_path)
    home = Path(os.environ["HOME"])
    (home / ".gitconfig").write_text("[user]\n\temail = auditor@example.com\n")
    assert actor(None, {}) == "auditor@example.com"
    (home / ".gitconfig").unlink()
    monkeypatch.setenv("LOGNAME", "someone")
    assert actor(None, {}) == "someone"


def test_cli_erase_records_by_and_exact_references(cli, shared: Path, data, monkeypatch) -> None:
    monkeypatch.setenv("AGENTCTL_NOW", data.NOW)
    r = cli("ledger", "erase", "-l", shared, "-t", data.tid(1)[-6:], "-r", "art. 17", "--by", "dpo")
    assert r.exit_code == 2 and "no trace" in r.stderr  # a prefix starts at the beginning
    r = cli(
        "ledger",
        "erase",
        "-l",
        shared,
        "-t",
        data.tid(1),
        "-r",
        "art. 17",
        "--by",
        "dpo",
        "-f",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["format_version"] == 1 and j["by"] == "dpo" and j["reason"] == "art. 17"
    assert j["request"] == {"trace": data.tid(1)} and len(j["references"]) == 6
    assert cli("ledger", "verify", "-l", shared).exit_code == 0
