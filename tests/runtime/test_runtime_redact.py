"""Secrets are redacted wherever a value leaves the process: every text column of an event
(the operation included), the run summary (text and JSON), the agent's output and log
lines, and the error messages and hints that quote an agent."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest
from rt_helpers import Ws, charter, ws_fixture  # noqa: F401 - ws_fixture

from agentctl.ledger import LedgerEvent, redact_event

SECRET = "tok-Zq81-very-secret"
NOW = "2026-11-25T10:00:00Z"

WEB = """\
apiVersion: agentctl/v1
kind: Connector
metadata: {name: web, owner: role/ops}
spec:
  transport: {http: {url: 'http://127.0.0.1:9/x', auth_env: WEB_TOKEN}}
  operations:
    get: {scope: web.read}
"""

LEAK = '''\
"""A hostile agent: it reads the connector's token and tries to carry it out."""
import os


def leak(task, ctx):
    s = os.environ["WEB_TOKEN"]
    out = []
    for op in (s, "sys." + s):
        try:
            ctx.call(op, {"k": s})
        except ctx.Denied as exc:
            out.append(exc.message)
    try:
        ctx.ask("charter/" + s, {})
    except ctx.Denied as exc:
        out.append(exc.message)
    ctx.log("the key is", s)
    if task.get("fail"):
        raise RuntimeError("cannot use key " + s)
    return {"echo": s, "messages": out}
'''


@pytest.fixture
def leaky(ws: Ws, monkeypatch: pytest.MonkeyPatch) -> Ws:
    monkeypatch.setenv("WEB_TOKEN", SECRET)
    ws.lib("rt_leak.py", LEAK)
    return ws.add(WEB, charter("leaker", runtime='python: "rt_leak:leak"', tools="[sys.read]"))


def run(cli: Any, ws: Ws, *args: str) -> Any:
    return cli("run", "leaker", "-w", ws.root, "--ledger", ws.ledger_path, "--now", NOW, *args)


def ledger_text(ws: Ws) -> str:
    con = sqlite3.connect(ws.ledger_path)
    rows = [*con.execute("SELECT * FROM events"), *con.execute("SELECT * FROM payloads")]
    con.close()
    return json.dumps([list(r) for r in rows])


def test_a_secret_as_operation_name_is_not_stored(cli: Any, leaky: Ws) -> None:
    r = run(cli, leaky)
    assert r.exit_code == 0, r.stderr
    ops = [e["operation"] for e in leaky.events("denial")]
    assert ops == ["[REDACTED]", "sys.[REDACTED]", "charter/[REDACTED]"]
    text = ledger_text(leaky)
    assert SECRET not in text and "[REDACTED]" in text
    # nor in what was printed: the output, the summary, the agent's log line
    assert SECRET not in r.stdout and SECRET not in r.stderr
    assert json.loads(r.stdout)["echo"] == "[REDACTED]"
    assert "[leaker] the key is [REDACTED]" in r.stderr
    assert "denied    [REDACTED]: unknown operation '[REDACTED]'" in r.stderr
    exported = cli("ledger", "export", "--ledger", leaky.ledger_path)
    assert exported.exit_code == 0 and SECRET not in exported.stdout


def test_json_summary_and_error_messages_are_redacted(cli: Any, leaky: Ws) -> None:
    r = run(cli, leaky, "--format", "json", "--input", '{"fail": true}')
    assert r.exit_code == 1
    assert SECRET not in r.stdout and SECRET not in r.stderr
    doc = json.loads(r.stdout)
    assert doc["error"] == "charter/leaker raised RuntimeError: cannot use key [REDACTED]"
    assert [d["operation"] for d in doc["summary"]["denials"]] == [
        "[REDACTED]",
        "sys.[REDACTED]",
        "charter/[REDACTED]",
    ]
    assert doc["summary"]["denials"][2]["message"] == "unknown charter 'charter/[REDACTED]'"
    (end,) = leaky.events("run_end")
    assert json.loads(end["attrs"])["error"] == doc["error"]
    r = run(cli, leaky, "--input", '{"fail": true}')
    assert "error     charter/leaker raised RuntimeError: cannot use key [REDACTED]" in r.stderr
    assert SECRET not in r.stderr


def test_one_function_redacts_every_text_column() -> None:
    e = LedgerEvent(
        kind="denial",
        trace_id="a" * 32,
        span_id="b" * 16,
        parent_span_id=None,
        ts="2026-11-25T10:00:00.000000Z",
        principal=f"p-{SECRET}",
        operation=f"x.{SECRET}",
        data_classes=[f"pii.{SECRET}"],
        input={SECRET: [SECRET]},
        output=SECRET,
        prompt={"m": f"Bearer {SECRET}"},
        attrs={"reason": SECRET},
    )
    out = redact_event(e, [SECRET, ""])
    assert SECRET not in json.dumps(out.__dict__)
    assert out.operation == "x.[REDACTED]" and out.principal == "p-[REDACTED]"
    assert out.trace_id == "a" * 32  # ids and times are ours: never touched


def test_an_agent_that_fails_to_load_does_not_print_the_secret(
    cli: Any, leaky: Ws, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaky.lib("rt_boom.py", 'import os\nraise ImportError("no " + os.environ["WEB_TOKEN"])\n')
    leaky.add(charter("boomer", runtime='python: "rt_boom:run"'))
    r = cli("run", "boomer", "-w", leaky.root, "--ledger", leaky.ledger_path, "--now", NOW)
    assert r.exit_code == 2
    assert "cannot import 'rt_boom': no [REDACTED]" in r.stderr and SECRET not in r.stderr


def test_the_ledger_redacts_bearer_tokens_in_columns_itself(tmp_path: Any) -> None:
    """Whatever the writer is handed: a bearer token in the operation column never lands."""
    from agentctl.ledger import Ledger

    e = LedgerEvent(
        kind="denial",
        trace_id="a" * 32,
        span_id="b" * 16,
        parent_span_id=None,
        ts="2026-11-25T10:00:00.000000Z",
        principal="p",
        operation="BEARER abc.def-123",
        data_classes=["x", "bearer zzz"],
    )
    with Ledger.open(tmp_path / "l.db") as led:
        led.append([e])
        row = led.conn.execute("SELECT operation, data_classes FROM events").fetchone()
    assert row == ("BEARER [REDACTED]", '["bearer [REDACTED]","x"]')
