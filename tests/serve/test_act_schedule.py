"""Schedules (issue 14): cron in the workspace's time zone, DST as cron has it, firings as
queued events with deterministic ids."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from act_helpers import acting_ws, marks, open_queue

from agentctl.engine import format_ts, parse_ts
from agentctl.ledger import Ledger
from agentctl.serve.schedule import MAX_CATCH_UP, Schedule, cloudevent, due, firings, problem
from agentctl.serve.worker import Worker
from agentctl.workspace.loader import load_workspace

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


def local(ts: float, tz: str) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).isoformat()


def test_daily_0230_across_spring_forward_in_berlin() -> None:
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that day
    got = firings(
        "30 2 * * *", BERLIN, parse_ts("2026-03-27T12:00:00Z"), parse_ts("2026-03-31T00:00:00Z")
    )
    assert [local(t, BERLIN) for t in got] == [
        "2026-03-28T02:30:00+01:00",
        "2026-03-29T03:00:00+02:00",  # right after the gap, once (as cron runs it)
        "2026-03-30T02:30:00+02:00",
    ]


def test_daily_0230_across_fall_back_in_berlin() -> None:
    # 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice, the job runs once
    got = firings(
        "30 2 * * *", BERLIN, parse_ts("2026-10-23T12:00:00Z"), parse_ts("2026-10-27T00:00:00Z")
    )
    assert [local(t, BERLIN) for t in got] == [
        "2026-10-24T02:30:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-26T02:30:00+01:00",
    ]


def test_new_york_spring_forward_and_fall_back() -> None:
    spring = firings(
        "30 2 * * *", NEW_YORK, parse_ts("2026-03-07T12:00:00Z"), parse_ts("2026-03-09T12:00:00Z")
    )
    assert [local(t, NEW_YORK) for t in spring] == [
        "2026-03-08T03:00:00-04:00",
        "2026-03-09T02:30:00-04:00",
    ]
    fall = firings(
        "30 2 * * *", NEW_YORK, parse_ts("2026-10-31T12:00:00Z"), parse_ts("2026-11-02T12:00:00Z")
    )
    # 2026-11-01: 02:00 EDT goes back to 01:00 EST, so 02:30 is once (EST) and 01:30 twice
    assert [local(t, NEW_YORK) for t in fall] == [
        "2026-11-01T02:30:00-05:00",
        "2026-11-02T02:30:00-05:00",
    ]
    twice = firings(
        "30 1 * * *", NEW_YORK, parse_ts("2026-10-31T12:00:00Z"), parse_ts("2026-11-02T12:00:00Z")
    )
    assert [local(t, NEW_YORK) for t in twice] == [
        "2026-11-01T01:30:00-04:00",  # the first 01:30 only
        "2026-11-02T01:30:00-05:00",
    ]


def test_firings_are_events_with_deterministic_ids() -> None:
    ts = parse_ts("2026-03-29T01:00:00Z")
    e = cloudevent("nightly", ts)
    assert e["id"] == "nightly@2026-03-29T01:00:00Z" and e["type"] == "agentctl.schedule.nightly"
    assert e["time"] == format_ts(ts) and e["data"] == {
        "policy": "nightly",
        "scheduled_for": "2026-03-29T01:00:00Z",
    }
    assert cloudevent("nightly", ts) == e  # a tick repeated after a restart: the same event


def test_due_starts_at_the_first_tick_and_catches_up_boundedly() -> None:
    s = [Schedule("hourly", "0 * * * *")]
    last: dict[str, float] = {}
    assert due(s, "UTC", last, parse_ts("2026-11-02T10:30:00Z")) == []  # starts now
    got = due(s, "UTC", last, parse_ts("2026-11-02T12:00:00Z"))
    assert [e["time"] for e in got] == ["2026-11-02T11:00:00Z", "2026-11-02T12:00:00Z"]
    assert due(s, "UTC", last, parse_ts("2026-11-02T12:00:00Z")) == []  # nothing twice
    # down for three days: only the latest MAX_CATCH_UP firings are owed
    got = due(s, "UTC", last, parse_ts("2026-11-05T12:00:00Z"))
    assert len(got) == MAX_CATCH_UP and got[-1]["time"] == "2026-11-05T12:00:00Z"


def test_problem_names_a_bad_expression() -> None:
    assert problem("30 2 * * *") is None
    assert (
        problem("30 2 * *")
        == "'30 2 * *' is not a 5-field cron expression (minute hour day month weekday)"
    )
    assert problem("61 2 * * *") == "'61 2 * * *': Bad minute"


NIGHTLY = """\
---
apiVersion: agentctl/v1
kind: Policy
metadata: {name: nightly, owner: role/ops}
spec:
  on: [agentctl.schedule.nightly]
  condition: "true"
  schedule: "30 2 * * *"
  actions:
    - invoke: charter/act
      input: {order: "'NIGHTLY-' + event.data.scheduled_for"}
"""


def test_a_schedule_fires_through_the_queue_once_across_restarts(tmp_path: Path) -> None:
    """Berlin time, across the spring-forward night: the 03:00 firing runs once, and a
    restarted worker ticking over the same night queues nothing twice."""
    root = acting_ws(tmp_path / "ws")
    text = (
        (root / "agentctl.yaml")
        .read_text()
        .replace("python_path", "defaults: {timezone: Europe/Berlin}\n  python_path")
    )
    (root / "agentctl.yaml").write_text(text)
    with (root / "res.yaml").open("a") as fh:
        fh.write(NIGHTLY)
    now = dt.datetime(2026, 3, 28, 12, 0, tzinfo=dt.UTC)
    with open_queue(tmp_path) as q, Ledger.open(root / "ledger.db") as led:
        w = Worker(load_workspace(root).workspace, root, q, led, now=lambda: now)
        w.start()
        w.tick(now)  # starts here
        w.tick(dt.datetime(2026, 3, 30, 12, 0, tzinfo=dt.UTC))
        assert [e.time for e in q.after(0, 10)] == ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"]
        w.step(10)
        again = Worker(load_workspace(root).workspace, root, q, led, now=lambda: now)
        again.start()  # learns the last firing from the queue
        again.tick(dt.datetime(2026, 3, 30, 12, 0, tzinfo=dt.UTC))
        assert q.last_seq() == 2
        again.step(10)
        assert marks(root) == ["NIGHTLY-2026-03-29T01:00:00Z", "NIGHTLY-2026-03-30T00:30:00Z"]
