"""`agentctl eval` harness: a suite of 200 cases (scale 1.0) whose agent waits 50 ms per
case on real I/O (one call to an HTTP connector served by a thread here, which sleeps
50 ms before it answers), run with `--jobs 8`: wall time against the ideal (cases x 50 ms
/ 8). And the harness's own CPU per case: the same suite against an in-process agent that
returns at once, so the process CPU time is the harness's (runtime, guard, ledger, judge).

Both go through the library the command calls (evals/runner.py `Runner`), with a real
ledger file, as `agentctl eval` does after loading the workspace.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from run import Row

from agentctl.evals.runner import Runner, Selection
from agentctl.evals.schedule import RunOptions
from agentctl.ledger import Ledger
from agentctl.workspace.loader import load_workspace

WAIT_S = 0.05
JOBS = 8

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
metadata: {name: slow, owner: role/ops}
spec:
  transport: {http: {url: "URL", timeout: 30s}}
  operations:
    wait: {scope: slow.read, cost_usd: 0.001}
---
apiVersion: agentctl/v1
kind: Charter
metadata: {name: waiter, owner: role/ops}
spec:
  scope: asks the slow service once per case
  runtime: {python: "bench_eval_agents:waiter"}
  tools: [slow.read]
---
apiVersion: agentctl/v1
kind: Charter
metadata: {name: instant, owner: role/ops}
spec:
  scope: answers at once
  runtime: {python: "bench_eval_agents:instant"}
"""

AGENTS = """\
def waiter(task, ctx):
    out = ctx.call("slow.wait", {"case": task["i"]})
    return {"ok": out.get("waited") is True, "i": task["i"]}


def instant(task, ctx):
    return {"ok": True, "i": task["i"]}
"""


def _suite(name: str, charter: str, n: int) -> str:
    cases = [{"id": f"case-{i:04d}", "input": {"i": i}, "assert": ["output.ok"]} for i in range(n)]
    doc = {
        "apiVersion": "agentctl/v1",
        "kind": "EvalSuite",
        "metadata": {"name": name, "owner": "role/ops"},
        "spec": {"charter": f"charter/{charter}", "cases": cases},
    }
    return json.dumps(doc) + "\n"


class _Slow(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(WAIT_S)  # the service's real wait: the worker thread sleeps
        body = b'{"waited": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _run(root: Path, suite: str, jobs: int, ledger: Path) -> tuple[float, float, int, float]:
    """(wall s, process CPU s, cases, the runs' summed wall s) of one eval run of `suite`."""
    ws = load_workspace(root).workspace
    with Ledger.open(ledger) as led:
        runner = Runner(
            ws,
            root,
            led,
            lambda: dt.datetime.now(dt.UTC),
            environ={},
            options=RunOptions(jobs=jobs, retries=0),
        )
        c0, t0 = time.process_time(), time.perf_counter()
        report = runner.run(Selection([suite]))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    n = report.counts["pass"]
    assert report.passed, [c.error or c.failures for s in report.suites for c in s.cases][:3]
    runs = sum(c.latency_ms for s in report.suites for c in s.cases) / 1e3
    return wall, cpu, n, runs


def run(scale: float) -> list[Row]:
    n = max(16, int(200 * scale))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "lib").mkdir()
            (root / "agentctl.yaml").write_text(WORKSPACE)
            url = f"http://127.0.0.1:{server.server_address[1]}"
            (root / "res.yaml").write_text(RESOURCES.replace("URL", url))
            (root / "lib" / "bench_eval_agents.py").write_text(AGENTS)
            (root / "slow.yaml").write_text(_suite("slow", "waiter", n))
            (root / "quick.yaml").write_text(_suite("quick", "instant", n))
            _run(root, "quick", 1, root / "warm.db")  # imports, caches: not measured
            slow = min(
                (_run(root, "slow", JOBS, root / f"slow-{i}.db") for i in range(2)),
                key=lambda r: r[0],
            )
            cpus = []
            for i in range(3):
                _w, cpu, cases, _r = _run(root, "quick", 1, root / f"quick-{i}.db")
                cpus.append(cpu / cases)
            serial = _run(root, "slow", 1, root / "serial.db")[0]
    finally:
        server.shutdown()
        server.server_close()
    ideal = n * WAIT_S / JOBS
    wall, runs = slow[0], slow[3]
    per_case_ms = min(cpus) * 1e3
    label = f"eval {n} cases x {WAIT_S * 1e3:.0f} ms"
    return [
        Row(label, f"wall s, --jobs {JOBS}", f"{wall:.2f}"),
        Row(
            label,
            f"--jobs {JOBS} wall / ideal ({ideal:.2f} s)",
            f"{wall / ideal:.2f}x",
            "<= 1.25x",
            wall / ideal <= 1.25,
        ),
        # the agent's own time (its 50 ms wait and the HTTP round trip around it) against
        # the wall time: what is left is the harness's share, whatever the machine's load
        Row(label, "case run ms, mean (wait + HTTP)", f"{runs / n * 1e3:.1f}"),
        Row(label, f"wall / (runs' time / {JOBS})", f"{wall / (runs / JOBS):.2f}x"),
        Row(label, "wall s, --jobs 1", f"{serial:.2f}"),
        Row(
            f"eval {n} cases, instant agent",
            "harness CPU ms per case",
            f"{per_case_ms:.2f}",
            "<= 2",
            per_case_ms <= 2.0,
        ),
    ]
