"""Human tasks (issue 14): `agentctl tasks [--open]` lists them, `agentctl tasks close ID
--reason` closes one once; both read and write only the ledger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agentctl.ledger import Ledger
from agentctl.ledger.verify import verify
from agentctl.serve import tasks

TS = "2026-11-25T10:00:00.000000Z"


def opened(db: Path, *origins: str) -> list[str]:
    with Ledger.open(db) as led:
        attrs = [
            tasks.opened_attrs("role/ops", f"look at {o}", o, severity="high") for o in origins
        ]
        led.append([tasks.opened_event(a, principal="policy/p", ts=TS) for a in attrs])
    return [a["task_id"] for a in attrs]


def test_list_and_close(cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    a, b = opened(db, "p@1#0", "p@2#0")
    r = cli("tasks", "--ledger", db)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == [
        f"{a}  open    high      role/ops  2026-11-25T10:00:00Z",
        "    look at p@1#0",
        f"{b}  open    high      role/ops  2026-11-25T10:00:00Z",
        "    look at p@2#0",
        "2 task(s), 2 open",
    ]
    r = cli(
        "tasks", "close", a, "--reason", "called back", "--by", "ana@example.com", "--ledger", db
    )
    assert r.exit_code == 0, r.stderr
    assert "closed by ana@example.com" in r.stdout
    r = cli("tasks", "--open", "--ledger", db, "--format", "json")
    doc = json.loads(r.stdout)
    assert [t["id"] for t in doc["tasks"]] == [b] and doc["format_version"] == 1
    r = cli("tasks", "--ledger", db, "--format", "json")
    first = json.loads(r.stdout)["tasks"][0]
    assert first["status"] == "closed" and first["reason"] == "called back"
    with Ledger.open(db, readonly=True) as led:
        assert verify(led).ok


def test_close_refusals(cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    (a,) = opened(db, "p@1#0")
    r = cli("tasks", "close", "task-nope", "--reason", "x", "--by", "b", "--ledger", db)
    assert r.exit_code == 2 and "no task 'task-nope'" in r.stderr and a in r.stderr
    assert cli("tasks", "close", a, "--reason", "done", "--by", "b", "--ledger", db).exit_code == 0
    r = cli("tasks", "close", a, "--reason", "again", "--by", "c", "--ledger", db)
    assert r.exit_code == 2 and f"{a} was already closed by b" in r.stderr
    r = cli("tasks", "close", a, "--reason", " ", "--by", "c", "--ledger", db)
    assert r.exit_code == 2 and "with a reason" in r.stderr
    with Ledger.open(db, readonly=True) as led:
        assert [t.reason for t in tasks.list_tasks(led)] == ["done"]


def test_same_origin_same_id() -> None:
    assert tasks.task_id("p@1#0") == tasks.task_id("p@1#0") != tasks.task_id("p@1#1")
    assert tasks.task_id("p@1#0").startswith("task-") and len(tasks.task_id("x")) == 15
