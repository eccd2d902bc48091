"""The installed `agentctl`, end to end in a real git repository: after a real apply,
`run --env` runs the deployed code while the working copy changes, `rollback` makes it run
the older commit, `pause` stops the next run at once, `status` shows the drift and the
pause, and the ledger verifies throughout. (The in-process tests beside it cover each
command's cases; this is the one subprocess path.)"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from support import GIT_ENV, agentctl_bin, commit_all, git

TICKET = json.dumps({"ticket_id": "T-1001"})  # "Cannot log in": urgent


def _agentctl(
    cwd: Path, *args: str, ok: tuple[int, ...] = (0,)
) -> subprocess.CompletedProcess[str]:
    p = subprocess.run(
        [agentctl_bin(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV, "NO_COLOR": "1"},
    )
    assert p.returncode in ok, (args, p.returncode, p.stdout, p.stderr)
    return p


def _deploy(ws: Path) -> None:
    """plan, apply; when apply asks for an approval, Sam (head of support) gives it."""
    _agentctl(ws, "plan", "-o", "plan.json")
    first = _agentctl(ws, "apply", "plan.json", "--auto-approve", ok=(0, 1))
    if first.returncode == 1:
        assert "approval(s) missing, nothing was deployed" in first.stderr
        by = ("--by", "sam@example.com")
        _agentctl(ws, "approve", "plan.json", "--as", "role/head-of-support", *by)
        _agentctl(ws, "apply", "plan.json", "--auto-approve")
    _agentctl(ws, "ledger", "verify")


def _release(ws: Path, name: str) -> None:
    """The triage agent's output names its release (the eval cases still pass)."""
    code = ws / "agents" / "helpdesk.py"
    text = re.sub(r', "release": "\w+"', "", code.read_text())
    end = '"priority": priority, "status": status}'
    assert end in text
    code.write_text(text.replace(end, end[:-1] + f', "release": "{name}"}}'))


def _output(ws: Path) -> dict[str, object]:
    run = _run_env(ws)
    assert run["status"] == "ok", run
    return dict(run["output"])  # type: ignore[call-overload]


def _run_env(ws: Path) -> dict[str, object]:
    p = _agentctl(
        ws, "run", "triage-agent", "--env", "default", "-i", TICKET, "-f", "json", ok=(0, 1)
    )
    return dict(json.loads(p.stdout))


def test_deploy_run_env_rollback_pause_status(tmp_path: Path) -> None:
    _agentctl(tmp_path, "init", "ws")
    ws = tmp_path / "ws"
    git(ws, "config", "user.email", "dana@example.com")
    (ws / ".gitignore").write_text((ws / ".gitignore").read_text() + "plan.json\n")
    commit_all(ws, "init")
    _deploy(ws)
    _release(ws, "two")
    commit_all(ws, "triage says its release")
    _deploy(ws)
    assert _output(ws)["release"] == "two"
    _release(ws, "three")  # the working copy changes, uncommitted: not what runs
    assert _output(ws)["release"] == "two"
    # rollback: the first version, so its commit's code runs
    _agentctl(ws, "rollback", "charter/triage-agent", "--auto-approve")
    assert "release" not in _output(ws)
    # the brake: at once, in the ledger
    _agentctl(ws, "pause", "triage-agent", "--reason", "incident 7", "--by", "sam@example.com")
    refused = _run_env(ws)
    assert refused["status"] == "denied"
    assert "paused in environment default by sam@example.com" in str(refused["error"])
    status = json.loads(_agentctl(ws, "status", "-f", "json").stdout)
    (env,) = status["environments"]
    assert {d["ref"] for d in env["drift"]} == {"charter/triage-agent", "charter/reply-writer"}
    assert [p["charter"] for p in status["paused"]] == ["triage-agent"]
    _agentctl(ws, "ledger", "verify")
