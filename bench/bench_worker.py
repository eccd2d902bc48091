"""serve's worker end to end: queued events → engine → ledger, against the engine alone.

Scale 1.0 = 200,000 events of bench_engine's stream through its 20 policies. The events
are queued first (not timed: intake's cost is bench_serve's); then the worker takes them
from the queue in batches, decides each with the engine as `simulate` does, writes every
decision to a real ledger and moves the queue's cursor. Actions are off (act=False): a
charter run is the runtime's bench. The ratio is the worker's events/s over the
`simulate` pipeline's on the same events, in the same run (issue 14: >= 0.5).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import tempfile
import time
from pathlib import Path

from run import Row

TARGET = 0.5


def _queue(path: Path, qpath: Path) -> int:
    from agentctl.serve.cloudevents import CloudEvent
    from agentctl.serve.queue import Queue

    events = []
    with path.open() as fh:
        for n, line in enumerate(fh, 1):
            e = json.loads(line)
            extra = {"metrics": e["metrics"]} if "metrics" in e else {}
            events.append(CloudEvent("bench", str(n), e["type"], e["ts"], e["data"], extra))
    with Queue.open(qpath) as q:
        for i in range(0, len(events), 5000):
            q.put(events[i : i + 5000], "2026-03-01T00:00:00Z")
    return len(events)


def _worker(qpath: Path, ledger: Path) -> tuple[float, int]:
    import bench_engine

    from agentctl.ledger import Ledger
    from agentctl.serve.queue import Queue
    from agentctl.serve.worker import Worker

    ws = bench_engine._workspace()
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    with Queue.open(qpath) as q, Ledger.open(ledger) as led:
        gc.collect()
        start = time.perf_counter()
        w = Worker(ws, Path("."), q, led, now=lambda: now, act=False)
        w.start()
        while w.step(1000):
            pass
        w.close()
        elapsed = time.perf_counter() - start
        decisions = sum(w.stats.decisions.values())
    return elapsed, decisions


def run(scale: float) -> list[Row]:
    import bench_engine

    n = max(2_000, int(200_000 * scale))
    label = f"serve worker {n:,} events x 20 policies"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        bench_engine._generate(path, n)
        engine, events, sim_decisions = bench_engine._engine(path, n)
        _queue(path, Path(tmp) / "queue.db")
        worker, decisions = _worker(Path(tmp) / "queue.db", Path(tmp) / "ledger.db")
    assert decisions == sim_decisions, (decisions, sim_decisions)  # the same decisions
    ratio = (n / worker) / (events / engine)
    return [
        Row(label, "worker events/s (queue+engine+ledger)", f"{n / worker:,.0f}"),
        Row(label, "engine events/s (simulate)", f"{events / engine:,.0f}"),
        Row(label, "decisions recorded", f"{decisions:,}"),
        Row(label, "worker / engine", f"{ratio:.2f}x", f">= {TARGET:.1f}x", ratio >= TARGET),
    ]
