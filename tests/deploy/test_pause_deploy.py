"""The brake and deployments together: a fix to a paused charter passes its gates and
deploys while the pause holds (gates judge a version, they do not run it in the
environment), and `pause --write` committed deploys without waiting on gates its paused
version could never pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import commit_all, git

TICKET = json.dumps({"ticket_id": "T-1001"})
SAM = ("--by", "sam@example.com")


@pytest.fixture
def ws(tmp_path: Path, cli: Any) -> Path:
    root = tmp_path / "ws"
    assert cli("init", root).exit_code == 0
    git(root, "config", "user.email", "dana@example.com")
    (root / ".gitignore").write_text((root / ".gitignore").read_text() + "plan.json\n")
    commit_all(root, "init")
    _deploy(cli, root)
    return root


def _deploy(cli: Any, ws: Path) -> dict[str, Any]:
    w = ("-w", ws)
    assert cli("plan", *w, "-o", ws / "plan.json").exit_code == 0
    r = cli("apply", ws / "plan.json", *w, "--auto-approve", "-f", "json")
    if r.exit_code == 1 and "approval(s) missing" in r.stderr:
        role = ("--as", "role/head-of-support")
        assert cli("approve", ws / "plan.json", *w, *role, *SAM).exit_code == 0
        r = cli("apply", ws / "plan.json", *w, "--auto-approve", "-f", "json")
    assert r.exit_code == 0, r.stderr
    return dict(json.loads(r.stdout))


def test_a_fix_deploys_while_the_charter_is_paused_and_stays_paused(ws: Path, cli: Any) -> None:
    assert cli("pause", "triage-agent", "-w", ws, "--reason", "bug 9", *SAM).exit_code == 0
    code = ws / "agents" / "helpdesk.py"
    code.write_text(code.read_text() + "\n# the fix for bug 9\n")
    commit_all(ws, "fix bug 9")
    out = _deploy(cli, ws)
    gates = {g["name"]: g["passed"] for g in out["gates"]}
    assert gates["evalsuite/triage-core"] is True, "the suite ran the paused charter's fix"
    r = cli("run", "triage-agent", "-w", ws, "--env", "default", "-i", TICKET, "-f", "json")
    assert r.exit_code == 1 and "is paused in environment default" in json.loads(r.stdout)["error"]
    # a user's own eval still honours the pause (it is a run, in the default environment)
    assert cli("eval", "-w", ws).exit_code == 1


def test_pause_written_and_committed_deploys_without_suite_gates(ws: Path, cli: Any) -> None:
    r = cli("pause", "triage-agent", "-w", ws, "--reason", "bug 9", *SAM, "--write")
    assert r.exit_code == 0, r.stderr
    commit_all(ws, "pause triage-agent")
    plan = json.loads(cli("plan", "-w", ws, "-f", "json").stdout)
    (change,) = plan["changes"]
    assert change["ref"] == "charter/triage-agent" and change["gates"] == ["lint"]
    out = _deploy(cli, ws)
    assert [g["name"] for g in out["gates"]] == ["lint"]
    # resumed in the ledger, the deployed version still says paused: the guard refuses
    assert cli("resume", "triage-agent", "-w", ws, "--reason", "r", *SAM).exit_code == 0
    r = cli("run", "triage-agent", "-w", ws, "--env", "default", "-i", TICKET, "-f", "json")
    assert r.exit_code == 1
    assert json.loads(r.stdout)["error"] == "charter/triage-agent is paused: runs are refused"
