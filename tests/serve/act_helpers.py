"""Helpers for the worker tests: fixtures as CloudEvents, a worker on a tmp queue/ledger."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

from agentctl.ledger import Ledger
from agentctl.serve.cloudevents import CloudEvent
from agentctl.serve.queue import Queue

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def fixture_lines(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as fh:
        lines = [json.loads(ln) for ln in fh if ln.strip()]
    return lines[:limit] if limit is not None else lines


def as_cloudevents(lines: list[dict[str, Any]], source: str = "fixture") -> list[CloudEvent]:
    """Each fixture line as the CloudEvent a sender would POST (id: its line number)."""
    return [
        CloudEvent(source, f"line-{n}", e["type"], e["ts"], e.get("data", {}))
        for n, e in enumerate(lines, 1)
    ]


def cloudevent_json(e: CloudEvent) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": e.id,
        "source": e.source,
        "type": e.type,
        "time": e.time,
        "data": e.data,
    }


def decisions(led: Ledger) -> list[tuple[str, bytes]]:
    """(decision id, output payload bytes) of every policy_decision, in ledger order."""
    rows = led.conn.execute(
        "SELECT json_extract(e.attrs, '$.decision_id'), p.content FROM events e "
        "JOIN payloads p ON p.hash = e.output_hash WHERE e.kind = 'policy_decision' "
        "ORDER BY e.seq"
    )
    return [(str(d), c.encode() if isinstance(c, str) else bytes(c)) for d, c in rows]


def open_queue(tmp: Path) -> Queue:
    return Queue.open(tmp / "queue.db")
