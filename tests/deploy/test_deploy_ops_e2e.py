"""End to end in a real git repository: after real plan/approve/apply, `run --env` runs
the deployed code while the working copy changes, `rollback` makes it run the older
commit, `pause` stops the next run at once, `status` shows the drift and the pause, and
the ledger verifies throughout (in-process, the CLI as users call it); then the same brake
through the installed `agentctl` in subprocesses."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from support import GIT_ENV, agentctl_bin, commit_all, git

TICKET = json.dumps({"ticket_id": "T-1001"})
SAM = ("--by", "sam@example.com")


def _deploy(cli: Any, ws: Path) -> None:
    """plan, apply; when apply asks for an approval, Sam (head of support) gives it."""
    w = ("-w", ws)
    assert cli("plan", *w, "-o", ws / "plan.json").exit_code == 0
    first = cli("apply", ws / "plan.json", *w, "--auto-approve")
    if first.exit_code == 1:
        assert "approval(s) missing, nothing was deployed" in first.stderr
        role = ("--as", "role/head-of-support")
        assert cli("approve", ws / "plan.json", *w, *role, *SAM).exit_code == 0
        first = cli("apply", ws / "plan.json", *w, "--auto-approve")
    assert first.exit_code == 0, first.stderr
    assert cli("ledger", "verify", *w).exit_code == 0


def _release(ws: Path, name: str) -> None:
    """The triage agent's output names its release (the eval cases still pass)."""
    code = ws / "agents" / "helpdesk.py"
    text = re.sub(r', "release": "\w+"', "", code.read_text())
    end = '"priority": priority, "status": status}'
    assert end in text
    code.write_text(text.replace(end, end[:-1] + f', "release": "{name}"}}'))


def _run_env(cli: Any, ws: Path) -> dict[str, Any]:
    r = cli("run", "triage-agent", "-w", ws, "--env", "default", "-i", TICKET, "-f", "json")
    assert r.exit_code in (0, 1), r.stderr
    return dict(json.loads(r.stdout))


def _output(cli: Any, ws: Path) -> dict[str, Any]:
    run = _run_env(cli, ws)
    assert run["status"] == "ok", run
    return dict(run["output"])


def _workspace(cli: Any, tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    assert cli("init", ws).exit_code == 0
    git(ws, "config", "user.email", "dana@example.com")
    (ws / ".gitignore").write_text((ws / ".gitignore").read_text() + "plan.json\n")
    commit_all(ws, "init")
    return ws


def test_deploy_run_env_rollback_pause_status(tmp_path: Path, cli: Any) -> None:
    ws = _workspace(cli, tmp_path)
    _deploy(cli, ws)
    _release(ws, "two")
    commit_all(ws, "triage says its release")
    _deploy(cli, ws)
    assert _output(cli, ws)["release"] == "two"
    _release(ws, "three")  # the working copy changes, uncommitted: not what runs
    assert _output(cli, ws)["release"] == "two"
    # rollback: the first version, so its commit's code runs
    assert cli("rollback", "charter/triage-agent", "-w", ws, "--auto-approve").exit_code == 0
    assert "release" not in _output(cli, ws)
    # the brake: at once, in the ledger
    assert cli("pause", "triage-agent", "-w", ws, "--reason", "incident 7", *SAM).exit_code == 0
    refused = _run_env(cli, ws)
    assert refused["status"] == "denied"
    assert "paused in environment default by sam@example.com" in str(refused["error"])
    status = json.loads(cli("status", "-w", ws, "-f", "json").stdout)
    (env,) = status["environments"]
    assert {d["ref"] for d in env["drift"]} == {"charter/triage-agent", "charter/reply-writer"}
    assert [p["charter"] for p in status["paused"]] == ["triage-agent"]
    assert cli("ledger", "verify", "-w", ws).exit_code == 0


def _agentctl(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [agentctl_bin(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV, "NO_COLOR": "1"},
    )


def test_the_installed_agentctl_pauses_refuses_reports_and_resumes(
    tmp_path: Path, cli: Any
) -> None:
    ws = _workspace(cli, tmp_path)
    p = _agentctl(ws, "pause", "triage-agent", "--reason", "incident 7", *SAM)
    assert p.returncode == 0 and p.stdout.startswith("Paused charter/triage-agent"), p.stderr
    p = _agentctl(ws, "run", "triage-agent", "-i", TICKET)
    assert p.returncode == 1
    assert "charter/triage-agent is paused in environment default by" in p.stderr
    p = _agentctl(ws, "status")
    assert p.returncode == 0
    assert "  charter/triage-agent in default since " in p.stdout
    assert "    by sam@example.com: incident 7\n" in p.stdout
    p = _agentctl(ws, "resume", "triage-agent", "--reason", "fixed", *SAM)
    assert p.returncode == 0 and p.stdout.startswith("Resumed charter/triage-agent"), p.stderr
    assert _agentctl(ws, "run", "triage-agent", "-i", TICKET).returncode == 0
