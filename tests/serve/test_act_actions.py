"""Decisions act (issue 14): `invoke` runs the charter through the runtime, at most once
(an intent journaled before, the outcome after); `escalate`/`incident` open human tasks and
notify; `needs_approval` waits for agentctl/approvals and runs once when granted."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from act_helpers import NOW, Hook, acting_ws, marks, open_queue, order

from agentctl.approvals import ApprovalError, roles_of
from agentctl.approvals import store as approvals
from agentctl.ledger import Ledger, format_ts
from agentctl.ledger.record import LedgerEvent
from agentctl.ledger.verify import verify
from agentctl.serve import gate
from agentctl.serve.tasks import list_tasks
from agentctl.serve.worker import Worker
from agentctl.workspace.loader import load_workspace


class Clock:
    def __init__(self) -> None:
        self.t = NOW

    def __call__(self) -> dt.datetime:
        return self.t


def worker(root: Path, q: object, led: Ledger, clock: Callable[[], dt.datetime]) -> Worker:
    ws = load_workspace(root).workspace
    w = Worker(ws, root, q, led, now=clock, approval_ttl_s=3600)  # type: ignore[arg-type]
    w.start()
    return w


def actions_of(led: Ledger) -> list[tuple[str, str, str]]:
    rows = led.conn.execute(
        "SELECT kind, status, json_extract(attrs, '$.action_key') FROM events "
        "WHERE kind IN ('action_intent', 'action') ORDER BY seq"
    )
    return [tuple(r) for r in rows]


def test_fired_invoke_runs_once_across_restarts(tmp_path: Path) -> None:
    root = acting_ws(tmp_path / "ws")
    with open_queue(tmp_path) as q, Ledger.open(root / "ledger.db") as led:
        q.put([order(1, 20.0)], format_ts(NOW))
        w = worker(root, q, led, Clock())
        assert w.step(10) == 1
        assert marks(root) == ["O-1"]
        assert actions_of(led) == [
            ("action_intent", "ok", "order-small@1#0"),
            ("action", "ok", "order-small@1#0"),
        ]
        (run,) = led.conn.execute("SELECT trace_id FROM events WHERE kind = 'run_start'")
        (dec,) = led.conn.execute("SELECT trace_id FROM events WHERE kind = 'policy_decision'")
        assert run == dec  # the run joins the decision's trace
        again = worker(root, q, led, Clock())
        again.cursor = 0  # everything offered again (a lost mark)
        again.step(10)
        assert marks(root) == ["O-1"] and len(actions_of(led)) == 2
        assert verify(led).ok


def test_an_interrupted_action_is_never_rerun(tmp_path: Path) -> None:
    """An intent without an outcome (a kill mid-action) becomes a human task."""
    root = acting_ws(tmp_path / "ws")
    with open_queue(tmp_path) as q, Ledger.open(root / "ledger.db") as led:
        q.put([order(1, 20.0)], format_ts(NOW))
        led.append(
            [
                LedgerEvent(
                    kind="action_intent",
                    trace_id="1" * 32,
                    span_id="2" * 16,
                    parent_span_id=None,
                    ts=format_ts(NOW),
                    principal="policy/order-small",
                    attrs={"action_key": "order-small@1#0"},
                )
            ]
        )
        w = worker(root, q, led, Clock())
        w.step(10)
        assert marks(root) == []
        assert actions_of(led)[-1] == ("action", "interrupted", "order-small@1#0")
        (task,) = list_tasks(led)
        assert task.severity == "high" and "was interrupted" in task.title
        assert task.role == "role/ops"


def test_escalate_and_incident_open_tasks_and_notify(tmp_path: Path) -> None:
    hook = Hook([200])
    try:
        root = acting_ws(tmp_path / "ws", f"  notify: {{url: '{hook.url}'}}\n")
        with open_queue(tmp_path) as q, Ledger.open(root / "ledger.db") as led:
            q.put([order(1, 0.0, "order.failed")], format_ts(NOW))
            w = worker(root, q, led, Clock())
            w.step(10)
            tasks = list_tasks(led)
            assert [(t.role, t.title, t.severity) for t in tasks] == [
                ("role/ops", "an order failed", "medium"),
                ("role/ops", "orders are failing", "high"),
            ]
            assert [t.origin for t in tasks] == ["order-failed@1#0", "order-failed@1#1"]
            sent = [json.loads(body)["task"]["task_id"] for _, body in hook.got]
            assert sent == [t.id for t in tasks]
            n = led.conn.execute("SELECT count(*) FROM events WHERE kind = 'notification'")
            assert n.fetchone()[0] == 2
    finally:
        hook.close()


def pending(led: Ledger) -> approvals.Approval:
    (a,) = approvals.every(led.conn)
    return a


def test_approved_action_runs_exactly_once(tmp_path: Path) -> None:
    root = acting_ws(tmp_path / "ws")
    clock = Clock()
    with open_queue(tmp_path) as q, Ledger.open(root / "ledger.db") as led:
        q.put([order(1, 250.0)], format_ts(NOW))
        w = worker(root, q, led, clock)
        w.step(10)
        w.tick(clock.t)
        assert marks(root) == []  # waiting for a person
        a = pending(led)
        assert a.request.role == "role/ops" and a.request.value_usd == "250.00"
        assert a.request.id == gate.request_id("order-large@1", 0) and a.status(NOW) == "pending"
        roles = roles_of(load_workspace(root).workspace)
        later = NOW + dt.timedelta(minutes=5)
        with pytest.raises(ApprovalError, match=r"bo@example\.com is not a member of role/ops"):
            approvals.grant(led, a.id, roles, "role/ops", "bo@example.com", reason="", now=later)
        approvals.grant(led, a.id, roles, "role/ops", "ana@example.com", reason="ok", now=later)
        clock.t = later
        w.tick(clock.t)
        assert marks(root) == ["O-1"]
        w.tick(clock.t)
        assert marks(root) == ["O-1"]
        assert w.metrics.value("agentctl_approval_wait_seconds_count") == 1
        # a second use of the same approval is refused
        with pytest.raises(ApprovalError, match="already used by order-large@1"):
            approvals.use(
                led, a.id, gate.digest_of(led, "order-large@1"), by="x", identity="y", now=later
            )
        # a restart waits for nothing and runs nothing again
        again = worker(root, q, led, clock)
        again.tick(clock.t)
        assert marks(root) == ["O-1"] and again.gate.waiting == {}
        assert verify(led).ok


def test_expired_approval_never_runs(tmp_path: Path) -> None:
    root = acting_ws(tmp_path / "ws")
    clock = Clock()
    with open_queue(tmp_path) as q, Ledger.open(root / "ledger.db") as led:
        q.put([order(1, 250.0)], format_ts(NOW))
        w = worker(root, q, led, clock)
        w.step(10)
        clock.t = NOW + dt.timedelta(hours=2)  # past the 1h expiry
        w.tick(clock.t)
        assert actions_of(led) == [("action", "expired", "order-large@1#0")]
        roles = roles_of(load_workspace(root).workspace)
        with pytest.raises(ApprovalError, match="expired"):
            approvals.grant(
                led, pending(led).id, roles, "role/ops", "ana@example.com", reason="", now=clock.t
            )
        w.tick(clock.t)
        assert marks(root) == []


def test_denied_approval_never_runs(tmp_path: Path) -> None:
    root = acting_ws(tmp_path / "ws")
    with open_queue(tmp_path) as q, Ledger.open(root / "ledger.db") as led:
        q.put([order(1, 250.0)], format_ts(NOW))
        w = worker(root, q, led, Clock())
        w.step(10)
        roles = roles_of(load_workspace(root).workspace)
        approvals.deny(
            led, pending(led).id, roles, "role/ops", "ana@example.com", reason="no", now=NOW
        )
        w.tick(NOW)
        w.tick(NOW)
        assert marks(root) == []
        assert actions_of(led) == [("action", "denied", "order-large@1#0")]


def test_escalated_approval_and_nobody(tmp_path: Path) -> None:
    """Above role/ops's limit the request goes to role/boss; above everyone's, nobody may
    approve: a human task, and the action is refused."""
    root = acting_ws(tmp_path / "ws")
    with open_queue(tmp_path) as q, Ledger.open(root / "ledger.db") as led:
        q.put([order(1, 5000.0), order(2, 500000.0)], format_ts(NOW))
        w = worker(root, q, led, Clock())
        w.step(10)
        (a,) = approvals.every(led.conn)
        assert a.request.role == "role/boss"
        roles = roles_of(load_workspace(root).workspace)
        approvals.grant(led, a.id, roles, "role/boss", "bo@example.com", reason="ok", now=NOW)
        w.tick(NOW)
        assert marks(root) == ["O-1"]
        assert ("action", "refused", "order-large@2#0") in actions_of(led)
        (task,) = list_tasks(led)
        assert "nobody may approve" in task.title


def test_a_charter_paused_with_agentctl_pause_is_not_run(cli: object, tmp_path: Path) -> None:
    """The brake holds for serve too: the invoke is refused by the guard, recorded."""
    root = acting_ws(tmp_path / "ws")
    r = cli("pause", "act", "--reason", "incident 42", "--by", "ana", "--no-write", "-w", root)  # type: ignore[operator]
    assert r.exit_code == 0, r.stderr
    with open_queue(tmp_path) as q, Ledger.open(root / "ledger.db") as led:
        q.put([order(1, 20.0)], format_ts(NOW))
        w = worker(root, q, led, Clock())
        w.step(10)
        assert marks(root) == []
        assert actions_of(led)[-1] == ("action", "error", "order-small@1#0")
        (attrs,) = led.conn.execute("SELECT attrs FROM events WHERE kind = 'action'").fetchone()
        assert json.loads(attrs)["run_status"] == "denied"


def test_serve_env_runs_only_what_is_deployed_there(tmp_path: Path) -> None:
    """`serve --env prod` invokes the version deployed in prod (as `run --env`); with
    nothing deployed there the action is an error on record, and nothing runs."""
    root = acting_ws(tmp_path / "ws")
    with open_queue(tmp_path) as q, Ledger.open(root / "ledger.db") as led:
        q.put([order(1, 20.0)], format_ts(NOW))
        ws = load_workspace(root).workspace
        w = Worker(ws, root, q, led, now=Clock(), env="prod")
        w.start()
        w.step(10)
        assert marks(root) == []
        (attrs,) = led.conn.execute("SELECT attrs FROM events WHERE kind = 'action'").fetchone()
        got = json.loads(attrs)
        assert got["env"] == "prod" and "nothing is deployed in environment 'prod'" in got["error"]
