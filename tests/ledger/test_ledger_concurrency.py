"""Four real processes appending at once: nothing lost, the chain intact."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from agentctl.ledger import Ledger
from agentctl.ledger.verify import verify

WORKER = r"""
import sys, datetime as dt
from agentctl.ledger import Ledger, LedgerEvent, format_ts
path, wid = sys.argv[1], int(sys.argv[2])
led = Ledger.open(path)
t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
for batch in range(25):
    evs = [LedgerEvent("tool_call", f"{wid:032x}", f"{batch * 100 + i + 1:016x}", None,
                       format_ts(t0 + dt.timedelta(seconds=batch)), f"worker-{wid}",
                       input={"w": wid, "b": batch, "i": i}, data_classes=["pii.ssn"])
           for i in range(8)]
    if batch % 5 == 4:
        for e in evs:
            led.append([e])  # some single-event transactions in between
    else:
        with led.writer(batch=3) as w:
            for e in evs:
                w.add(e)
led.close()
"""


def test_four_processes_append_concurrently(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    Ledger.open(path).close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(path), str(w)], stderr=subprocess.PIPE, text=True
        )
        for w in range(1, 5)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with Ledger.open(path, readonly=True) as led:
        rep = verify(led)
        assert rep.ok, rep.problems
        assert rep.events == 4 * 25 * 8
        per_worker = dict(
            led.conn.execute(
                "SELECT principal, count(DISTINCT span_id) FROM events GROUP BY principal"
            )
        )
        assert per_worker == {f"worker-{w}": 200 for w in range(1, 5)}
        assert led.conn.execute("SELECT count(*) FROM event_data_classes").fetchone()[0] == 800


def test_processes_creating_the_ledger_at_once(tmp_path: Path) -> None:
    """No one created it first: schema creation races must not fail or fork identities."""
    path = tmp_path / "new" / "ledger.db"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(path), str(w)], stderr=subprocess.PIPE, text=True
        )
        for w in range(1, 5)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with Ledger.open(path, readonly=True) as led:
        assert verify(led).ok
        assert led.count() == 800
        assert (
            led.conn.execute("SELECT count(*) FROM meta WHERE key = 'ledger_id'").fetchone()[0] == 1
        )
