"""The worker (issue 14): queued events decided exactly as `simulate` decides them, one
`policy_decision` ledger event per decision with a deterministic decision id."""

from __future__ import annotations

from pathlib import Path

import pytest
from act_helpers import NOW, as_cloudevents, decisions, fixture_lines, open_queue
from support import REPO

from agentctl.engine import Event, build
from agentctl.ledger import Ledger
from agentctl.ledger.record import encode_json, redact_bytes
from agentctl.ledger.verify import verify
from agentctl.serve.cloudevents import CloudEvent
from agentctl.serve.worker import Worker
from agentctl.simulate import simulate
from agentctl.simulate.stream import read_events
from agentctl.workspace.loader import load_workspace

CLAIMS = REPO / "simulator" / "fixtures" / "claims.jsonl.gz"


@pytest.mark.parametrize("name", ["claims", "retail"])
def test_same_decisions_as_simulate_byte_for_byte(name: str, tmp_path: Path) -> None:
    """claims: approvals and a daily bound; retail: keys, `for:`, cooldowns, budgets."""
    fixture = REPO / "simulator" / "fixtures" / f"{name}.jsonl.gz"
    ws = load_workspace(REPO).workspace
    lines = fixture_lines(fixture)
    with open_queue(tmp_path) as q, Ledger.open(tmp_path / "ledger.db") as led:
        q.put(as_cloudevents(lines), "2026-11-25T10:00:00Z")
        w = Worker(ws, REPO, q, led, now=lambda: NOW, act=False)
        w.start()
        while w.step(500):
            pass
        w.close()
        got = decisions(led)
        assert q.processed() == len(lines)
        assert verify(led).ok
    # the simulator's own path: the fixture file read as simulate reads it, the same engine
    engine, _ = build(ws)
    want = [
        (f"{d.policy}@{d.seq}", encode_json(d.to_dict()))
        for ev in read_events(fixture)
        if isinstance(ev, Event)
        for d in engine.feed(ev)
    ]
    assert len(want) >= 40 and got == want
    # and simulate's report counts the same outcomes, policy by policy
    run = simulate(ws, read_events(fixture), title=name, events_file=name)
    for p in run.policies:
        mine = [o for did, o in got if did.startswith(p.name + "@")]
        for outcome, n in p.counts.items():
            assert n == sum(f'"outcome":"{outcome}"'.encode() in o for o in mine), p.name
    assert w.stats.mismatched == [] and w.stats.skipped == 0


def test_a_second_pass_writes_nothing_twice(tmp_path: Path) -> None:
    """Events offered again (a lost mark) are recognised by their decision ids."""
    ws = load_workspace(REPO).workspace
    lines = fixture_lines(CLAIMS, 400)
    with open_queue(tmp_path) as q, Ledger.open(tmp_path / "ledger.db") as led:
        q.put(as_cloudevents(lines), "2026-11-25T10:00:00Z")
        w = Worker(ws, REPO, q, led, now=lambda: NOW, act=False)
        w.start()
        w.step(400)
        w.close()  # saves the queue's cursor (serve calls it at shutdown)
        first = decisions(led)
        again = Worker(ws, REPO, q, led, now=lambda: NOW, act=False)
        again.start()  # replays 400 processed events, checks them against the ledger
        assert again.stats.replayed == len(first) and again.stats.mismatched == []
        again.cursor = 0  # as if the cursor had not been saved: all offered again
        again.step(400)
        assert decisions(led) == first


def test_recorded_input_is_the_event_as_queued(tmp_path: Path) -> None:
    """A decision's input is the queued event read afresh (not the engine's copy, whose
    metrics became doubles): the other attributes first (sorted), then id, source, type,
    ts, data; byte for byte what `Queue.get` gives in that shape."""
    ws = load_workspace(REPO).workspace
    events = [
        CloudEvent(
            e.source,
            e.id,
            e.type,
            e.time,
            {**e.data, "n": 7},
            {"zext": 1, "metrics": {"m": 2}, "subject": "s"},
        )
        for e in as_cloudevents(fixture_lines(CLAIMS))
    ]
    with open_queue(tmp_path) as q, Ledger.open(tmp_path / "ledger.db") as led:
        q.put(events, "2026-11-25T10:00:00Z")
        w = Worker(ws, REPO, q, led, now=lambda: NOW, act=False)
        w.start()
        while w.step(500):
            pass
        w.close()
        rows = led.conn.execute(
            "SELECT json_extract(e.attrs, '$.queue_seq'), p.content FROM events e "
            "JOIN payloads p ON p.hash = e.input_hash WHERE e.kind = 'policy_decision'"
        ).fetchall()
        assert len(rows) >= 10
        for seq, content in rows:
            got = content.encode() if isinstance(content, str) else bytes(content)
            qd = q.get(seq)
            assert qd is not None
            want = {**qd.extra, "id": qd.id, "source": qd.source, "type": qd.type}
            want |= {"ts": qd.time, "data": qd.data}
            assert got == redact_bytes(encode_json(want))
            assert b'"metrics":{"m":2}' in got and b'"n":7' in got
