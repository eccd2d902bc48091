"""`agentctl pause|resume`: the brake is in the ledger at once, every run of the charter in
that environment is refused by the guard (naming who, when, why), other environments run,
and the YAML is edited only when asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import git

from agentctl.deploy import pause
from agentctl.deploy.pause import paused_in, set_paused
from agentctl.ledger import Ledger

TICKET = json.dumps({"ticket_id": "T-1001"})
TS = "2026-03-01T09:00:00.000000Z"


@pytest.fixture
def ws(tmp_path: Path, cli: Any) -> Path:
    root = tmp_path / "ws"
    r = cli("init", root)
    assert r.exit_code == 0, r.stderr
    return root


def _ledger(ws: Path) -> Path:
    return ws / ".agentctl" / "ledger.db"


def test_pause_refuses_the_next_run_naming_who_when_and_why(ws: Path, cli: Any) -> None:
    r = cli("pause", "triage-agent", "-w", ws, "--reason", "loops on refunds", "--by", "ana")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("Paused charter/triage-agent in environment default (ledger seq")
    with Ledger.open(_ledger(ws), readonly=True) as led:
        p = paused_in(led, "default")["triage-agent"]
    assert (p.by, p.reason, p.env) == ("ana", "loops on refunds", "default")
    r = cli("run", "triage-agent", "-w", ws, "-i", TICKET, "-f", "json")
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["status"] == "denied"
    assert out["error"] == (
        f"charter/triage-agent is paused in environment default by ana since {p.since}: "
        "loops on refunds"
    )
    # the refusal is itself a ledger event, and the chain holds
    q = cli("ledger", "query", "-w", ws, "--kind", "denial", "-f", "json")
    rows = json.loads(q.stdout)["events"]
    assert [e["attrs"]["rule"] for e in rows] == ["paused"]
    assert cli("ledger", "verify", "-w", ws).exit_code == 0
    # the YAML was not touched: no --write, and no terminal to ask on
    assert "paused" not in (ws / "charters" / "triage-agent.yaml").read_text()


def test_a_nested_ask_of_a_paused_charter_is_refused_too(ws: Path, cli: Any) -> None:
    r = cli("pause", "reply-writer", "-w", ws, "--reason", "bad tone", "--by", "ana")
    assert r.exit_code == 0, r.stderr
    r = cli("run", "triage-agent", "-w", ws, "-i", TICKET, "-f", "json")
    q = cli("ledger", "query", "-w", ws, "--kind", "denial", "-f", "json")
    denials = json.loads(q.stdout)["events"]
    assert [(e["principal"], e["attrs"]["rule"]) for e in denials] == [("reply-writer", "paused")]
    assert "reply-writer is paused in environment default by ana" in r.stdout


def _environments(ws: Path, line: str) -> None:
    path = ws / "agentctl.yaml"
    path.write_text(path.read_text().replace("  exclude: []\n", f"  exclude: []\n{line}\n"))


def test_a_pause_holds_in_its_environment_only(ws: Path, cli: Any) -> None:
    _environments(ws, "  environments: [default, prod]")
    r = cli("pause", "triage-agent", "-w", ws, "--env", "prod", "--reason", "x", "--by", "ana")
    assert r.exit_code == 0, r.stderr
    assert "environment prod" in r.stdout
    assert cli("run", "triage-agent", "-w", ws, "-i", TICKET).exit_code == 0
    with Ledger.open(_ledger(ws), readonly=True) as led:
        assert list(paused_in(led, "prod")) == ["triage-agent"]
        assert paused_in(led, "default") == {}


def test_resume_lets_runs_through_again(ws: Path, cli: Any) -> None:
    assert cli("pause", "triage-agent", "-w", ws, "--reason", "x", "--by", "ana").exit_code == 0
    r = cli("resume", "triage-agent", "-w", ws, "--reason", "fixed", "--by", "bo", "-f", "json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["action"], out["recorded"], out["pause"]["by"]) == ("resume", True, "ana")
    assert cli("run", "triage-agent", "-w", ws, "-i", TICKET).exit_code == 0
    # nothing to do is said, and nothing is recorded
    again = cli("resume", "triage-agent", "-w", ws, "--reason", "x", "--by", "bo")
    assert again.stdout == (
        "charter/triage-agent is not paused in environment default: nothing recorded.\n"
    )
    q = cli("ledger", "query", "-w", ws, "--kind", "charter_resumed", "-f", "json")
    assert len(json.loads(q.stdout)["events"]) == 1


def test_pausing_twice_records_one_pause(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as led:
        first = set_paused(led, "a", "prod", paused=True, by="ana", reason="r1", ts=TS)
        second = set_paused(led, "a", "prod", paused=True, by="bo", reason="r2", ts=TS)
        assert first.seq == 1 and second.seq is None
        assert second.pause is not None and second.pause.by == "ana"
        assert led.count() == 1


def test_eval_of_a_paused_charter_fails_its_gate_naming_the_pause(ws: Path, cli: Any) -> None:
    assert cli("pause", "triage-agent", "-w", ws, "--reason", "x", "--by", "ana").exit_code == 0
    r = cli("eval", "-w", ws, "-f", "json")
    assert r.exit_code == 1
    assert "charter/triage-agent is paused in environment default by ana" in r.stdout


def test_write_edits_one_line_and_resume_removes_it(ws: Path, cli: Any) -> None:
    path = ws / "charters" / "triage-agent.yaml"
    before = path.read_text()
    r = cli("pause", "triage-agent", "-w", ws, "--reason", "x", "--by", "ana", "--write")
    assert r.exit_code == 0, r.stderr
    after = path.read_text()
    added = [ln for ln in after.splitlines() if ln not in before.splitlines()]
    assert added == ["  paused: true"]
    line = after.splitlines().index("  paused: true") + 1
    assert f"Wrote `paused: true` into charters/triage-agent.yaml:{line} " in r.stdout
    assert cli("lint", "-w", ws).exit_code in (0, 1)  # still a valid charter
    r = cli("resume", "triage-agent", "-w", ws, "--reason", "ok", "--by", "ana", "--write")
    assert r.exit_code == 0, r.stderr
    assert path.read_text() == before


def test_usage_errors(ws: Path, cli: Any) -> None:
    r = cli("pause", "triage", "-w", ws, "--reason", "x", "--by", "ana")
    assert r.exit_code == 2 and "unknown charter 'triage'" in r.stderr
    r = cli("pause", "triage-agent", "-w", ws, "--reason", " ", "--by", "ana")
    assert r.exit_code == 2 and "pause needs a reason" in r.stderr
    r = cli("pause", "triage-agent", "-w", ws, "--reason", "x", "--env", "prod", "--by", "a")
    assert r.exit_code == 2 and "no environment 'prod' in agentctl.yaml" in r.stderr
    r = cli("pause", "triage-agent", "-w", ws)
    assert r.exit_code == 2 and "--reason" in r.stderr


def test_who_paused_is_git_user_email_without_by(ws: Path, cli: Any) -> None:
    git(ws, "config", "user.email", "ana@example.com")
    r = cli("pause", "triage-agent", "-w", ws, "--reason", "x", "-f", "json")
    assert json.loads(r.stdout)["pause"]["by"] == "ana@example.com"


def test_without_env_several_environments_pauses_anywhere_hold(ws: Path, cli: Any) -> None:
    """A run that names no environment in a workspace of several is refused by a pause in
    any of them: leaving out --env never bypasses a brake."""
    _environments(ws, "  environments: [staging, prod]")
    r = cli("pause", "triage-agent", "-w", ws, "--env", "prod", "--reason", "x", "--by", "a")
    assert r.exit_code == 0, r.stderr
    r = cli("run", "triage-agent", "-w", ws, "-i", TICKET, "-f", "json")
    assert r.exit_code == 1 and "is paused in environment prod" in r.stdout


def test_a_pause_is_read_in_milliseconds_not_per_event(tmp_path: Path) -> None:
    """Runs read the pauses at their start: one query over the pause events only (the
    (kind, ts) index), however many other events the ledger holds."""
    with Ledger.open(tmp_path / "l.db") as led:
        set_paused(led, "a", "prod", paused=True, by="ana", reason="r", ts=TS)
        plan = led.conn.execute("EXPLAIN QUERY PLAN " + pause._QUERY).fetchall()
    assert any("events_kind_ts" in str(row) for row in plan), plan


def test_two_brakes_pulled_at_once_record_one_pause(tmp_path: Path) -> None:
    """Two processes' worth of ledgers (one connection each) pause the same charter at
    the same time: the state is read under the write lock, so exactly one is recorded,
    whichever wins; the chain verifies."""
    import threading

    from agentctl.ledger.verify import verify

    path = tmp_path / "l.db"
    Ledger.open(path).close()
    barrier = threading.Barrier(2)
    seqs: list[int | None] = []

    def brake(who: str) -> None:
        with Ledger.open(path) as led:
            barrier.wait(timeout=30)
            change = set_paused(led, "a", "prod", paused=True, by=who, reason="r", ts=TS)
            seqs.append(change.seq)

    threads = [threading.Thread(target=brake, args=(w,)) for w in ("ana", "bo")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(seqs, key=lambda s: s is None) == [1, None]
    with Ledger.open(path, readonly=True) as led:
        assert led.count() == 1
        assert list(paused_in(led, "prod")) == ["a"]
        assert verify(led).ok


def test_ledger_report_counts_no_pause_as_a_version_of_the_agent(ws: Path, cli: Any) -> None:
    assert cli("run", "triage-agent", "-w", ws, "-i", TICKET).exit_code == 0
    assert cli("pause", "triage-agent", "-w", ws, "--reason", "x", "--by", "ana").exit_code == 0
    assert cli("resume", "triage-agent", "-w", ws, "--reason", "y", "--by", "ana").exit_code == 0
    r = cli("ledger", "report", "-w", ws, "-f", "json")
    (triage,) = [c for c in json.loads(r.stdout)["charters"] if c["charter"] == "triage-agent"]
    assert [v["runs"] for v in triage["versions"]] == [1], "no (unknown) version of 0 runs"


def test_on_a_terminal_pause_asks_before_writing_the_yaml(ws: Path) -> None:
    """A real pseudo-terminal on stdin and stderr: the question is asked, `y` writes the
    line. (Without a terminal nothing is asked: every other test here.)"""
    import os
    import pty
    import select
    import subprocess
    import time

    from support import GIT_ENV, agentctl_bin

    master, slave = pty.openpty()
    args = ["pause", "triage-agent", "-w", str(ws), "--reason", "x", "--by", "ana"]
    proc = subprocess.Popen(
        [agentctl_bin(), *args],
        stdin=slave,
        stderr=slave,
        stdout=subprocess.PIPE,
        env={**os.environ, **GIT_ENV, "NO_COLOR": "1"},
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    try:
        while b"charters/triage-agent.yaml? [y/N]" not in seen:
            assert time.monotonic() < deadline, seen
            ready, _, _ = select.select([master], [], [], 1.0)
            if ready:
                seen += os.read(master, 4096)
        os.write(master, b"y\n")
        out, _ = proc.communicate(timeout=60)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert b"Paused charter/triage-agent in environment default" in seen, "said first"
    assert b"Wrote `paused: true` into charters/triage-agent.yaml:" in out
    assert "  paused: true\n" in (ws / "charters" / "triage-agent.yaml").read_text()
