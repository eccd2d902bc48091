"""What isolation costs: the same python agent making N no-op tool calls in-process and in
a subprocess of its own (the JSON-lines protocol, every call a round trip through pipes),
and the start of an agent process with and without bubblewrap (one run of an agent that
answers at once). Scale 1.0 = 2,000 calls.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

from run import Row

from agentctl.ledger import Ledger
from agentctl.runtime.run import run_charter
from agentctl.runtime.sandbox import probe
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
  transport: {python: "bench_iso:noop"}
  operations:
    ping: {scope: noop.read}
"""

CHARTER = """\
---
apiVersion: agentctl/v1
kind: Charter
metadata: {{name: {name}, owner: role/ops}}
spec:
  scope: calls the no-op connector in a loop
  runtime: {{python: "bench_iso:agent", isolation: {mode}}}
  tools: [noop.read]
"""

CODE = """\
def noop(operation, payload):
    return {}


def agent(task, ctx):
    for i in range(task["n"]):
        ctx.call("noop.ping", {"i": i})
    return {"n": task["n"]}
"""


def run(scale: float) -> list[Row]:
    n = max(50, int(2_000 * scale))
    start = dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC)
    sandboxed = probe(os.environ).path is not None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "lib").mkdir()
        (root / "agentctl.yaml").write_text(WORKSPACE)
        text = RESOURCES + CHARTER.format(name="inproc", mode="in-process")
        text += CHARTER.format(name="isolated", mode="process")
        (root / "res.yaml").write_text(text)
        (root / "lib" / "bench_iso.py").write_text(CODE)
        ws = load_workspace(root).workspace
        best: dict[tuple[str, int, bool], float] = {}
        cases = [("inproc", n, True), ("isolated", n, True), ("isolated", 0, True)]
        if sandboxed:
            cases.append(("isolated", 0, False))
        try:
            for i in range(3):
                for name, calls, bwrap in cases:
                    environ = dict(os.environ)
                    if not bwrap:
                        environ["AGENTCTL_BWRAP"] = "/nonexistent"
                    with Ledger.open(root / f"ledger-{name}-{calls}-{bwrap}-{i}.db") as led:
                        t0 = time.perf_counter()
                        res = run_charter(
                            ws, root, name, {"n": calls}, ledger=led, start=start, environ=environ
                        )
                        took = time.perf_counter() - t0
                    assert res.ok, res.error
                    key = (name, calls, bwrap)
                    best[key] = min(best.get(key, took), took)
        finally:
            sys.modules.pop("bench_iso", None)
    label = f"isolation {n:,} tool calls"
    inproc = best[("inproc", n, True)] / n * 1e6
    start_s = best[("isolated", 0, True)]
    iso = (best[("isolated", n, True)] - start_s) / n * 1e6
    rows = [
        Row(label, "us per call in-process", f"{inproc:.1f}"),
        Row(label, "us per call in a subprocess", f"{iso:.1f}"),
        Row(
            "isolation start",
            "ms to start an isolated agent" + (" (bwrap)" if sandboxed else " (no bwrap)"),
            f"{start_s * 1000:.0f}",
        ),
    ]
    if sandboxed:
        bare = best[("isolated", 0, False)]
        rows.append(Row("isolation start", "ms without bwrap", f"{bare * 1000:.0f}"))
    return rows
