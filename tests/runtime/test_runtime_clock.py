"""`run --now` / `--today` never weaken enforcement on a ledger of real runs: they are
refused there (nothing runs, nothing is written). On a ledger of their own (tests, replays)
every event they write is marked, and `ledger verify` and `ledger query` say so."""

from __future__ import annotations

import json
from typing import Any

from rt_helpers import NOW, Ws, charter, ws_fixture  # noqa: F401 - ws_fixture

from agentctl.ledger import Ledger
from agentctl.ledger.clock import note, records_real_runs

ONE_CALL = json.dumps({"steps": [["call", "sys.read", {}]]})


def run(cli: Any, ws: Ws, *args: str) -> Any:
    return cli(
        "run", "worker", "-w", ws.root, "--ledger", ws.ledger_path, "--input", ONE_CALL, *args
    )


def budgeted(ws: Ws) -> Ws:
    return ws.add(charter("worker", tools="[sys.read]", budget="{per_day: {tool_calls: 1}}"))


def test_overrides_are_refused_on_a_ledger_of_real_runs(cli: Any, ws: Ws) -> None:
    """The day's one call is spent by a real run; a run backdated to yesterday (or judged
    as of another day) would have a fresh day: it is refused before anything runs."""
    budgeted(ws)
    assert ws.run("worker", json.loads(ONE_CALL)).ok  # a real run (no override)
    before = len(ws.events())
    for args in (
        ["--now", "2026-11-24T10:00:00Z"],
        ["--today", "2026-11-24"],
        ["--now", "2026-11-24T10:00:00Z", "--today", "2026-11-24"],
    ):
        r = run(cli, ws, *args)
        assert r.exit_code == 2, r.stderr
        options = "/".join(a for a in args if a.startswith("--"))
        assert r.stderr == (
            f"agentctl: error: {options} cannot be used with {ws.ledger_path}: it records "
            "real runs, whose daily budgets, rate limits and credential dates a clock "
            "override would escape\n"
            "  hint: replay or test against a ledger of its own: add --ledger replay.db\n"
        )
    assert len(ws.events()) == before and ws.calls("read") == 1


def test_events_under_an_override_are_marked_and_shown(cli: Any, ws: Ws) -> None:
    budgeted(ws)
    r = run(cli, ws, "--now", "2026-11-24T10:00:00Z")
    assert r.exit_code == 0, r.stderr
    events = ws.events()
    assert events and all(e["ts"].startswith("2026-11-24T10:00:") for e in events)
    marks = [json.loads(e["attrs"])["clock_override"] for e in events]
    assert {m["now"] for m in marks} == {"2026-11-24T10:00:00.000000Z"}
    assert len({m["real_start"] for m in marks}) == 1 and "today" not in marks[0]
    real = marks[0]["real_start"][:19] + "Z"
    assert note(events[0]["attrs"]) == f"clock override: --now 2026-11-24T10:00:00Z (real {real})"
    # a second replay on its own ledger is fine; so is --today
    assert run(cli, ws, "--today", "2026-11-23").exit_code == 0
    n = len(ws.events())
    v = cli("ledger", "verify", "--ledger", ws.ledger_path)
    assert v.exit_code == 0
    assert f"warning: {n} events written under a clock override (run --now/--today)" in " ".join(
        v.stdout.split()
    )
    q = cli("ledger", "query", "--ledger", ws.ledger_path)
    lines = q.stdout.splitlines()
    assert all(line.endswith(" *") for line in lines[1:-1])
    assert lines[-1] == f"* {n} written under a clock override (run --now/--today): not real times"
    show = cli("ledger", "show", "-l", ws.ledger_path, events[0]["trace_id"]).stdout
    assert show.splitlines()[2] == note(events[0]["attrs"])
    js = json.loads(cli("ledger", "query", "--ledger", ws.ledger_path, "-f", "json").stdout)
    assert all("clock_override" in e["attrs"] for e in js["events"])


def test_a_real_run_makes_a_replay_ledger_real(cli: Any, ws: Ws) -> None:
    budgeted(ws)
    assert run(cli, ws, "--now", NOW.isoformat()).exit_code == 0
    with Ledger.open(ws.ledger_path) as led:
        assert not records_real_runs(led)
    assert run(cli, ws).exit_code == 0  # a real run: the real day is fresh
    with Ledger.open(ws.ledger_path) as led:
        assert records_real_runs(led)
    assert run(cli, ws, "--now", NOW.isoformat()).exit_code == 2
    q = cli("ledger", "query", "--ledger", ws.ledger_path).stdout.splitlines()
    marked = [line for line in q[1:-1] if line.endswith(" *")]
    assert len(marked) == 4 and len(q) == 2 + 8  # header, 2 runs of 4 events, footnote
