"""`agentctl serve` intake: signed CloudEvents over HTTP on loopback, each answered 202 only
once stored in the durable queue (WAL, synchronous=FULL, group commit).

Beside it, the same framework (http.server, ThreadingHTTPServer, HTTP/1.1 keep-alive)
serving a handler that reads the body and answers 202 at once: the ratio of throughputs is
the price of authentication, validation, the synced commit and the structured log line.
Both servers run in their own process; the load generator runs here: one thread per
client, each on one keep-alive connection (stdlib http.client), bodies and signatures made
before the clock starts. Two loads: 32 clients (moderate: a request waits ~1.5 synced
commits, so this is latency-bound) and 128 (enough to saturate both servers: the
throughput target). Scale 1.0 = 20,000 events per round, 3 alternating rounds per server,
the best kept.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from run import Row

from agentctl.serve.http import sign

FULL = 20_000
ROUNDS = 3  # alternating rounds per server; the best of each counts
CLIENTS = 32  # moderate load: latency, bound by the synced commit
SATURATING = 128  # enough senders to saturate both servers: throughput, the target
SECRET = b"bench-secret"

BARE_SERVER = r"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as agentctl's handler: no 40 ms delayed-ACK stall
    def log_message(self, *a):
        pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"accepted":[]}'
        self.send_response_only(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

ThreadingHTTPServer.request_queue_size = 128  # as agentctl's server
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
s.daemon_threads = True
print("listening on http://127.0.0.1:%d" % s.server_address[1], flush=True)
s.serve_forever()
"""


def _start(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[bytes], int]:
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=cwd
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    line = proc.stdout.readline().decode() if ready else ""
    if "listening on http://" not in line:
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    return proc, int(line.rsplit(":", 1)[1])


def _bodies(n: int, tag: str) -> list[tuple[bytes, str]]:
    out = []
    for i in range(n):
        body = json.dumps(
            {
                "specversion": "1.0",
                "id": f"{tag}-{i}",
                "source": "/bench/pos",
                "type": "pos.sale",
                "time": "2026-03-01T08:00:00Z",
                "data": {"store_id": "S014", "sku": f"SKU-{i % 977}", "units": i % 7 + 1},
            }
        ).encode()
        out.append((body, sign(SECRET, body)))
    return out


def _load(port: int, bodies: list[tuple[bytes, str]], clients: int) -> tuple[float, list[float]]:
    """Send every body (`clients` connections); elapsed seconds and each request's latency."""
    shards = [bodies[i::clients] for i in range(clients)]
    latencies: list[list[float]] = [[] for _ in shards]
    errors: list[str] = []
    start = threading.Barrier(clients + 1)

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.connect()
        start.wait()
        try:
            _send(conn, shards[k], latencies[k], errors)
        except OSError as exc:
            errors.append(repr(exc))
        conn.close()

    def _send(
        conn: http.client.HTTPConnection,
        shard: list[tuple[bytes, str]],
        lat: list[float],
        errors: list[str],
    ) -> None:
        for body, sig in shard:
            t0 = time.perf_counter()
            conn.request(
                "POST",
                "/v1/events",
                body,
                {"Content-Type": "application/cloudevents+json", "X-Agentctl-Signature": sig},
            )
            r = conn.getresponse()
            r.read()
            lat.append(time.perf_counter() - t0)
            if r.status != 202:
                errors.append(str(r.status))

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed or were not 202: {errors[:3]}")
    return elapsed, [x for lat in latencies for x in lat]


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def run(scale: float) -> list[Row]:
    exe = Path(sys.executable).parent / "agentctl"
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        ws = Path(tmp) / "ws"
        ws.mkdir()
        (ws / "agentctl.yaml").write_text(
            "apiVersion: agentctl/v1\nkind: Workspace\n"
            "metadata: {name: bench, owner: role/ops}\nspec:\n  serve: {secret_env: BENCH_SECRET}\n"
        )
        env = {**os.environ, "BENCH_SECRET": SECRET.decode(), "HOME": tmp}
        procs: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
        try:
            procs["bare"] = _start([sys.executable, "-c", BARE_SERVER], env, ws)
            procs["serve"] = _start(
                [str(exe), "serve", "--listen", "127.0.0.1:0", "--consumer", "mark-only"],
                env,
                ws,
            )
            for name, (_, port) in procs.items():  # connections, imports and caches warm
                _load(port, _bodies(100, f"warm-{name}"), CLIENTS)
            for clients, target in ((CLIENTS, False), (SATURATING, True)):
                n = max(10 * clients, int(FULL * scale))
                rows += _compare(procs, n, clients, target)
        finally:
            for proc, _ in procs.values():
                proc.terminate()
                proc.wait(60)
    return rows


def _compare(
    procs: dict[str, tuple[subprocess.Popen[bytes], int]], n: int, clients: int, target: bool
) -> list[Row]:
    # the two servers take turns, and each keeps its best round: the machine is shared,
    # and a neighbour's burst should not decide the ratio
    results: dict[str, tuple[float, list[float]]] = {}
    for r in range(ROUNDS):
        for name, (_, port) in procs.items():
            got = _load(port, _bodies(n, f"{name}-{clients}-{r}"), clients)
            if name not in results or got[0] < results[name][0]:
                results[name] = got
    (t_bare, lat_bare), (t_serve, lat_serve) = results["bare"], results["serve"]
    bare_rate, serve_rate = n / t_bare, n / t_serve
    ratio = serve_rate / bare_rate
    label = f"serve intake, {clients} clients ({n:,} events)"
    ms = 1000.0
    return [
        Row(label, "events/s stored (bare 202 server)", f"{serve_rate:,.0f} ({bare_rate:,.0f})"),
        Row(
            label,
            "p50 / p99 latency ms (bare)",
            f"{_pct(lat_serve, 0.5) * ms:.1f} / {_pct(lat_serve, 0.99) * ms:.1f} "
            f"({_pct(lat_bare, 0.5) * ms:.1f} / {_pct(lat_bare, 0.99) * ms:.1f})",
        ),
        Row(
            label,
            "throughput / bare server's",
            f"{ratio:.2f}",
            ">= 0.50" if target else "",
            (ratio >= 0.5) if target else None,
        ),
    ]
