"""Helpers for the worker tests: fixtures as CloudEvents, a worker on a tmp queue/ledger."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


ACT_WS = """\
apiVersion: agentctl/v1
kind: Workspace
metadata: {name: acting}
spec:
  python_path: [lib]
  ledger: ledger.db
---
apiVersion: agentctl/v1
kind: Role
metadata: {name: ops}
spec:
  members: [ana@example.com]
  approves: {max_usd: 1000}
  reports_to: role/boss
---
apiVersion: agentctl/v1
kind: Role
metadata: {name: boss}
spec:
  members: [bo@example.com]
  approves: {max_usd: 100000}
---
apiVersion: agentctl/v1
kind: Charter
metadata: {name: act, owner: role/ops}
spec:
  scope: appends the order to marks.log (the test's proof that an action ran, and how often)
  runtime: {python: "ACTS:act"}
  budget:
    per_run: {usd: 0.5}
---
apiVersion: agentctl/v1
kind: Policy
metadata: {name: order-small, owner: role/ops}
spec:
  on: [order.placed]
  condition: event.data.amount < 100
  actions:
    - invoke: charter/act
      input: {order: event.data.order}
---
apiVersion: agentctl/v1
kind: Policy
metadata: {name: order-large, owner: role/ops}
spec:
  on: [order.placed]
  condition: event.data.amount >= 100
  actions:
    - invoke: charter/act
      input: {order: event.data.order}
      value_usd: event.data.amount
  approvals:
    - when: plan.value_usd >= 100
      require: role/ops
---
apiVersion: agentctl/v1
kind: Policy
metadata: {name: order-failed, owner: role/ops}
spec:
  on: [order.failed]
  condition: "true"
  actions:
    - escalate: role/ops
      message: an order failed
    - incident: {title: orders are failing, severity: high}
"""

ACTS = """\
from pathlib import Path

MARKS = Path(__file__).resolve().parent.parent / "marks.log"


def act(task, ctx):
    if task["order"].startswith("BAD"):
        raise RuntimeError("a broken order")
    with MARKS.open("a") as fh:
        fh.write(task["order"] + "\\n")
    return {"done": task["order"]}
"""


def acting_ws(root: Path, extra: str = "") -> Path:
    """A workspace whose one charter appends each order it runs for to marks.log."""
    (root / "lib").mkdir(parents=True, exist_ok=True)
    # a module name of its own: in-process runtimes keep imported modules, and each test's
    # agent must write to its own marks.log
    module = "acts_" + hashlib.sha256(str(root).encode()).hexdigest()[:10]
    (root / "lib" / f"{module}.py").write_text(ACTS)
    head, rest = ACT_WS.replace("ACTS:", module + ":").split("---\n", 1)
    (root / "agentctl.yaml").write_text(head + extra)
    (root / "res.yaml").write_text(rest)
    return root


def marks(root: Path) -> list[str]:
    path = root / "marks.log"
    return path.read_text().split() if path.is_file() else []


def order(n: int, amount: float, kind: str = "order.placed", name: str = "O") -> CloudEvent:
    return CloudEvent(
        "shop",
        f"o-{n}",
        kind,
        f"2026-11-25T09:{n:02d}:00Z",
        {"order": f"{name}-{n}", "amount": amount},
    )


class Hook:
    """A webhook receiver: answers each POST with the next status of `statuses`."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.got: list[tuple[dict[str, str], bytes]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.got.append((dict(self.headers), body))
                status = hook.statuses[min(len(hook.got), len(hook.statuses)) - 1]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


BURST = """\
---
apiVersion: agentctl/v1
kind: Policy
metadata: {name: order-burst, owner: role/ops}
spec:
  on: [order.placed]
  condition: "true"
  key: event.data.customer
  for: 2m
  cooldown: 10m
  actions:
    - escalate: role/ops
      message: a customer is ordering in bursts
"""


def replay_lines(n: int) -> list[dict[str, Any]]:
    """A small stream that needs state to decide (keys, for:, cooldown) and acts: small
    orders invoke, failures open tasks, every 9th order waits for an approval."""
    out = []
    for i in range(1, n + 1):
        kind = "order.failed" if i % 7 == 0 else "order.placed"
        amount = 250.0 if i % 9 == 0 else 20.0
        out.append(
            {
                "specversion": "1.0",
                "id": f"o-{i}",
                "source": "shop",
                "type": kind,
                "time": f"2026-11-25T{8 + i // 60:02d}:{i % 60:02d}:00Z",
                "data": {"order": f"O-{i}", "amount": amount, "customer": f"C{i % 3}"},
            }
        )
    return out


DRIFT = """\
---
apiVersion: agentctl/v1
kind: Policy
metadata: {name: act-drift, owner: role/ops}
spec:
  on: [agentctl.drift]
  condition: event.data.charter == 'act' && event.data.success_rate < 0.9
  actions:
    - escalate: role/ops
      message: charter/act is failing more than it did
"""
