"""Restart without loss or double action (issue 14): a real `agentctl serve` process is
SIGKILLed at bounded random points of a replay and restarted; the decisions equal the
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
from collections import Counter
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


def setup(root: Path) -> Path:
    acting_ws(root)
    with (root / "res.yaml").open("a") as fh:
        fh.write(BURST)
    events = root / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in replay_lines(N)))
    return events


def serve(root: Path, events: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [AGENTCTL, "serve", "-w", str(root), "--events", str(events)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


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


def finish(proc: subprocess.Popen[bytes]) -> None:
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err.decode()


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
    finish(serve(root, setup(root)))
    decisions, per_key, _ = outcome(root)
    assert set(per_key.values()) == {1} and len(decisions) > N
    return decisions, marks(root), count(root / "ledger.db")


def run_with_kill(root: Path, rng: random.Random, total: int) -> None:
    events = setup(root)
    proc = serve(root, events)
    at = rng.randint(1, total)
    deadline = time.monotonic() + 60
    while proc.poll() is None and count(root / "ledger.db") < at and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    finish(serve(root, events))  # the same input again: duplicates are accepted once


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
