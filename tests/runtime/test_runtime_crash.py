"""Crashes and interrupts: Ctrl-C flushes the ledger and exits 130; kill -9 at random points
never loses a committed event nor breaks the chain, and no write runs before its intent is
committed. Assertions are on invariants, never on how far a killed run got."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rt_helpers import Ws, charter, ws_fixture  # noqa: F401 - ws_fixture

AGENTCTL = str(Path(sys.executable).parent / "agentctl")
SCALE = float(os.environ.get("AGENTCTL_STRESS_SCALE", "1.0"))
OPS = ("sys.read", "sys.write")  # a write is journaled: intent committed before it runs
TOOLS = "[sys.read, sys.write]"


def start(ws: Ws, n: int, pause: float, ops: tuple[str, ...] = OPS) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            AGENTCTL,
            "run",
            "many",
            "-w",
            str(ws.root),
            "--ledger",
            str(ws.ledger_path),
            "--input",
            json.dumps({"n": n, "pause": pause, "ops": list(ops)}),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def committed(ws: Ws, sql: str = "SELECT count(*) FROM events") -> int:
    """What another reader sees as committed right now."""
    if not ws.ledger_path.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{ws.ledger_path}?mode=ro", uri=True, timeout=5)
        try:
            return int(con.execute(sql).fetchone()[0])
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0  # the schema is not there yet


def wait_for_events(ws: Ws, at_least: int, timeout: float = 180.0) -> None:
    """A precondition, not a measure: the run has started writing (however slowly)."""
    end = time.monotonic() + timeout
    while committed(ws) < at_least:
        assert time.monotonic() < end, "the run wrote nothing"
        time.sleep(0.02)


def check_invariants(ws: Ws) -> None:
    """What must hold however far a run got: every executed write had its intent
    committed before it ran, and the chain is intact."""
    intents = committed(
        ws, "SELECT count(*) FROM events WHERE kind = 'tool_intent' AND operation = 'sys.write'"
    )
    assert ws.calls("write") <= intents
    report = ws.verify()
    assert report.ok, [p.message for p in report.problems]


def test_ctrl_c_flushes_the_ledger_and_exits_130(ws: Ws) -> None:
    ws.add(charter("many", runtime='python: "rt_agents:many"', tools=TOOLS))
    proc = start(ws, 100_000, 0.001)
    wait_for_events(ws, 2)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    end = ws.events("run_end")
    # the last line: an isolated agent's own stderr passes through before it (when the
    # closed protocol pipe makes its child print a traceback: not agentctl's)
    assert err.endswith(f"interrupted: run {end[0]['trace_id']} stopped; the ledger is flushed\n")
    assert "agentctl: internal error" not in err
    assert len(end) == 1 and end[0]["status"] == "stopped"
    assert json.loads(end[0]["attrs"])["error"] == "interrupted"
    # the counts are the ledger's: every call that ran is recorded, wherever Ctrl-C landed
    # (one interrupted inside the tool is recorded as stopped, maybe before its marker)
    calls = ws.events("tool_call")
    assert len(calls) == json.loads(end[0]["attrs"])["tool_calls"]
    executed = ws.calls("read") + ws.calls("write")
    assert len(calls) - 1 <= executed <= len(calls)
    assert all(c["status"] == "ok" for c in calls[:-1])
    check_invariants(ws)


@pytest.mark.slow
def test_kill_9_at_random_points_loses_no_committed_event(ws: Ws) -> None:
    """No assertion on how far a killed run got: only on what holds wherever it died."""
    ws.add(charter("many", runtime='python: "rt_agents:many"', tools=TOOLS))
    rng = random.Random(4242)
    runs = max(10, int(50 * SCALE))
    before = 0
    for i in range(runs):
        proc = start(ws, 5000, 0.0005)
        time.sleep(rng.uniform(0.05, 0.7))
        seen = committed(ws)  # committed before the kill: must survive it
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        after = committed(ws)
        assert after >= seen >= before, f"run {i}: {before} -> {seen} -> {after}"
        before = after
        if i % 5 == 4 or i == runs - 1:
            check_invariants(ws)
    # the ledger is still appendable after all that: a clean run completes and chains on
    done = subprocess.run(
        [
            AGENTCTL,
            "run",
            "many",
            "-w",
            str(ws.root),
            "--ledger",
            str(ws.ledger_path),
            "--input",
            json.dumps({"n": 4, "pause": 0, "ops": list(OPS)}),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # run_start, 4 calls, 2 intents (the writes), run_end
    assert committed(ws) == before + 8
    end = ws.events("run_end")[-1]
    calls = [e for e in ws.events("tool_call") if e["trace_id"] == end["trace_id"]]
    assert json.loads(end["attrs"])["tool_calls"] == len(calls) == 4
    check_invariants(ws)
