"""Drift alerts (issue 14): the ledger's measurements per charter and version become
`agentctl.drift` events on tick, decided by ordinary policies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from act_helpers import DRIFT, NOW, acting_ws, open_queue, order

from agentctl.ledger import Ledger, format_ts
from agentctl.ledger.stats import build
from agentctl.serve import drift
from agentctl.serve.tasks import list_tasks
from agentctl.serve.worker import Worker
from agentctl.workspace.loader import load_workspace


def test_a_falling_success_rate_is_an_event_a_policy_acts_on(tmp_path: Path) -> None:
    root = acting_ws(tmp_path / "ws")
    with (root / "res.yaml").open("a") as fh:
        fh.write(DRIFT)
    t = [NOW + dt.timedelta(minutes=10)]
    with open_queue(tmp_path) as q, Ledger.open(root / "ledger.db") as led:
        w = Worker(load_workspace(root).workspace, root, q, led, now=lambda: t[0])
        w.start()
        w.tick(t[0])  # the first tick notes where it is: no history
        assert q.last_seq() == 0
        q.put(
            [order(i, 20.0, name="BAD" if i % 3 == 0 else "O") for i in range(1, 7)], format_ts(NOW)
        )
        w.step(10)  # six runs of charter/act, two of them failing
        t[0] = NOW + dt.timedelta(hours=1, minutes=5)
        w.tick(t[0])  # the 10:00-11:00 window closed
        (got,) = [e for e in q.after(6, 10) if e.type == drift.TYPE]
        assert got.time == "2026-11-25T11:00:00Z"
        assert got.data["charter"] == "act" and got.data["runs"] == 6
        assert abs(got.data["success_rate"] - 4 / 6) < 1e-9
        w.tick(t[0])  # the same window is not measured twice
        assert q.last_seq() == 7
        w.step(10)
        (task,) = list_tasks(led)
        assert task.title == "charter/act is failing more than it did"
        assert task.origin == "act-drift@7#0"
        # decisions, actions, tasks and approvals are governance: ledger report shows agents
        assert list(build(led).charters) == ["act"]


def test_window_end_is_aligned() -> None:
    assert drift.window_end(3600 * 5 + 12.5) == 3600 * 5
    assert drift.due.__doc__  # documented: the first call replays no history
