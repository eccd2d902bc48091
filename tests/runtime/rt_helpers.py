"""A small workspace built in a temporary folder, with a connector that leaves a marker file
for every call it executes (so tests can prove a denied call was never executed)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)

BASE = """\
apiVersion: agentctl/v1
kind: Workspace
metadata: {name: rt}
spec:
  python_path: [lib]
---
apiVersion: agentctl/v1
kind: Role
metadata: {name: ops}
---
apiVersion: agentctl/v1
kind: Connector
metadata: {name: sys, owner: role/ops}
spec:
  transport: {python: "rt_tools:sys"}
  operations:
    read: {scope: sys.read, cost_usd: 0.01}
    write: {scope: sys.write, effect: write, cost_usd: 0.10}
    secret: {scope: sys.read, data_classes: [pii.ssn]}
    typed:
      scope: sys.read
      input_schema:
        type: object
        required: [n]
        additionalProperties: false
        properties: {n: {type: integer}}
      output_schema:
        type: object
        required: [ok]
        properties: {ok: {type: boolean}}
---
apiVersion: agentctl/v1
kind: Connector
metadata: {name: limited, owner: role/ops}
spec:
  transport: {python: "rt_tools:sys"}
  rate_limit: {calls: 2, per: 1m}
  operations:
    ping: {scope: limited.read}
"""

TOOLS = '''\
"""The marker connector: every executed call appends a line to calls/<operation>."""
import json
import time
from pathlib import Path

CALLS = Path(__file__).resolve().parent.parent / "calls"


def sys(operation, payload):
    if operation == "hit":  # a slow call: concurrent callers overlap
        time.sleep(0.03)
    CALLS.mkdir(exist_ok=True)
    with open(CALLS / operation, "a") as fh:
        fh.write(json.dumps(payload) + "\\n")
    if operation == "typed":
        return {"ok": "yes" if payload.get("n") == 13 else True}
    return {"op": operation, "echo": payload}
'''

AGENTS = '''\
"""Scripted agents for the runtime tests."""
import time


def script(task, ctx):
    """Runs task["steps"]: [kind, target, payload]; records results and errors."""
    out = []
    for kind, target, payload in task.get("steps", []):
        if kind == "sleep":
            time.sleep(payload)
            continue
        if kind == "until":  # a start line shared by concurrent processes (epoch seconds)
            while time.time() < payload:
                time.sleep(0.002)
            continue
        if kind == "barrier":  # a start line: every process arrives before any goes on
            import os
            from pathlib import Path

            here = Path(target)
            here.mkdir(exist_ok=True)
            (here / str(os.getpid())).touch()
            while len(list(here.iterdir())) < payload:
                time.sleep(0.002)
            continue
        try:
            fn = ctx.call if kind == "call" else ctx.ask
            out.append({"ok": fn(target, payload)})
        except ctx.Denied as exc:
            out.append({"denied": exc.rule, "message": exc.message})
            if not task.get("catch", True):
                raise
        except ctx.ToolError as exc:
            out.append({"error": exc.message})
            if not task.get("catch", True):
                raise
    return {"results": out, **task.get("extra", {})}


def many(task, ctx):
    """Many tool calls with a short pause (task["ops"] in turn): the kill -9 target."""
    ops = task.get("ops", ["sys.read"])
    for i in range(task.get("n", 100)):
        ctx.call(ops[i % len(ops)], {"i": i})
        time.sleep(task.get("pause", 0.002))
    return {"done": task.get("n", 100)}


def chat(task, ctx):
    """One model call through ctx.model (a python runtime that calls a model)."""
    msg = ctx.model([{"role": "user", "content": task.get("say", "hi")}])
    return {"reply": msg.get("content")}


def broken(task, ctx):
    raise RuntimeError("the agent has a bug")


def not_a_dict(task, ctx):
    return ["a", "list"]
'''

WORKER = """\
apiVersion: agentctl/v1
kind: Charter
metadata: {name: worker, owner: role/ops}
spec:
  scope: runs scripted steps
  runtime: {python: "rt_agents:script"}
  tools: [sys.read, limited.read]
"""


def charter(name: str, runtime: str = 'python: "rt_agents:script"', **spec: str) -> str:
    extra = "".join(f"  {k}: {v}\n" for k, v in spec.items())
    return (
        "apiVersion: agentctl/v1\nkind: Charter\n"
        f"metadata: {{name: {name}, owner: role/ops}}\n"
        f"spec:\n  scope: test charter {name}\n  runtime: {{{runtime}}}\n{extra}"
    )


@dataclass
class Ws:
    root: Path
    ledger_path: Path
    docs: list[str] = field(default_factory=list)

    def add(self, *docs: str) -> Ws:
        self.docs.extend(textwrap.dedent(d) for d in docs)
        (self.root / "agentctl.yaml").write_text(BASE.split("---\n", 1)[0])
        (self.root / "res.yaml").write_text(
            BASE.split("---\n", 1)[1] + "".join("---\n" + d for d in self.docs)
        )
        return self

    def lib(self, name: str, code: str) -> Ws:
        (self.root / "lib" / name).write_text(code)
        return self

    def workspace(self) -> Any:
        from agentctl.workspace.loader import load_workspace

        res = load_workspace(self.root)
        errors = [f for f in res.findings if f.severity.value == "error"]
        assert not errors, errors
        return res.workspace

    def version(self, charter: str) -> str:
        """The charter's version as the ledger records it (agentctl/model/versions.py)."""
        from agentctl.model.versions import charter_version

        ws = self.workspace()
        res = ws.charter(charter)
        read = lambda rel: (self.root / rel).read_bytes() if (self.root / rel).is_file() else None  # noqa: E731
        return charter_version(ws, res, read)

    def run(self, charter: str, payload: Any, *, start: dt.datetime = NOW, **kw: Any) -> Any:
        from agentctl.ledger import Ledger
        from agentctl.runtime.run import run_charter

        with Ledger.open(self.ledger_path) as led:
            return run_charter(
                self.workspace(),
                self.root,
                charter,
                payload,
                ledger=led,
                start=start,
                environ=kw.pop("environ", {}),
                **kw,
            )

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        con = sqlite3.connect(self.ledger_path)
        con.row_factory = sqlite3.Row
        sql = "SELECT * FROM events" + (" WHERE kind = ?" if kind else "") + " ORDER BY seq"
        rows = [dict(r) for r in con.execute(sql, (kind,) if kind else ())]
        con.close()
        return rows

    def calls(self, operation: str) -> int:
        """How many times the marker connector executed `operation`."""
        f = self.root / "calls" / operation
        return len(f.read_text().splitlines()) if f.exists() else 0

    def verify(self) -> Any:
        from agentctl.ledger import Ledger
        from agentctl.ledger.verify import verify

        with Ledger.open(self.ledger_path) as led:
            return verify(led)


def make_ws(tmp_path: Path) -> Ws:
    root = tmp_path / "ws"
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "rt_tools.py").write_text(TOOLS)
    (root / "lib" / "rt_agents.py").write_text(AGENTS)
    ws = Ws(root, tmp_path / "ledger.db")
    return ws.add()


class Server:
    """A local HTTP server (127.0.0.1, port 0) answering POSTs with `reply(path, body,
    headers) -> (status, obj)`; it records every request."""

    def __init__(self, reply: Any) -> None:
        import http.server
        import json
        import threading

        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(n) or b"null")
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append({"path": self.path, "body": body, "headers": headers})
                status, obj = reply(self.path, body, headers)
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


KEY = "sk-test-0123456789abcdef"


class ScriptedModel:
    """Answers chat-completions requests from a script: each entry is a message."""

    def __init__(
        self, script: list[dict[str, Any]], tokens: int = 40, usage: Any = "split"
    ) -> None:
        self.script = list(script)
        self.tokens = tokens
        self.usage = usage  # "split": half prompt, half completion; else sent as is
        self.server = Server(self.reply)

    def reply(self, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        if path != "/v1/chat/completions":
            return 404, {"error": "no such path"}
        msg = self.script.pop(0)
        return 200, {
            "id": "cmpl-1",
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": msg,
                    "finish_reason": "tool_calls" if msg.get("tool_calls") else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": self.tokens // 2,
                "completion_tokens": self.tokens // 2,
                "total_tokens": self.tokens,
            }
            if self.usage == "split"
            else self.usage,
        }


def tool_call(i: int, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
        ],
    }


@pytest.fixture(name="ws")
def ws_fixture(tmp_path: Path) -> Iterator[Ws]:
    """A fresh workspace; test modules import this fixture (no conftest here: the name
    `conftest` belongs to tests/conftest.py, which other folders import)."""
    before = set(sys.modules)
    saved = list(sys.path)
    yield make_ws(tmp_path)
    # each test has its own lib folder with the same module names: forget them
    for name in set(sys.modules) - before:
        if name.startswith(("rt_", "example_", "flaky", "wrong")):
            del sys.modules[name]
    sys.path[:] = saved
