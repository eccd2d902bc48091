"""`agentctl run --rev`: the YAML, the fixtures AND the code (agents, python connector
callables, python_path folders outside the workspace, command runtimes) as committed, in a
real two-commit git repository with a third, uncommitted version in the working tree."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from rt_helpers import Ws, charter, ws_fixture  # noqa: F401 - ws_fixture
from support import agentctl_bin, commit_all, git

NOW = "2026-11-25T10:00:00Z"

CONNECTOR = """\
apiVersion: agentctl/v1
kind: Connector
metadata: {name: vt, owner: role/ops}
spec:
  transport: {python: "rt_vtools:tools"}
  operations:
    read: {scope: vt.read}
"""

AGENT = """\
import rt_shared

VERSION = {v}


def version(task, ctx):
    return {{"agent": VERSION, "helper": rt_shared.VERSION, "tool": ctx.call("vt.read")["v"]}}
"""

COMMAND = """\
import json, sys
sys.stdin.readline()
print(json.dumps({{"type": "output", "output": {{"command": {v}}}}}), flush=True)
"""


def write_version(ws: Ws, v: int) -> None:
    ws.lib("rt_vagent.py", AGENT.format(v=v))
    ws.lib(
        "rt_vtools.py", f"VERSION = {v}\n\ndef tools(op, payload):\n    return {{'v': VERSION}}\n"
    )
    shared = ws.root.parent / "shared"
    shared.mkdir(exist_ok=True)
    (shared / "rt_shared.py").write_text(f"VERSION = {v}\n")
    (ws.root / "agent.py").write_text(COMMAND.format(v=v))


def two_commits(ws: Ws) -> tuple[str, str]:
    """The repository is the workspace's parent (the workspace is a subfolder) and
    python_path reaches outside the workspace (../shared)."""
    repo = ws.root.parent
    git(repo, "init", "-q", "-b", "main")
    (repo / ".gitignore").write_text("ledger.db*\ncalls/\n")
    ws.add(
        CONNECTOR,
        charter("ver", runtime='python: "rt_vagent:version"', tools="[vt.read]"),
        charter("cmd", runtime=f'command: ["{sys.executable}", "agent.py"]'),
    )
    settings = ws.root / "agentctl.yaml"
    settings.write_text(settings.read_text().replace("[lib]", "[lib, ../shared]"))
    write_version(ws, 1)
    first = commit_all(repo, "v1")
    write_version(ws, 2)
    second = commit_all(repo, "v2")
    write_version(ws, 3)  # uncommitted
    return first, second


def run(cli: Any, ws: Ws, charter_name: str, *args: str) -> Any:
    r = cli("run", charter_name, "-w", ws.root, "--ledger", ws.ledger_path, "--now", NOW, *args)
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def test_rev_runs_the_code_as_committed(cli: Any, ws: Ws) -> None:
    first, second = two_commits(ws)
    # the working tree's modules are imported first: --rev must not reuse them
    assert run(cli, ws, "ver") == {"agent": 3, "helper": 3, "tool": 3}
    assert run(cli, ws, "ver", "--rev", "HEAD~1") == {"agent": 1, "helper": 1, "tool": 1}
    assert run(cli, ws, "ver", "--rev", second) == {"agent": 2, "helper": 2, "tool": 2}
    # and the working tree's modules are back afterwards
    assert run(cli, ws, "ver") == {"agent": 3, "helper": 3, "tool": 3}
    assert run(cli, ws, "cmd", "--rev", first) == {"command": 1}
    assert run(cli, ws, "cmd") == {"command": 3}
    commits = [e["git_commit"] for e in ws.events("run_start")]
    assert commits == [second, first, second, second, first, second]
    assert ws.verify().ok


def test_rev_in_a_subprocess(ws: Ws) -> None:
    first, _ = two_commits(ws)
    proc = subprocess.run(
        [agentctl_bin(), "run", "ver", "-w", ws.root, "--ledger", ws.ledger_path, "--rev", first],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"agent": 1, "helper": 1, "tool": 1}


def test_rev_where_the_charter_did_not_exist_yet(cli: Any, ws: Ws) -> None:
    first, _ = two_commits(ws)
    ws.add(charter("later", runtime='python: "rt_vagent:version"', tools="[vt.read]"))
    commit_all(ws.root.parent, "v3")
    r = cli("run", "later", "-w", ws.root, "--ledger", ws.ledger_path, "--rev", first)
    assert r.exit_code == 2
    assert "unknown charter 'later'" in r.stderr


def test_python_path_outside_the_repository_is_refused(cli: Any, ws: Ws) -> None:
    two_commits(ws)
    settings = ws.root / "agentctl.yaml"
    settings.write_text(settings.read_text().replace("../shared]", "../shared, ../../..]"))
    commit_all(ws.root.parent, "reach out")
    r = cli("run", "ver", "-w", ws.root, "--ledger", ws.ledger_path, "--rev", "HEAD")
    assert r.exit_code == 2
    assert "python_path entry '../../..' is outside the git repository" in r.stderr
    assert ws.events() == []  # refused before anything ran
