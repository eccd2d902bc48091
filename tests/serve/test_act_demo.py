"""The README's live demo, end to end against real processes: `agentctl serve` on a free
loopback port, simulator/replay.py POSTing a fixture signed over HTTP, a pending approval
resolved by `agentctl approve`, the action run once, /metrics counting it, SIGTERM → 0."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from support import REPO

from agentctl.ledger import Ledger
from agentctl.ledger.verify import verify

AGENTCTL = str(Path(sys.executable).parent / "agentctl")
DEADLINE_S = 60.0


def poll(what: str, fn: Any) -> Any:
    end = time.monotonic() + DEADLINE_S
    while True:
        got = fn()
        if got:
            return got
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    if not db.exists():
        return []
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()
    except sqlite3.OperationalError:
        return []


def test_live_demo(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    env = {**os.environ, "AGENTCTL_SECRET": "s3cret", "NO_COLOR": "1"}
    common = ["-w", str(REPO), "--ledger", str(db)]
    serve = subprocess.Popen(
        [AGENTCTL, "serve", *common, "--listen", "127.0.0.1:0", "--secret-env", "AGENTCTL_SECRET"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert serve.stdout is not None
        line = serve.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line
        url = line.split()[-1]
        sent = subprocess.run(
            [
                sys.executable,
                str(REPO / "simulator" / "replay.py"),
                url,
                "--events",
                str(REPO / "simulator" / "live-demo.jsonl"),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert sent.returncode == 0, sent.stderr
        assert sent.stdout.strip() == f"5 event(s) sent to {url}"

        def pending() -> list[dict[str, Any]]:
            r = subprocess.run(
                [AGENTCTL, "approvals", *common, "--format", "json"],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
            )
            return json.loads(r.stdout)["approvals"] if r.returncode == 0 else []

        (req,) = poll("the approval request", pending)
        assert req["role"] == "role/claims-director"  # $48,200: above the adjuster's limit
        listed = subprocess.run(
            [AGENTCTL, "approvals", *common], capture_output=True, text=True, env=env, timeout=60
        )
        assert "    value $48,200.00\n" in listed.stdout  # money shown one way (format_usd)
        ok = subprocess.run(
            [
                AGENTCTL,
                "approve",
                req["id"],
                "--as",
                "role/claims-director",
                "--by",
                "samuel.achebe@example.com",
                "--reason",
                "demo",
                *common,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert ok.returncode == 0, ok.stderr
        done = poll(
            "the approved action",
            lambda: rows(db, "SELECT status FROM events WHERE kind = 'action'"),
        )
        assert done == [("ok",)]
        with urllib.request.urlopen(url + "/metrics", timeout=30) as resp:
            metrics = resp.read().decode()
        assert 'agentctl_decisions_total{outcome="escalated"} 1' in metrics
        assert "agentctl_actions_total 1" in metrics
        assert "agentctl_approval_wait_seconds_count 1" in metrics
        assert "agentctl_events_processed_total 5" in metrics
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=60) == 0
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
    with Ledger.open(db, readonly=True) as led:
        assert verify(led).ok
        (out,) = led.conn.execute(
            "SELECT p.content FROM events e JOIN payloads p ON p.hash = e.output_hash "
            "WHERE e.kind = 'run_end' AND e.principal = 'claims-intake'"
        )
        assert json.loads(out[0])["decision"] == "pend"  # above the adjuster threshold
