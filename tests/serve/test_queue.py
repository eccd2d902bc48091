"""The intake queue: durable puts, duplicates once, seq order, the consumer's cursor."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from agentctl.ledger.location import queue_path
from agentctl.serve.cloudevents import CloudEvent
from agentctl.serve.queue import GroupCommit, Queue, QueueError

NOW = "2026-11-29T12:00:00Z"


def ev(i: int, source: str = "/test", time: str | None = None) -> CloudEvent:
    return CloudEvent(source, f"e-{i}", "ticket.created", time, {"n": i}, {"subject": "s"})


def test_the_queue_lives_beside_the_ledger(tmp_path: Path) -> None:
    assert queue_path(tmp_path / ".agentctl" / "ledger.db") == (
        tmp_path / ".agentctl" / "ledger.db.queue"
    )


def test_put_stores_in_seq_order_and_reads_back(tmp_path: Path) -> None:
    with Queue.open(tmp_path / "q" / "ledger.db.queue") as q:
        acc = q.put([ev(1, time="2026-01-01T00:00:00Z"), ev(2)], NOW)
        assert [(a.seq, a.duplicate) for a in acc] == [(1, False), (2, False)]
        got = q.after(0)
        assert [g.seq for g in got] == [1, 2]
        first = got[0]
        assert (first.source, first.id, first.type) == ("/test", "e-1", "ticket.created")
        assert first.time == "2026-01-01T00:00:00Z"  # the event's own time
        assert got[1].time == NOW  # no time: the receive time, stored once for every replay
        assert first.received_at == NOW
        assert first.data == {"n": 1} and first.extra == {"subject": "s"}
        assert q.after(1) == [got[1]] and q.after(0, limit=1) == [first]
        assert q.get(2) == got[1] and q.get(3) is None


def test_duplicates_are_accepted_once(tmp_path: Path) -> None:
    with Queue.open(tmp_path / "x.queue") as q:
        q.put([ev(1)], NOW)
        acc = q.put([ev(2), ev(1), ev(1, source="/other"), ev(2)], NOW)
        assert [(a.seq, a.duplicate) for a in acc] == [(2, False), (1, True), (3, False), (2, True)]
        assert q.last_seq() == 3 and q.depth() == 3


def test_the_cursor_moves_forward_only_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "x.queue"
    with Queue.open(path) as q:
        q.put([ev(i) for i in range(5)], NOW)
        assert q.processed() == 0 and q.depth() == 5
        q.mark(3)
        q.mark(2)  # a late mark of an older seq
        assert q.processed() == 3 and q.depth() == 2
    with Queue.open(path) as q:
        assert q.processed() == 3 and [e.seq for e in q.after(q.processed())] == [4, 5]


def test_a_file_that_is_not_a_queue_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(QueueError, match="not an agentctl intake queue"):
        Queue.open(other)
    junk = tmp_path / "junk.queue"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(QueueError, match="not an agentctl intake queue"):
        Queue.open(junk)


def test_the_queue_file_is_wal_and_fully_synced(tmp_path: Path) -> None:
    with Queue.open(tmp_path / "x.queue") as q:
        q.put([ev(1)], NOW)
        conn = sqlite3.connect(q.path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.close()
        assert q._w.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_group_commit_answers_every_concurrent_put(tmp_path: Path) -> None:
    with Queue.open(tmp_path / "x.queue") as q:
        gc = GroupCommit(q)
        results: dict[int, list[int]] = {}

        def client(t: int) -> None:
            for i in range(20):
                acc = gc.put([ev(t * 1000 + i), ev(t * 1000 + i)], NOW)
                assert acc[0].duplicate is False and acc[1].duplicate is True
                results.setdefault(t, []).append(acc[0].seq)

        threads = [threading.Thread(target=client, args=(t,)) for t in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        gc.close()
        seqs = sorted(s for v in results.values() for s in v)
        assert seqs == list(range(1, 81)) and q.depth() == 80
        with pytest.raises(QueueError, match="closing"):
            gc.put([ev(9999)], NOW)


def test_wait_wakes_on_a_put(tmp_path: Path) -> None:
    with Queue.open(tmp_path / "x.queue") as q:
        assert q.wait(0, 0.01) is False
        t = threading.Thread(target=lambda: q.put([ev(1)], NOW))
        t.start()
        assert q.wait(0, 30.0) is True
        t.join()
