"""`agentctl run --env ENV` runs exactly what is deployed there: the deployment's commit,
even after the working copy changed; refuses a charter not deployed or paused there, and a
deployment whose version was never committed. Without --env: the working copy, marked as
undeployed in run_start."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import commit_all

from agentctl.deploy.state import Deployment, Desired, applied, record
from agentctl.ledger import Ledger
from agentctl.model.versions import version_of
from agentctl.workspace.loader import load_workspace

TICKET = json.dumps({"ticket_id": "T-1001"})  # "Cannot log in": urgent


@pytest.fixture
def ws(tmp_path: Path, cli: Any) -> Path:
    root = tmp_path / "ws"
    assert cli("init", root).exit_code == 0
    commit_all(root, "init")
    return root


def _ledger(ws: Path) -> Path:
    return ws / ".agentctl" / "ledger.db"


def _deploy(ws: Path, env: str = "default", only: str | None = None) -> Deployment:
    """Record a deployment of the working copy's versions at HEAD (as apply would)."""
    from support import git

    loaded = load_workspace(ws).workspace
    versions = {
        r.ref: version_of(loaded, r, lambda rel: (ws / rel).read_bytes())
        for r in loaded.resources
        if only is None or r.kind != "Charter" or r.ref == only
    }
    head = git(ws, "rev-parse", "HEAD").strip()
    with Ledger.open(_ledger(ws)) as led:
        return record(
            led,
            env,
            Desired(versions, head),
            expected=applied(led, env).position,
            ts="2026-01-02T00:00:00.000000Z",
            by="ana",
        )


def _break_urgency(ws: Path) -> None:
    code = ws / "agents" / "helpdesk.py"
    text = code.read_text()
    assert 'URGENT_WORDS = ("urgent", "cannot log in", "outage", "down")' in text
    code.write_text(text.replace('("urgent", "cannot log in", "outage", "down")', "()"))


def _run_start(cli: Any, ws: Path, trace: str) -> dict[str, Any]:
    r = cli("ledger", "query", "-w", ws, "--kind", "run_start", "--trace", trace, "-f", "json")
    (event,) = [e for e in json.loads(r.stdout)["events"] if e["parent_span_id"] is None]
    return dict(event)


def test_run_env_runs_the_deployed_code_after_the_working_copy_changed(ws: Path, cli: Any) -> None:
    dep = _deploy(ws)
    _break_urgency(ws)  # the working copy changes, uncommitted
    r = cli("run", "triage-agent", "-w", ws, "--env", "default", "-i", TICKET, "-f", "json")
    assert r.exit_code == 0, r.stderr
    deployed = json.loads(r.stdout)
    assert deployed["output"]["priority"] == "urgent", "the deployed code ran"
    start = _run_start(cli, ws, deployed["trace_id"])
    assert start["principal_version"] == dep.resources["charter/triage-agent"].version
    assert start["attrs"]["env"] == "default"
    assert start["attrs"]["deployment"] == dep.id
    assert start["attrs"]["deployed_commit"] == dep.commit
    assert "undeployed" not in start["attrs"]
    # without --env: the working copy, marked undeployed
    r = cli("run", "triage-agent", "-w", ws, "-i", TICKET, "-f", "json")
    assert r.exit_code == 0, r.stderr
    working = json.loads(r.stdout)
    assert working["output"]["priority"] == "normal"
    start = _run_start(cli, ws, working["trace_id"])
    assert start["attrs"]["undeployed"] is True and "deployment" not in start["attrs"]
    assert start["principal_version"] != dep.resources["charter/triage-agent"].version
    # committing the change does not change what is deployed either
    commit_all(ws, "no urgency")
    r = cli("run", "triage-agent", "-w", ws, "--env", "default", "-i", TICKET, "-f", "json")
    assert json.loads(r.stdout)["output"]["priority"] == "urgent"
    assert cli("ledger", "verify", "-w", ws).exit_code == 0


def test_run_env_refuses_what_is_not_deployed_there(ws: Path, cli: Any) -> None:
    r = cli("run", "triage-agent", "-w", ws, "--env", "default", "-i", TICKET)
    assert r.exit_code == 2
    assert "nothing is deployed in environment 'default' (no ledger at" in r.stderr
    _deploy(ws, only="charter/reply-writer")
    r = cli("run", "triage-agent", "-w", ws, "--env", "default", "-i", TICKET)
    assert r.exit_code == 2
    assert "charter/triage-agent is not deployed in environment 'default'" in r.stderr
    assert "deployed there: charter/reply-writer" in r.stderr
    r = cli("run", "triage-agent", "-w", ws, "--env", "prod", "-i", TICKET)
    assert r.exit_code == 2 and "nothing is deployed in environment 'prod'" in r.stderr
    r = cli("run", "triage-agent", "-w", ws, "--env", "default", "--rev", "HEAD", "-i", TICKET)
    assert r.exit_code == 2 and "--rev cannot be given with it" in r.stderr


def test_run_env_refuses_a_charter_paused_there(ws: Path, cli: Any) -> None:
    _deploy(ws)
    r = cli("pause", "triage-agent", "-w", ws, "--reason", "incident 7", "--by", "bo")
    assert r.exit_code == 0, r.stderr
    r = cli("run", "triage-agent", "-w", ws, "--env", "default", "-i", TICKET, "-f", "json")
    assert r.exit_code == 1
    assert "is paused in environment default by bo" in json.loads(r.stdout)["error"]


def test_a_deployment_of_uncommitted_changes_cannot_run_as_deployed(ws: Path, cli: Any) -> None:
    _break_urgency(ws)
    _deploy(ws)  # versions of the dirty working copy, commit HEAD (which lacks the change)
    r = cli("run", "triage-agent", "-w", ws, "--env", "default", "-i", TICKET)
    assert r.exit_code == 2
    assert "that deployment included changes that were never committed" in r.stderr
    q = cli("ledger", "query", "-w", ws, "--kind", "run_start", "-f", "json")
    assert json.loads(q.stdout)["events"] == [], "nothing was recorded"
