"""Per-day limits under concurrency: a charter's daily budget and a contract's daily cost
ceiling hold for runs in several processes at once (reservations in the ledger, under a
lock: runtime/reserve.py). The assertions are invariants over the ledger, never timings."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

from rt_helpers import NOW, Ws, charter, ws_fixture  # noqa: F401 - ws_fixture
from support import agentctl_bin

from agentctl.ledger import Ledger
from agentctl.ledger.reserve import CharterDay, ContractDay, DayRows

PROCS = 4


def race(ws: Ws, name: str, steps: list[list[Any]], tmp: Path) -> list[dict[str, Any]]:
    """Start PROCS `agentctl run` processes that meet at a barrier (a folder each one
    signs) before their first step; their JSON summaries."""
    gate = tmp / "barrier"
    task = {"steps": [["barrier", str(gate), PROCS], *steps]}
    procs = [
        subprocess.Popen(
            [
                agentctl_bin(),
                "run",
                name,
                "-w",
                str(ws.root),
                "--ledger",
                str(ws.ledger_path),
                "--now",
                "2026-11-25T10:00:00Z",
                "--format",
                "json",
                "--input",
                json.dumps(task),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCS)
    ]
    docs = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode in (0, 1), err
        docs.append(json.loads(out))
    return docs


SLOW = """\
apiVersion: agentctl/v1
kind: Connector
metadata: {name: slow, owner: role/ops}
spec:
  transport: {python: "rt_tools:sys"}
  operations:
    hit: {scope: slow.read, cost_usd: 0.01}
"""


def money(events: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(repr(e["cost_usd"])) for e in events), Decimal(0))


def test_daily_budget_holds_across_concurrent_processes(ws: Ws, tmp_path: Path) -> None:
    """4 runs x 10 calls of $0.01 against 10 calls and $0.10 a day: the day's executed
    calls never pass the limits (before: 40 calls, $0.40). Every denied call was refused
    before it ran, and nothing reserved is lost: exactly the limit is used."""
    # a slow call (30 ms): without the lock, the processes' checks and calls overlap
    ws.add(
        SLOW,
        charter("spender", tools="[slow.read]", budget="{per_day: {tool_calls: 10, usd: 0.10}}"),
    )
    docs = race(ws, "spender", [["call", "slow.hit", {"i": i}] for i in range(10)], tmp_path)
    calls = ws.events("tool_call")
    assert len(calls) <= 10 and money(calls) <= Decimal("0.10")  # the invariant
    assert len(calls) == 10 and ws.calls("hit") == 10  # and no reservation went unused
    assert sum(d["summary"]["tool_calls"] for d in docs) == 10
    denials = [json.loads(e["attrs"]) for e in ws.events("denial")]
    assert len(denials) == 30
    assert {(d["rule"], d["period"]) for d in denials} == {("budget", "day")}
    assert ws.verify().ok


def test_per_run_allowance_is_reserved_once(ws: Ws, tmp_path: Path) -> None:
    """With a per-run limit, a run's first call reserves its whole allowance (one row per
    run, not per call); the day is still never exceeded."""
    ws.add(
        charter(
            "spender",
            tools="[sys.read]",
            budget="{per_run: {tool_calls: 4}, per_day: {tool_calls: 10}}",
        )
    )
    race(ws, "spender", [["call", "sys.read", {"i": i}] for i in range(6)], tmp_path)
    calls = ws.events("tool_call")
    assert len(calls) == 10 == ws.calls("read")
    held = [json.loads(e["attrs"]) for e in ws.events("reservation")]
    assert sorted(h["tool_calls"] for h in held) == [2, 4, 4]  # the 4th run found none left
    assert ws.verify().ok


CONTRACT = """\
apiVersion: agentctl/v1
kind: Contract
metadata: {name: c2, owner: role/ops}
spec:
  consumer: charter/asker
  provider: charter/helper
  scopes: [sys.read]
  valid: {from: 2026-01-01, until: 2026-12-31}
  cost_ceiling: {per_request_usd: 0.03, per_day_usd: 0.05}
"""


def test_contract_ceiling_holds_across_concurrent_processes(ws: Ws, tmp_path: Path) -> None:
    """4 consumers ask twice each for 3 calls of $0.01 under a $0.05 daily ceiling: what
    the provider spends under the contract never passes it (before: $0.24)."""
    ws.add(charter("asker", tools="[sys.read]"), charter("helper", tools="[sys.read]"), CONTRACT)
    three = {"steps": [["call", "sys.read", {}]] * 3}
    race(ws, "asker", [["ask", "charter/helper", three]] * 2, tmp_path)
    spent = money(ws.events("tool_call"))
    assert spent <= Decimal("0.05")  # the invariant
    asked = sum(
        (Decimal(str(json.loads(e["attrs"])["cost_usd"])) for e in ws.events("agent_request")),
        Decimal(0),
    )
    assert asked == spent
    assert ws.calls("read") == len(ws.events("tool_call"))
    assert ws.verify().ok


# --- the ledger side: the day's arithmetic -------------------------------------------------


def test_holds_are_released_by_the_closing_event(ws: Ws) -> None:
    """A run's reservation counts for other runs until its run_end; a request's until its
    agent_request. What a run used is counted once (not as used and held)."""
    ws.add(
        charter(
            "asker",
            tools="[sys.read]",
            budget="{per_run: {tool_calls: 5}, per_day: {tool_calls: 50}}",
        ),
        charter("helper", tools="[sys.read]"),
        CONTRACT,
    )
    ws.run(
        "asker",
        {
            "steps": [["call", "sys.read", {}]] * 2
            + [["ask", "charter/helper", {"steps": [["call", "sys.read", {}]]}]]
        },
    )
    window = ("2026-11-25T00:00:00.000000Z", "2026-11-26T00:00:00.000000Z")
    with Ledger.open(ws.ledger_path) as led:
        rows = DayRows(led, *window, principal="asker").fetch()
        day = CharterDay()
        for r in rows:
            day.apply(r)
        assert day.used.tool_calls == 2 and day.used.steps == 3
        assert day.used.usd == Decimal("0.03")  # 2 calls + what the provider spent
        assert day.holds == {}  # the run ended
        others, flying = day.others(None)
        assert (others.tool_calls, flying) == (2, 0)
        # cut before the run_end: the run holds the unused part of its 5 calls
        cut = CharterDay()
        for r in rows:
            if r[1] != "run_end":
                cut.apply(r)
        others, flying = cut.others("someone-else")
        assert (others.tool_calls, others.steps, flying) == (5, 3, 1)  # steps: no per-run limit
        c = ContractDay()
        for r in DayRows(led, *window, contract="c2").fetch():
            c.apply(r)
        assert (c.requests, c.ok, c.usd, c.holds) == (1, 1, Decimal("0.01"), {})
        # kept up to date from new rows only
        more = DayRows(led, *window, principal="asker")
        more.fetch()
        assert more.fetch() == []
    ws.run("asker", {"steps": [["call", "sys.read", {}]]}, start=NOW)
    with Ledger.open(ws.ledger_path) as led:
        more.ledger = led
        new = more.fetch()
        assert [r[1] for r in new] == ["run_start", "reservation", "tool_call", "run_end"]


def test_a_killed_run_keeps_its_hold_for_the_day(ws: Ws) -> None:
    """kill -9 after a run reserved its allowance (its run_end never comes): the hold
    still counts, so the day errs on the side of stopping, and the denial says why."""
    import signal
    import time

    ws.add(
        charter(
            "many",
            runtime='python: "rt_agents:many"',
            tools="[sys.read]",
            budget="{per_run: {tool_calls: 4}, per_day: {tool_calls: 4}}",
        )
    )
    proc = subprocess.Popen(
        [
            agentctl_bin(),
            "run",
            "many",
            "-w",
            str(ws.root),
            "--ledger",
            str(ws.ledger_path),
            "--now",
            "2026-11-25T10:00:00Z",
            "--input",
            json.dumps({"n": 3, "pause": 600}),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        end = time.monotonic() + 120
        while not (ws.ledger_path.exists() and _reserved(ws)):
            assert time.monotonic() < end and proc.poll() is None, "no reservation"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert ws.events("run_end") == []
    res = ws.run("many", {"n": 1}, start=NOW)
    assert res.status == "stopped" and ws.calls("read") <= 1
    (d,) = [json.loads(e["attrs"]) for e in ws.events("denial")]
    assert d["reason"] == (
        "budget per day of charter/many reached: 4 tool calls; 1 run in flight holds part of it"
    )


def _reserved(ws: Ws) -> bool:
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{ws.ledger_path}?mode=ro", uri=True, timeout=5)
        try:
            row = con.execute("SELECT count(*) FROM events WHERE kind = 'reservation'").fetchone()
            return bool(row[0])
        finally:
            con.close()
    except sqlite3.OperationalError:
        return False  # the schema is not there yet


def test_the_day_is_read_by_index_then_by_rowid(ws: Ws) -> None:
    """Seeding reads the day through the (principal, ts) or (kind, ts) index; later reads
    take only the new rows (a rowid range), whatever the ledger's size."""
    window = ("2026-11-25T00:00:00.000000Z", "2026-11-26T00:00:00.000000Z")
    with Ledger.open(ws.ledger_path) as led:
        seen: list[str] = []
        led.conn.set_trace_callback(seen.append)
        for rows in (
            DayRows(led, *window, principal="asker"),
            DayRows(led, *window, contract="c2"),
        ):
            rows.fetch()
            rows.fetch()
        led.conn.set_trace_callback(None)
        reads = [q for q in seen if "SELECT seq" in q]
        plans = [str(led.conn.execute("EXPLAIN QUERY PLAN " + q).fetchall()) for q in reads]
    assert len(plans) == 4
    assert "events_principal_ts" in plans[0] and "events_kind_ts" in plans[2]
    assert all("INTEGER PRIMARY KEY (rowid>? AND rowid<?)" in p for p in (plans[1], plans[3]))
