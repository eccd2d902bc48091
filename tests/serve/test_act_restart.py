"""Restart without loss or double action (issue 14): a real `agentctl serve` process is
SIGKILLed at bounded random points of a replay over HTTP and restarted (the sender sends
the whole replay again: duplicates are stored once); the decisions equal the
uninterrupted run's, no action runs twice, and `ledger verify` passes. Assertions hold
however far a killed process got."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from act_helpers import BURST, acting_ws, marks, replay_lines

from agentctl.ledger import Ledger
from agentctl.ledger.verify import verify

AGENTCTL = str(Path(sys.executable).parent / "agentctl")
SCALE = float(os.environ.get("AGENTCTL_STRESS_SCALE", "1.0"))
KILLS = max(8, round(50 * SCALE))  # 50 at scale 1, 8 in CI (scale 0.1)
N = 40
Ref = tuple[list[tuple[str, str]], list[str], int]


def setup(root: Path) -> None:
    acting_ws(root)
    with (root / "res.yaml").open("a") as fh:
        fh.write(BURST)


def start(root: Path) -> tuple[subprocess.Popen[str], str]:
    """`agentctl serve` on a free loopback port; its URL (read from its first line)."""
    log = (root / "serve.log").open("a")
    proc = subprocess.Popen(
        [AGENTCTL, "serve", "-w", str(root), "--listen", "127.0.0.1:0", "--insecure-no-auth"],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    log.close()
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("listening on "), (line, (root / "serve.log").read_text())
    return proc, line.split()[-1]


def send(url: str, events: list[dict[str, object]]) -> None:
    """POST the replay as a sender would (202: durably queued)."""
    req = urllib.request.Request(
        url + "/v1/events",
        json.dumps(events).encode(),
        {"Content-Type": "application/cloudevents-batch+json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.status == 202


def drained(root: Path) -> bool:
    """Every queued event processed (the queue beside the ledger says so)."""
    db = root / "ledger.db.queue"
    if not db.exists():
        return False
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            done = int(con.execute("SELECT value FROM meta WHERE key = 'processed'").fetchone()[0])
            last = int(con.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])
        finally:
            con.close()
    except sqlite3.OperationalError:
        return False
    return last == N and done >= last


def wait_until(what: str, cond: Callable[[], bool], timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.01)


def run_to_the_end(root: Path) -> None:
    """Start, (re)send the whole replay (duplicates are stored once), drain, SIGTERM → 0."""
    proc, url = start(root)
    try:
        send(url, replay_lines(N))
        wait_until("the queue to drain", lambda: drained(root))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 0, (root / "serve.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(con.execute("SELECT count(*) FROM events").fetchone()[0])
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


def outcome(root: Path) -> tuple[list[tuple[str, str]], Counter[str], Counter[str]]:
    """(decision id, payload) in order; outcomes per action key; task_opened per task id."""
    with Ledger.open(root / "ledger.db", readonly=True) as led:
        report = verify(led)
        assert report.ok, [p.message for p in report.problems]
        decisions = [
            (str(d), str(c))
            for d, c in led.conn.execute(
                "SELECT json_extract(e.attrs, '$.decision_id'), p.content FROM events e "
                "JOIN payloads p ON p.hash = e.output_hash "
                "WHERE e.kind = 'policy_decision' ORDER BY e.seq"
            )
        ]
        per_key = Counter(
            str(k)
            for (k,) in led.conn.execute(
                "SELECT json_extract(attrs, '$.action_key') FROM events WHERE kind = 'action'"
            )
        )
        intents = Counter(
            str(k)
            for (k,) in led.conn.execute(
                "SELECT json_extract(attrs, '$.action_key') FROM events "
                "WHERE kind = 'action_intent'"
            )
        )
        tasks = Counter(
            str(k)
            for (k,) in led.conn.execute(
                "SELECT json_extract(attrs, '$.task_id') FROM events WHERE kind = 'task_opened'"
            )
        )
    assert max(intents.values(), default=1) == 1  # no action started twice
    assert set(intents) <= set(per_key)  # every intent has its outcome (ok or interrupted)
    assert max(per_key.values(), default=1) == 1
    assert max(tasks.values(), default=1) == 1
    return decisions, per_key, tasks


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Ref:
    """The uninterrupted run: its decisions, the orders it acted on, its event count."""
    root = tmp_path_factory.mktemp("reference")
    setup(root)
    run_to_the_end(root)
    decisions, per_key, _ = outcome(root)
    assert set(per_key.values()) == {1} and len(decisions) > N
    return decisions, marks(root), count(root / "ledger.db")


def run_with_kill(root: Path, rng: random.Random, total: int) -> None:
    setup(root)
    proc, url = start(root)
    send(url, replay_lines(N))
    at = rng.randint(1, total)
    # a kill point, not a measure: at least `at` ledger events, or all done, or a deadline
    end = time.monotonic() + 60
    while count(root / "ledger.db") < at and not drained(root) and time.monotonic() < end:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    run_to_the_end(root)


def check(root: Path, reference: Ref) -> None:
    decisions, per_key, _ = outcome(root)
    assert decisions == reference[0]
    done = marks(root)
    assert len(done) == len(set(done))  # no order acted on twice
    assert set(done) <= set(reference[1])
    ran = {k for k, n in per_key.items() if n}
    interrupted = len(set(reference[1]) - set(done))
    assert interrupted <= len(ran)  # what did not run was handed to a person


@pytest.mark.slow
def test_sigkill_at_random_points(tmp_path: Path, reference: Ref) -> None:
    rng = random.Random(14)
    total = reference[2]
    for i in range(KILLS):
        root = tmp_path / f"k{i}"
        run_with_kill(root, rng, total)
        check(root, reference)
