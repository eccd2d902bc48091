"""A `command` agent runs confined (issue 8, items 3 and 8): a folder and an environment of
its own without the ledger's path, its own process group killed at the end of the run on
every way out, bubblewrap where it works (the ledger's folder out of reach), a wall-time
watchdog and a cap on protocol lines. Timing is never asserted: limits of 1 s against
agents that would run 600 s, and "gone" is polled with a generous bound."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rt_helpers import Ws, charter, ws_fixture  # noqa: F401 - ws_fixture
from sandbox_helpers import (
    HAS_BWRAP,
    HOSTILE,
    MODES,
    NO_BWRAP,
    gone,
    needs_bwrap,
    procs_with,
    token,
    wait_until,
)

from agentctl.runtime.sandbox import ENV_ALLOW

AGENTCTL = str(Path(sys.executable).parent / "agentctl")


def hostile(ws: Ws, mode: str, tok: str, **spec: str) -> None:
    (ws.root / "hostile.py").write_text(HOSTILE)
    cmd = f'command: ["{sys.executable}", "hostile.py", "{tok}", "{mode}"]'
    ws.add(charter("h", runtime=cmd, tools="[sys.read]", **spec))


def attrs(event: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(event["attrs"])
    return out


@pytest.mark.parametrize("environ", MODES)
def test_children_are_killed_when_the_run_ends(ws: Ws, environ: dict[str, str]) -> None:
    tok = token()
    hostile(ws, "output", tok)
    res = ws.run("h", {}, environ=environ)
    assert res.status == "ok", res.error
    assert gone(tok), procs_with(tok)


@pytest.mark.parametrize("environ", MODES)
@pytest.mark.parametrize("mode", ["sleep", "logs", "flood", "partial"])
def test_wall_time_stops_a_command_agent(ws: Ws, environ: dict[str, str], mode: str) -> None:
    """Silent, chatty on log lines (or flooding them), or writing a line that never ends:
    stopped at 1 s."""
    tok = token()
    hostile(ws, mode, tok, budget="{per_run: {wall_time: 1s}}")
    res = ws.run("h", {}, environ=environ)
    assert res.status == "stopped"
    assert res.error == "charter/h ran past its wall time of 1s: stopped"
    (denial,) = ws.events("denial")
    assert denial["status"] == "stopped" and denial["operation"] == "charter/h"
    assert attrs(denial)["limit"] == "wall_time"
    assert attrs(denial)["reason"] == res.error
    assert ws.events("run_end")[0]["status"] == "stopped"
    assert gone(tok), procs_with(tok)
    assert ws.verify().ok


@pytest.mark.parametrize("environ", MODES)
def test_protocol_line_is_capped(ws: Ws, environ: dict[str, str]) -> None:
    """3 MiB without a newline against the default 1 MiB cap: stopped, not buffered."""
    tok = token()
    hostile(ws, "huge", tok)
    res = ws.run("h", {}, environ=environ)
    assert res.status == "stopped"
    assert res.error == "charter/h command wrote a line longer than 1048576 bytes"
    (denial,) = ws.events("denial")
    assert attrs(denial)["rule"] == "line-length"
    assert gone(tok), procs_with(tok)


def test_line_cap_is_configurable(ws: Ws) -> None:
    script = 'read -r s; echo \'{"type": "output", "output": {"pad": "' + "x" * 200 + "\"}}'"
    rt = f"command: [/bin/sh, -c, {json.dumps(script)}], max_line_bytes: 100"
    ws.add(charter("small", runtime=rt), charter("big", runtime=rt.replace("100", "1000")))
    small = ws.run("small", {})
    assert small.status == "stopped"
    assert small.error == "charter/small command wrote a line longer than 100 bytes"
    assert ws.run("big", {}).status == "ok"


@pytest.mark.parametrize("environ", MODES)
def test_own_folder_and_environment(ws: Ws, environ: dict[str, str]) -> None:
    tok = token()
    hostile(ws, "probe", tok)
    parent = {
        **environ,
        "PATH": os.environ["PATH"],
        "LANG": "C.UTF-8",
        "AGENTCTL_LEDGER": str(ws.ledger_path),
        "SOME_TOKEN": "s3cret",
    }
    payload = {"ledger": str(ws.ledger_path), "root": str(ws.root)}
    res = ws.run("h", payload, environ=parent)
    assert res.status == "ok", res.error
    report = res.output
    cwd = Path(report["cwd"])
    assert ws.root not in [cwd, *cwd.parents] and ws.ledger_path.parent != cwd
    assert not cwd.exists()  # removed at the end of the run
    env = report["env"]
    own = {"AGENTCTL_CHARTER", "AGENTCTL_TRACE_ID", "HOME", "TMPDIR"}
    assert set(env) <= set(ENV_ALLOW) | own | {"PWD", "SHLVL", "_", "LC_CTYPE"}
    assert env["AGENTCTL_CHARTER"] == "h" and env["HOME"] == str(cwd)
    assert not any(str(ws.ledger_path) in v or "s3cret" in v for v in env.values())
    assert gone(tok)


def test_charter_env_is_passed(ws: Ws) -> None:
    script = (
        'read -r s; echo "{\\"type\\": \\"output\\", \\"output\\": {\\"v\\": \\"$MY_SETTING\\"}}"'
    )
    rt = f"command: [/bin/sh, -c, {json.dumps(script)}], env: {{MY_SETTING: forty-two}}"
    ws.add(charter("c", runtime=rt))
    res = ws.run("c", {}, environ={"MY_SETTING": "from-parent"})
    assert res.output == {"v": "forty-two"}


@needs_bwrap
@pytest.mark.parametrize("layout", ["beside", "inside"])
def test_sandboxed_agent_cannot_reach_the_ledger(ws: Ws, layout: str) -> None:
    """The attack of issue 8: plant a trigger that drops our events. In bwrap the ledger
    is out of reach and the workspace read-only. `inside`: the default spec.ledger
    (.agentctl/ in the workspace), its folder replaced by an empty read-only one;
    `beside`: a folder that also holds the workspace, the ledger's files hidden."""
    if layout == "inside":
        ws = Ws(ws.root, ws.root / ".agentctl" / "ledger.db", ws.docs)
    tok = token()
    hostile(ws, "probe", tok)
    ws.run("h", {"ledger": str(ws.ledger_path)})  # the ledger file exists
    payload = {"ledger": str(ws.ledger_path), "root": str(ws.root), "attack": True}
    res = ws.run("h", payload)
    assert res.status == "ok", res.error
    out = res.output
    assert out["read"] in ("empty", "FileNotFoundError", "PermissionError"), out
    assert out["write"] in ("OSError", "PermissionError", "FileNotFoundError"), out
    assert out["plant"] == "OperationalError", out
    assert out["workspace"] == "OSError", out
    if layout == "inside":
        assert out["read"] == "FileNotFoundError" and out["ledger_dir"] == "OSError", out
    # (beside: the folder is the sandbox's private /tmp there; nothing reaches ours)
    assert not (ws.root / "planted").exists()
    assert not (ws.ledger_path.parent / "planted").exists()
    con = sqlite3.connect(ws.ledger_path)
    triggers = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'")]
    con.close()
    assert "t" not in triggers
    assert [e["kind"] for e in ws.events()] == ["run_start", "run_end"] * 2
    start = attrs(ws.events("run_start")[-1])
    assert start["sandbox"] == "bwrap" and start["isolation"] == "process"
    assert ws.verify().ok


@needs_bwrap
def test_sandbox_kills_a_grandchild_that_left_the_group(ws: Ws) -> None:
    """setsid() leaves the process group; bwrap's pid namespace still ends it."""
    tok = token()
    # the token is $0 of the shell that sleeps
    script = (
        f"setsid sh -c 'sleep 600' {tok} </dev/null >/dev/null 2>&1 & read -r s; "
        'echo \'{"type": "output", "output": {}}\''
    )
    ws.add(charter("s", runtime=f"command: [/bin/sh, -c, {json.dumps(script)}]"))
    assert ws.run("s", {}).status == "ok"
    assert gone(tok), procs_with(tok)


def test_run_start_records_the_sandbox(ws: Ws) -> None:
    tok = token()
    hostile(ws, "output", tok)
    ws.run("h", {}, environ=NO_BWRAP)
    start = attrs(ws.events("run_start")[0])
    assert start["sandbox"] == "none" and start["isolation"] == "process"
    assert start["sandbox_reason"] == "bubblewrap not found at /nonexistent/bwrap"
    ws.run("h", {})
    start = attrs(ws.events("run_start")[-1])
    assert start["sandbox"] == ("bwrap" if HAS_BWRAP else "none")


def test_a_bwrap_that_does_not_work_counts_as_absent(ws: Ws, tmp_path: Path) -> None:
    """Where user namespaces are off, bwrap exists but fails: the trial run finds out."""
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    tok = token()
    hostile(ws, "output", tok)
    res = ws.run("h", {}, environ={"AGENTCTL_BWRAP": str(fake)})
    assert res.status == "ok"
    start = attrs(ws.events("run_start")[0])
    assert start["sandbox"] == "none"
    assert start["sandbox_reason"] == (
        "bubblewrap does not work here: bwrap: No permissions to create new namespace"
    )


@pytest.mark.parametrize("where", ["charter", "workspace"])
def test_required_sandbox_refuses_without_bwrap(ws: Ws, where: str) -> None:
    tok = token()
    (ws.root / "hostile.py").write_text(HOSTILE)
    rt = f'command: ["{sys.executable}", "hostile.py", "{tok}", "output"]'
    if where == "charter":
        rt += ", sandbox: required"
    ws.add(charter("h", runtime=rt))
    if where == "workspace":
        conf = ws.root / "agentctl.yaml"
        conf.write_text(conf.read_text() + "  sandbox: required\n")
    res = ws.run("h", {}, environ=NO_BWRAP)
    assert res.status == "denied"
    assert res.error == (
        "charter/h must run in a sandbox, and there is none here: "
        "bubblewrap not found at /nonexistent/bwrap"
    )
    (denial,) = ws.events("denial")
    assert attrs(denial)["rule"] == "sandbox-required"
    assert not procs_with(tok)  # never started
    if HAS_BWRAP:
        assert ws.run("h", {}).status == "ok"


@pytest.mark.parametrize("environ", MODES)
def test_ctrl_c_kills_the_agent_and_its_children(ws: Ws, environ: dict[str, str]) -> None:
    tok = token()
    hostile(ws, "sleep", tok)
    argv = [AGENTCTL, "run", "h", "-w", str(ws.root), "--ledger", str(ws.ledger_path)]
    proc = subprocess.Popen(
        argv,
        env={**os.environ, **environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_until(lambda: len(procs_with(tok)) >= 2), "the agent never started"
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert gone(tok), procs_with(tok)
    assert ws.events("run_end")[0]["status"] == "stopped"


def test_cli_exit_1_when_the_watchdog_stops(ws: Ws) -> None:
    tok = token()
    hostile(ws, "sleep", tok, budget="{per_run: {wall_time: 1s}}")
    argv = [AGENTCTL, "run", "h", "-w", str(ws.root), "--ledger", str(ws.ledger_path)]
    argv += ["--format", "json"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=os.environ)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["status"] == "stopped"
    assert doc["error"] == "charter/h ran past its wall time of 1s: stopped"
    assert gone(tok)


def test_relative_paths_of_the_command_resolve_in_the_code_root(ws: Ws) -> None:
    """The agent does not start in the workspace root, yet `./bin/agent` and `agent.py`
    name the workspace's files, as they did."""
    (ws.root / "bin").mkdir()
    agent = ws.root / "bin" / "agent"
    agent.write_text(
        '#!/bin/sh\nread -r s\necho \'{"type": "output", "output": {"at": "\'"$1"\'"}}\'\n'
    )
    agent.chmod(0o755)
    (ws.root / "data.txt").write_text("x")
    ws.add(charter("b", runtime="command: [./bin/agent, data.txt]"))
    res = ws.run("b", {})
    assert res.status == "ok", res.error
    assert res.output == {"at": str((ws.root / "data.txt").resolve())}


@needs_bwrap
def test_a_program_under_tmp_is_visible_in_the_sandbox(ws: Ws, tmp_path: Path) -> None:
    """The sandbox's /tmp is private: a program (or a virtualenv) that lives under the
    machine's /tmp, outside the workspace, is bound into it read-only."""
    tool = tmp_path / "venv" / "bin" / "tool"
    tool.parent.mkdir(parents=True)
    tool.write_text('#!/bin/sh\nread -r s\necho \'{"type": "output", "output": {}}\'\n')
    tool.chmod(0o755)
    ws.add(charter("t", runtime=f"command: [{tool}]"))
    res = ws.run("t", {})
    assert res.status == "ok", res.error
    assert attrs(ws.events("run_start")[0])["sandbox"] == "bwrap"


def test_a_connector_writing_a_partial_line_times_out_and_dies(
    ws: Ws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reads are bounded for connector processes too (they hung on a partial line), and
    the connector's process group is killed when the run ends."""
    from agentctl.runtime.transports import CommandTransport

    monkeypatch.setattr(CommandTransport, "TIMEOUT_S", 1.0)
    tok = token()
    script = f"sh -c 'sleep 600' {tok} & read -r l; printf 'partial'; sleep 600"
    ws.add(
        "apiVersion: agentctl/v1\nkind: Connector\nmetadata: {name: slow, owner: role/ops}\n"
        f"spec:\n  transport: {{command: [/bin/sh, -c, {json.dumps(script)}]}}\n"
        "  operations:\n    ping: {scope: slow.read}\n",
        charter("c", tools="[slow.read]"),
    )
    res = ws.run("c", {"steps": [["call", "slow.ping", {}]]})
    assert res.status == "ok"
    assert res.output == {"results": [{"error": "connector/slow command did not answer within 1s"}]}
    assert gone(tok), procs_with(tok)
