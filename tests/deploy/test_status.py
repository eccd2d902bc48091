"""`agentctl status`: deployments and drift, pauses, expiring credentials, reviews due, and
grants unused in the window with the `tools:` entry to remove (file:line:col)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from agentctl.deploy.state import Desired, Position, record
from agentctl.ledger import Ledger
from agentctl.model.versions import version_of
from agentctl.workspace.loader import load_workspace

TICKET = json.dumps({"ticket_id": "T-1001"})
# init dates the credential and contract from today: the runs happen in their validity
_TODAY = dt.date.today()
RUN_AT = f"{_TODAY + dt.timedelta(days=1)}T09:00:00Z"
LATER = f"{_TODAY + dt.timedelta(days=10)}T09:00:00Z"


@pytest.fixture
def ws(tmp_path: Path, cli: Any) -> Path:
    root = tmp_path / "ws"
    assert cli("init", root).exit_code == 0
    return root


def _plant(ws: Path, grant: str) -> tuple[int, int]:
    """Add `grant` to triage-agent's tools; its (line, column), 1-based."""
    path = ws / "charters" / "triage-agent.yaml"
    text = path.read_text()
    old = "tools: [helpdesk.read, helpdesk.write]"
    assert old in text
    text = text.replace(old, f"tools: [helpdesk.read, helpdesk.write, {grant}]")
    path.write_text(text)
    for n, line in enumerate(text.splitlines(), 1):
        if grant in line and "tools:" in line:
            return n, line.index(grant) + 1
    raise AssertionError("not planted")


def test_status_lists_a_planted_unused_grant_with_its_line(ws: Path, cli: Any) -> None:
    line, col = _plant(ws, "helpdesk.delete_ticket")
    r = cli("run", "triage-agent", "-w", ws, "-i", TICKET, "--now", RUN_AT)
    assert r.exit_code == 0, r.stderr
    r = cli("status", "-w", ws, "--now", LATER, "-f", "json")
    assert r.exit_code == 0, r.stderr
    unused = json.loads(r.stdout)["unused_grants"]
    assert unused["window"] == "30d"
    (triage,) = [c for c in unused["charters"] if c["charter"] == "triage-agent"]
    assert triage["runs"] == 1
    assert triage["grants"] == [
        {
            "grant": "helpdesk.delete_ticket",
            "where": f"charters/triage-agent.yaml:{line}:{col}",
            "operations": ["helpdesk.delete_ticket"],
            "unused": ["helpdesk.delete_ticket"],
            "remove": True,
        }
    ], "the grants it used (read, write) are not listed"
    text = cli("status", "-w", ws, "--now", LATER).stdout
    assert (
        "  charter/triage-agent (1 run)\n"
        f"    remove helpdesk.delete_ticket  charters/triage-agent.yaml:{line}:{col}\n"
        "      never called: helpdesk.delete_ticket\n"
    ) in text


def test_a_grant_used_outside_the_window_is_unused(ws: Path, cli: Any) -> None:
    assert cli("run", "triage-agent", "-w", ws, "-i", TICKET, "--now", RUN_AT).exit_code == 0
    r = cli("status", "-w", ws, "--now", LATER, "--unused-for", "2d", "-f", "json")
    grants = {
        g["grant"]
        for c in json.loads(r.stdout)["unused_grants"]["charters"]
        if c["charter"] == "triage-agent"
        for g in c["grants"]
    }
    assert grants == {"helpdesk.read", "helpdesk.write"}


def test_status_shows_deployed_versions_and_drift(ws: Path, cli: Any) -> None:
    loaded = load_workspace(ws).workspace
    versions = {
        r.ref: version_of(loaded, r, lambda rel: (ws / rel).read_bytes()) for r in loaded.resources
    }
    with Ledger.open(ws / ".agentctl" / "ledger.db") as led:
        dep = record(
            led,
            "default",
            Desired(versions, "c" * 40),
            expected=Position(),
            ts="2026-06-01T08:00:00.000000Z",
            by="ana",
        )
    r = cli("status", "-w", ws, "--now", LATER, "-f", "json")
    (env,) = json.loads(r.stdout)["environments"]
    assert env["deployment"]["id"] == dep.id and env["drift"] == []
    assert env["resources"]["charter/triage-agent"]["version"] == versions["charter/triage-agent"]
    # the agent's code changes: its charter's version does, so it drifts
    code = ws / "agents" / "helpdesk.py"
    code.write_text(code.read_text() + "\n# edited\n")
    r = cli("status", "-w", ws, "--now", LATER)
    assert (
        f"  default: {dep.id}, 9 resources\n"
        "    applied 2026-06-01T08:00:00.000000Z by ana from commit ccccccc\n"
    ) in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    drifted = [ln.split() for ln in r.stdout.splitlines() if ln.startswith("    modified")]
    assert drifted == [["modified", "charter/reply-writer"], ["modified", "charter/triage-agent"]]


def test_status_pauses_credentials_and_reviews(ws: Path, cli: Any) -> None:
    r = cli("pause", "reply-writer", "-w", ws, "--reason", "bad tone", "--by", "ana")
    assert r.exit_code == 0, r.stderr
    today = dt.date.today()
    near = today + dt.timedelta(days=85)  # init: credential 90d, review in 90d
    r = cli("status", "-w", ws, "--now", f"{near.isoformat()}T12:00:00Z", "-f", "json")
    data = json.loads(r.stdout)
    assert [(p["charter"], p["by"], p["reason"]) for p in data["paused"]] == [
        ("reply-writer", "ana", "bad tone")
    ]
    assert {c["charter"]: c["days"] for c in data["credentials_expiring"]} == {
        "reply-writer": 5,
        "triage-agent": 5,
    }
    assert {c["charter"] for c in data["reviews_due"]} == {"reply-writer", "triage-agent"}
    where = {c["charter"]: c["where"] for c in data["reviews_due"]}
    text = (ws / "charters" / "triage-agent.yaml").read_text().splitlines()
    line = next(n for n, ln in enumerate(text, 1) if ln.startswith("  review_by:"))
    assert where["triage-agent"] == f"charters/triage-agent.yaml:{line}:14"


def test_status_without_a_ledger_and_usage_errors(ws: Path, cli: Any) -> None:
    r = cli("status", "-w", ws)
    assert r.exit_code == 0, r.stderr
    assert "  default: nothing deployed yet" in r.stdout
    assert not (ws / ".agentctl" / "ledger.db").exists(), "status never creates a ledger"
    r = cli("status", "-w", ws, "--unused-for", "soon")
    assert r.exit_code == 2 and "--unused-for 'soon' is not a duration" in r.stderr
    r = cli("status", "-w", ws, "--env", "prod")
    assert r.exit_code == 2 and "no environment 'prod'" in r.stderr


def test_the_core_tells_remove_from_narrow(ws: Path) -> None:
    """Pure: a grant none of whose operations was called is `remove`; one whose operations
    were partly called is `narrow`, naming the uncalled; a fully used one is not listed."""
    from agentctl.deploy.status import Evidence, build

    line, col = _plant(ws, "helpdesk.*")
    loaded = load_workspace(ws).workspace
    called = frozenset({"helpdesk.get_ticket", "helpdesk.reply_to_ticket"})
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    report = build(
        loaded,
        {},
        [],
        [],
        Evidence({"triage-agent": called}, {"triage-agent": 4}, "2026-01-01T00:00:00.000000Z"),
        now=now,
        today=now.date(),
        window=dt.timedelta(days=30),
    )
    (triage,) = [u for u in report.unused if u.charter == "triage-agent"]
    assert [(g.grant, g.where, g.unused, g.removable) for g in triage.grants] == [
        (
            "helpdesk.*",
            f"charters/triage-agent.yaml:{line}:{col}",
            ("helpdesk.delete_ticket",),
            False,
        )
    ]
    assert not report.evidence_short
    (writer,) = [u for u in report.unused if u.charter == "reply-writer"]
    assert writer.runs == 0 and [g.removable for g in writer.grants] == [True]


def test_status_names_a_charter_paused_in_its_yaml(ws: Path, cli: Any) -> None:
    assert (
        cli("pause", "triage-agent", "-w", ws, "--reason", "r", "--by", "a", "--write").exit_code
        == 0
    )
    assert cli("resume", "triage-agent", "-w", ws, "--reason", "r", "--by", "a").exit_code == 0
    text = (ws / "charters" / "triage-agent.yaml").read_text().splitlines()
    line = text.index("  paused: true") + 1
    r = cli("status", "-w", ws, "-f", "json")
    data = json.loads(r.stdout)
    assert data["paused"] == [], "resumed in the ledger"
    where = f"charters/triage-agent.yaml:{line}:11"
    assert data["paused_in_yaml"] == [{"charter": "triage-agent", "where": where}]
    text_out = cli("status", "-w", ws).stdout
    assert f"  charter/triage-agent  spec.paused: true  {where}\n" in text_out
