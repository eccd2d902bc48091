"""The runtime's per-call overhead: guard + ledger for a Python agent making N tool calls to
a no-op connector (scale 1.0 = 10,000 calls), next to the same loop calling the no-op
directly. Everything an `agentctl run` does per call is in the measured path: operation
lookup, the guard's checks, the JSON Schema fast path, the transport, the event with its
ids and timestamp, and the batched, hash-chained ledger writes (committed at run end).

A second loop calls the same no-op behind a rate limit: the window is read from the ledger
and each call is committed at once under the connector's lock (docs/runtime.md), which
makes the limit hold across processes.

A third loop is a charter with a per-day limit and no per-run allowance for it: each call
reserves its share of the day in the ledger under the charter's lock (docs/runtime.md,
"Per-day limits across runs and processes"). With a per-run allowance (the first two
loops) one reservation covers the run.

Two more loops measure the journal: a charter that may write runs in process isolation
(docs/runtime.md), so one such charter calls a `read` no-op and then a `write` no-op. A
write is journaled: it commits and syncs its intent before it runs and its outcome after
(two synced commits per call, against a batched read); the table gives the two per-call
costs under the same isolation and their ratio.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from run import Row

from agentctl.ledger import Ledger
from agentctl.runtime.run import run_charter
from agentctl.workspace.loader import load_workspace

WORKSPACE = """\
apiVersion: agentctl/v1
kind: Workspace
metadata: {name: bench}
spec: {python_path: [lib]}
"""

RESOURCES = """\
apiVersion: agentctl/v1
kind: Role
metadata: {name: ops}
---
apiVersion: agentctl/v1
kind: Connector
metadata: {name: noop, owner: role/ops}
spec:
  transport: {python: "bench_noop:noop"}
  operations:
    ping: {scope: noop.read, cost_usd: 0.0001}
---
apiVersion: agentctl/v1
kind: Connector
metadata: {name: limited, owner: role/ops}
spec:
  transport: {python: "bench_noop:noop"}
  rate_limit: {calls: 1000000, per: 1m}
  operations:
    ping: {scope: limited.read, cost_usd: 0.0001}
---
apiVersion: agentctl/v1
kind: Connector
metadata: {name: store, owner: role/ops}
spec:
  transport: {python: "bench_noop:noop"}
  operations:
    put: {scope: store.write, effect: write, cost_usd: 0.0001}
---
apiVersion: agentctl/v1
kind: Charter
metadata: {name: looper, owner: role/ops}
spec:
  scope: calls the no-op connector in a loop
  runtime: {python: "bench_noop:agent"}
  tools: [noop.read, limited.read]
  budget:
    per_run: {usd: 1000, tool_calls: 10000000}
    per_day: {usd: 100000}
---
apiVersion: agentctl/v1
kind: Charter
metadata: {name: daily, owner: role/ops}
spec:
  scope: calls the no-op connector under a per-day limit only
  runtime: {python: "bench_noop:agent"}
  tools: [noop.read]
  budget:
    per_day: {tool_calls: 10000000}
---
apiVersion: agentctl/v1
kind: Charter
metadata: {name: writer, owner: role/ops}
spec:
  scope: calls a read and a write no-op in a loop
  runtime: {python: "bench_noop:agent"}
  tools: [noop.read, store.write]
  budget:
    per_run: {usd: 1000, tool_calls: 10000000}
    per_day: {usd: 100000}
"""

CODE = """\
def noop(operation, payload):
    return {}


def agent(task, ctx):
    call = ctx.call
    op = task["op"]
    for i in range(task["n"]):
        call(op, {"i": i})
    return {"n": task["n"]}


def direct(n):
    for i in range(n):
        noop("ping", {"i": i})
"""


def run(scale: float) -> list[Row]:
    n = max(200, int(10_000 * scale))
    n_write = max(50, int(1_000 * scale))  # each syncs twice: fewer calls, same precision
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "lib").mkdir()
        (root / "agentctl.yaml").write_text(WORKSPACE)
        (root / "res.yaml").write_text(RESOURCES)
        (root / "lib" / "bench_noop.py").write_text(CODE)
        ws = load_workspace(root).workspace
        start = dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC)
        sys.path.insert(0, str(root / "lib"))
        try:
            import bench_noop  # type: ignore[import-not-found]

            best_direct = min(_timed(lambda: bench_noop.direct(n)) for _ in range(5))
            times: dict[str, list[float]] = {
                "noop.ping": [],
                "limited.ping": [],
                "daily": [],
                "writer noop.ping": [],
                "writer store.put": [],
            }
            for i in range(3):
                for key, runs in times.items():
                    name, _, op = key.rpartition(" ")
                    charter = "daily" if key == "daily" else (name or "looper")
                    op = "noop.ping" if key == "daily" else op
                    calls = n_write if name == "writer" else n
                    intents = calls if op == "store.put" else 0
                    with Ledger.open(root / f"ledger-{key}-{i}.db") as led:
                        t0 = time.perf_counter()
                        task = {"n": calls, "op": op}
                        res = run_charter(ws, root, charter, task, ledger=led, start=start)
                        runs.append(time.perf_counter() - t0)
                        assert res.ok and res.tool_calls == calls, res.error
                        # run_start, run_end, one reservation per run or per call, intents
                        reservations = calls if key == "daily" else 1
                        assert led.count() == calls + intents + reservations + 2
        finally:
            sys.path.remove(str(root / "lib"))
            sys.modules.pop("bench_noop", None)
    per_call = min(times["noop.ping"]) / n * 1e6
    limited = min(times["limited.ping"]) / n * 1e6
    daily = min(times["daily"]) / n * 1e6
    isolated_read = min(times["writer noop.ping"]) / n_write * 1e6
    isolated_write = min(times["writer store.put"]) / n_write * 1e6
    direct_us = best_direct / n * 1e6
    label = f"runtime {n:,} tool calls"
    wlabel = f"runtime {n_write:,} calls, may write"
    return [
        Row(label, "us per call (guard + ledger)", f"{per_call:.1f}"),
        Row(label, "us per call, no-op called directly", f"{direct_us:.2f}"),
        Row(label, "overhead us per call", f"{per_call - direct_us:.1f}"),
        Row(label, "us per call, rate-limited connector", f"{limited:.1f}"),
        Row(label, "us per call, a reservation each (per-day only)", f"{daily:.1f}"),
        Row(wlabel, "us per call, read op (process isolation)", f"{isolated_read:.1f}"),
        Row(wlabel, "us per call, write op (journaled, synced)", f"{isolated_write:.1f}"),
        Row(wlabel, "write op / read op per-call cost", f"{isolated_write / isolated_read:.1f}x"),
    ]


def _timed(fn: object) -> float:
    t0 = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t0
