"""The real writer, `agentctl run`, refuses a ledger whose schema objects were changed:
the agent's call is never made, and nothing is appended behind a planted trigger."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from rt_helpers import WORKER, Ws, ws_fixture  # noqa: F401 - ws_fixture

NOW = "2026-11-25T10:00:00Z"


def test_run_refuses_a_ledger_with_a_planted_trigger(cli: Any, ws: Ws) -> None:
    ws.add(WORKER)
    payload = json.dumps({"steps": [["call", "sys.read", {"a": 1}]]})
    args = ("run", "worker", "-w", ws.root, "--ledger", ws.ledger_path, "--now", NOW)
    assert cli(*args, "--input", payload).exit_code == 0
    assert ws.calls("read") == 1
    conn = sqlite3.connect(ws.ledger_path)
    conn.execute(
        "CREATE TRIGGER hide_worker BEFORE INSERT ON events "
        "WHEN NEW.principal = 'worker' BEGIN SELECT RAISE(IGNORE); END"
    )
    conn.commit()
    conn.close()
    r = cli(*args, "--input", payload)
    assert r.exit_code == 2
    assert r.stderr.startswith(
        f"agentctl: error: {ws.ledger_path}: refusing to append: trigger hide_worker is not "
        "part of the ledger schema (version 2): it was added\n"
    )
    assert ws.calls("read") == 1  # the agent never ran
