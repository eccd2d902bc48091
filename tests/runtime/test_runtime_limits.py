"""Limits that outlive one run, read from the ledger: a contract's per-day cost ceiling and
connector rate limits (across sequential runs and concurrent processes)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from typing import Any

from rt_helpers import NOW, WORKER, Ws, charter, ws_fixture  # noqa: F401 - ws_fixture
from support import agentctl_bin, contract

from agentctl.ledger import Ledger


def contract_ws(ws: Ws, ceiling: float) -> Ws:
    return ws.add(
        charter("asker", tools="[sys.read]"),
        charter("helper", tools="[sys.read]"),
        contract("c2", cost_ceiling={"per_day_usd": ceiling}),
    )


def reads(n: int) -> dict[str, Any]:
    return {"steps": [["call", "sys.read", {}]] * n, "extra": {"answer": 1}}


def asks(*payloads: dict[str, Any]) -> dict[str, Any]:
    return {"steps": [["ask", "charter/helper", p] for p in payloads]}


def attrs(e: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(e["attrs"]))


# --- contract cost ceiling per day -----------------------------------------------------------


def test_spent_contract_day_denies_the_ask(ws: Ws) -> None:
    contract_ws(ws, 0.02)
    first = ws.run("asker", asks(reads(2)))
    assert first.output["results"][0]["ok"]["answer"] == 1
    (req,) = ws.events("agent_request")
    assert attrs(req)["cost_usd"] == 0.02 and req["cost_usd"] == 0.0  # counted once
    later = NOW + dt.timedelta(hours=3)
    res = ws.run("asker", asks(reads(1)), start=later)
    assert res.status == "ok"  # the asker caught the denial
    result = res.output["results"][0]
    assert result["denied"] == "contract-ceiling"
    assert result["message"] == (
        "contract/c2 has reached its daily cost ceiling: $0.02 of $0.02 spent on 2026-11-25"
    )
    assert ws.calls("read") == 2  # the provider never ran
    assert [e["principal"] for e in ws.events("run_start")] == ["asker", "helper", "asker"]
    (d,) = ws.events("denial")
    assert d["principal"] == "asker" and d["operation"] == "charter/helper"
    assert attrs(d) | {"reason": ""} == {
        "reason": "",
        "rule": "contract-ceiling",
        "operation": "charter/helper",
        "contract": "c2",
        "limit": "usd",
        "period": "day",
    }
    # a new day in the workspace's timezone starts from zero
    tomorrow = NOW + dt.timedelta(days=1)
    assert ws.run("asker", asks(reads(1)), start=tomorrow).output["results"][0].get("ok")
    assert ws.calls("read") == 3
    assert ws.verify().ok


def test_what_is_left_of_the_day_caps_the_provider(ws: Ws) -> None:
    """Two asks in one run: the second sees the first (not yet flushed) and the provider may
    spend only what is left of the day's ceiling."""
    contract_ws(ws, 0.025)
    res = ws.run("asker", asks(reads(2), reads(1)))
    first, second = res.output["results"]
    assert first["ok"]["answer"] == 1
    assert second["error"].startswith("charter/helper did not answer")
    assert ws.calls("read") == 2
    (d,) = ws.events("denial")
    assert d["principal"] == "helper" and d["status"] == "stopped"
    assert attrs(d)["reason"] == (
        "the cost ceiling of this request ($0.005: contract/c2 per_day_usd of $0.025, $0.02 "
        "spent today) would be exceeded (spent $0.00, this call $0.01)"
    )
    with Ledger.open(ws.ledger_path) as led:
        day = led.contract_totals(
            "c2", "2026-11-25T00:00:00.000000Z", "2026-11-26T00:00:00.000000Z"
        )
    assert day == {"requests": 2.0, "usd": 0.02, "sla_missed": 0.0}


def test_contract_totals_is_a_range_scan_of_the_kind_index(ws: Ws) -> None:
    with Ledger.open(ws.ledger_path) as led:
        for sql in (
            "SELECT count(*) FROM events WHERE kind = 'agent_request' AND ts >= ? AND ts < ? "
            "AND json_extract(attrs, '$.contract') = ?",
            "SELECT count(*) FROM events WHERE kind = 'tool_call' AND ts > ? "
            "AND operation >= ? AND operation < ?",
        ):
            plan = str(led.conn.execute("EXPLAIN QUERY PLAN " + sql, ("a", "b", "c")).fetchall())
            assert "events_kind_ts" in plan, plan
        assert led.contract_totals("nope", "a", "z") == {
            "requests": 0.0,
            "usd": 0.0,
            "sla_missed": 0.0,
        }


# --- rate limits -----------------------------------------------------------------------------


def pings(n: int) -> dict[str, Any]:
    return {"steps": [["call", "limited.ping", {}]] * n}


def outcome(res: Any) -> list[str]:
    return ["ok" if "ok" in r else r.get("denied", "error") for r in res.output["results"]]


def test_rate_limit_holds_across_sequential_runs(ws: Ws) -> None:
    ws.add(WORKER)  # limited: 2 calls per 1m
    assert outcome(ws.run("worker", pings(1))) == ["ok"]
    assert outcome(ws.run("worker", pings(2), start=NOW + dt.timedelta(seconds=20))) == [
        "ok",
        "rate-limit",
    ]
    res = ws.run("worker", pings(1), start=NOW + dt.timedelta(seconds=40))
    assert outcome(res) == ["rate-limit"]
    assert res.output["results"][0]["message"] == (
        "rate limit of connector/limited: 2 calls per 60s (2 in the last 60s, all runs)"
    )
    # sliding: at +61s the first call (at +0s) has left the window, the one at +20s not
    assert outcome(ws.run("worker", pings(2), start=NOW + dt.timedelta(seconds=61))) == [
        "ok",
        "rate-limit",
    ]
    assert ws.calls("ping") == 3
    # denials do not use up the window
    assert outcome(ws.run("worker", pings(2), start=NOW + dt.timedelta(seconds=200))) == [
        "ok",
        "ok",
    ]
    assert ws.calls("ping") == 5


def test_rate_limit_is_shared_with_the_provider_of_an_ask(ws: Ws) -> None:
    ws.add(
        charter("asker", tools="[limited.read]"),
        charter("helper", tools="[limited.read]"),
        contract("c2", scopes=("limited.read",), cost_ceiling={"per_day_usd": 1}),
    )
    payload = {
        "steps": [
            ["call", "limited.ping", {}],
            ["ask", "charter/helper", {"steps": [["call", "limited.ping", {}]] * 2}],
        ]
    }
    res = ws.run("asker", payload)
    inner = res.output["results"][1]["ok"]["results"]
    assert [next(iter(r)) for r in inner] == ["ok", "denied"]
    assert ws.calls("ping") == 2


RATE = """\
apiVersion: agentctl/v1
kind: Connector
metadata: {name: burst, owner: role/ops}
spec:
  transport: {python: "rt_tools:sys"}
  rate_limit: {calls: 7, per: 1h}
  operations:
    hit: {scope: burst.write, effect: write}
"""


def test_rate_limit_holds_across_concurrent_processes(ws: Ws) -> None:
    ws.add(RATE, charter("hammer", tools="[burst.write]"))
    # all four wait for one start line, then call a slow operation: without the lock their
    # windows overlap and more than 7 calls get through
    steps: list[list[Any]] = [["until", "", time.time() + 3.0]]
    steps += [["call", "burst.hit", {"i": i}] for i in range(5)]
    procs = [
        subprocess.Popen(
            [
                agentctl_bin(),
                "run",
                "hammer",
                "-w",
                str(ws.root),
                "--ledger",
                str(ws.ledger_path),
                "--now",
                "2026-11-25T10:00:00Z",
                "--format",
                "json",
                "--input",
                json.dumps({"steps": steps}),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    docs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        docs.append(json.loads(out))
    admitted = sum(d["summary"]["tool_calls"] for d in docs)
    assert admitted == 7  # 20 attempts, 4 processes, one window
    assert ws.calls("hit") == 7
    assert len(ws.events("tool_call")) == 7
    rules = [attrs(d)["rule"] for d in ws.events("denial")]
    assert rules == ["rate-limit"] * 13
    assert ws.verify().ok


def test_ledger_counts_a_connector_by_its_own_prefix(ws: Ws) -> None:
    """`sys.read` and a connector named `sys2` or `sy` must not count for each other."""
    ws.add(WORKER)
    ws.run("worker", {"steps": [["call", "sys.read", {}], ["call", "limited.ping", {}]]})
    with Ledger.open(ws.ledger_path) as led:
        assert led.connector_calls("sys", "2026-11-25T00:00:00.000000Z") == 1
        assert led.connector_calls("sy", "2026-11-25T00:00:00.000000Z") == 0
        assert led.connector_calls("limited", "2026-11-25T00:00:00.000000Z") == 1
        assert led.connector_calls("limited", "2026-11-25T11:00:00.000000Z") == 0


def test_the_window_is_kept_up_to_date_from_new_rows(ws: Ws) -> None:
    """Seeded once by ts, then extended by seq: rows from other runs (here: a second
    session on the same file), out-of-order stamps and other connectors are handled."""
    ws.add(WORKER)
    ws.run("worker", pings(1))
    with Ledger.open(ws.ledger_path) as led:
        tail, stamps = led.connector_call_times("limited", after_ts="2026-11-25T09:59:00.000000Z")
        assert len(stamps) == 1 and tail == led.count()
        # a run stamped earlier (a clock behind) lands after it in seq order
        ws.run("worker", pings(1), start=NOW - dt.timedelta(seconds=5))
        ws.run("worker", {"steps": [["call", "sys.read", {}]]})
        new_tail, new = led.connector_call_times("limited", after_seq=tail)
        assert len(new) == 1 and new[0] < stamps[0] and new_tail == led.count()
        _, again = led.connector_call_times("limited", after_seq=new_tail)
        assert again == []
        plan = str(
            led.conn.execute(
                "EXPLAIN QUERY PLAN SELECT ts FROM events WHERE seq > ? AND seq <= ? "
                "AND +kind = 'tool_call' AND +operation >= ? AND +operation < ? AND ts > ?",
                (1, 2, "a", "b", "c"),
            ).fetchall()
        )
        assert "INTEGER PRIMARY KEY" in plan, plan
