"""Connector transports over real subprocesses, real local HTTP and recorded fixtures."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pytest
from rt_helpers import Server, Ws, charter, ws_fixture  # noqa: F401 - ws_fixture

SECRET = "s3cr3t-token-value-0042"


def connector(name: str, transport: str, ops: str = "ping: {scope: %s.read}") -> str:
    return (
        "apiVersion: agentctl/v1\nkind: Connector\n"
        f"metadata: {{name: {name}, owner: role/ops}}\n"
        f"spec:\n  transport: {transport}\n  operations:\n    "
        + (ops % name if "%s" in ops else ops)
        + "\n"
    )


def steps(*s: tuple[str, str, object]) -> dict[str, object]:
    return {"steps": [list(x) for x in s]}


TOOL_SERVER = """\
import json, sys
for line in sys.stdin:
    req = json.loads(line)
    if req["input"].get("fail"):
        out = {"id": req["id"], "error": "the backend refused"}
    else:
        out = {"id": req["id"], "output": {"op": req["operation"], "n": req["input"].get("n")}}
    print(json.dumps(out), flush=True)
"""


def test_command_transport_speaks_json_lines(ws: Ws) -> None:
    (ws.root / "tool_server.py").write_text(TOOL_SERVER)
    ws.add(
        connector("cmd", f'{{command: ["{sys.executable}", "tool_server.py"]}}'),
        charter("a", tools="[cmd.read]"),
    )
    res = ws.run(
        "a",
        steps(
            ("call", "cmd.ping", {"n": 1}),
            ("call", "cmd.ping", {"fail": True}),
            ("call", "cmd.ping", {"n": 3}),
        ),
    )
    assert res.output["results"] == [
        {"ok": {"op": "ping", "n": 1}},
        {"error": "connector/cmd: the backend refused"},
        {"ok": {"op": "ping", "n": 3}},
    ]
    assert [e["status"] for e in ws.events("tool_call")] == ["ok", "error", "ok"]


def test_command_transport_in_shell(ws: Ws) -> None:
    script = 'while read -r line; do echo \'{"id": 1, "output": {"from": "sh"}}\'; done'
    ws.add(
        connector("sh", f"{{command: [/bin/sh, -c, {json.dumps(script)}]}}"),
        charter("a", tools="[sh.read]"),
    )
    res = ws.run("a", steps(("call", "sh.ping", {})))
    assert res.output["results"] == [{"ok": {"from": "sh"}}]


def test_command_transport_protocol_errors(ws: Ws) -> None:
    ws.add(
        connector("noisy", '{command: [/bin/sh, -c, "read -r l; echo hello"]}'),
        connector("gone", '{command: [/bin/sh, -c, "exit 3"]}'),
        connector("missing", "{command: [/nonexistent/tool]}"),
        charter("a", tools="[noisy.read, gone.read, missing.read]"),
    )
    res = ws.run(
        "a",
        steps(("call", "noisy.ping", {}), ("call", "gone.ping", {}), ("call", "missing.ping", {})),
    )
    errors = [r["error"] for r in res.output["results"]]
    assert errors[0] == (
        "connector/noisy command wrote a line that is not JSON (column 1): 'hello'"
    )
    assert errors[1].startswith("connector/gone command ")
    assert errors[2].startswith("cannot start connector/missing command '/nonexistent/tool'")


@pytest.fixture
def http_backend() -> Iterator[Server]:
    def reply(path: str, body: object, headers: dict[str, str]) -> tuple[int, object]:
        if path.endswith("/boom"):
            return 500, {"error": "internal"}
        # echoes the Authorization header back: the ledger must not store the token
        return 200, {"path": path, "body": body, "auth": headers.get("authorization")}

    srv = Server(reply)
    yield srv
    srv.close()


def test_http_transport_posts_json_with_a_bearer(ws: Ws, http_backend: Server) -> None:
    ws.add(
        connector(
            "web",
            f"{{http: {{url: '{http_backend.url}/api/', auth_env: WEB_TOKEN, timeout: 5s}}}}",
            "ping: {scope: web.read}\n    boom: {scope: web.read}",
        ),
        charter("a", tools="[web.read]"),
    )
    res = ws.run(
        "a",
        steps(("call", "web.ping", {"q": 1}), ("call", "web.boom", {})),
        environ={"WEB_TOKEN": SECRET},
    )
    first, second = res.output["results"]
    assert first["ok"]["path"] == "/api/ping" and first["ok"]["body"] == {"q": 1}
    assert http_backend.requests[0]["headers"]["authorization"] == f"Bearer {SECRET}"
    assert first["ok"]["auth"] == "Bearer [REDACTED]"  # the run's result is redacted too
    assert second["error"].startswith("connector/web: HTTP 500 from ")
    assert http_backend.requests[0]["headers"]["content-type"] == "application/json"
    # the token reached the server, but never the ledger file
    for suffix in ("", "-wal"):
        f = ws.ledger_path.with_name(ws.ledger_path.name + suffix)
        if f.exists():
            assert SECRET.encode() not in f.read_bytes()
    (ok_call,) = [e for e in ws.events("tool_call") if e["status"] == "ok"]
    assert ok_call["operation"] == "web.ping"


def test_http_transport_missing_token_and_unreachable(ws: Ws) -> None:
    ws.add(
        connector("web", "{http: {url: 'http://127.0.0.1:9/x', auth_env: WEB_TOKEN}}"),
        connector("down", "{http: {url: 'http://127.0.0.1:9/x', timeout: 2s}}"),
        charter("a", tools="[web.read, down.read]"),
    )
    res = ws.run("a", steps(("call", "web.ping", {}), ("call", "down.ping", {})))
    e1, e2 = (r["error"] for r in res.output["results"])
    assert e1 == "connector/web: environment variable WEB_TOKEN is not set"
    assert e2.startswith("connector/down: cannot reach http://127.0.0.1:9/x/ping")


FIXTURE = """\
{"operation": "ping", "input": {"id": 1}, "output": {"hit": "exact"}}
{"operation": "ping", "match": {"kind": "a"}, "output": {"hit": "match"}}
{"operation": "ping", "output": {"hit": "default"}}
{"operation": "pong", "input": {"id": 1}, "output": {"hit": "exact-only"}}
"""


def test_fixture_transport_matching_and_fallback(ws: Ws) -> None:
    (ws.root / "conn" / "fx").mkdir(parents=True)
    (ws.root / "conn" / "fx" / "rec.jsonl").write_text(FIXTURE)
    (ws.root / "conn" / "rec.yaml").write_text(
        connector(
            "rec", "{fixture: fx/rec.jsonl}", "ping: {scope: rec.read}\n    pong: {scope: rec.read}"
        )
    )
    ws.add(charter("a", tools="[rec.read]"))
    res = ws.run(
        "a",
        steps(
            ("call", "rec.ping", {"id": 1}),
            ("call", "rec.ping", {"id": 2, "kind": "a"}),
            ("call", "rec.ping", {"id": 3}),
            ("call", "rec.pong", {"id": 9}),
        ),
    )
    r = res.output["results"]
    assert [x.get("ok", {}).get("hit") for x in r[:3]] == ["exact", "match", "default"]
    assert r[3]["error"] == 'connector/rec: no recorded response for pong with input {"id": 9}'


def test_fixture_transport_reports_bad_lines(ws: Ws) -> None:
    (ws.root / "bad.jsonl").write_text('{"operation": "ping", "output": {}}\n{"operation": \n')
    ws.add(
        connector("bad", "{fixture: bad.jsonl}"),
        connector("none", "{fixture: none.jsonl}"),
        charter("a", tools="[bad.read, none.read]"),
    )
    res = ws.run("a", steps(("call", "bad.ping", {}), ("call", "none.ping", {})))
    e1, e2 = (x["error"] for x in res.output["results"])
    assert e1 == "bad.jsonl:2:15: not JSON: Expecting value"
    assert e2 == "connector/none: cannot read fixture none.jsonl"


def test_python_transport_errors_are_tool_errors(ws: Ws) -> None:
    ws.lib("flaky.py", "def call(op, payload):\n    raise ValueError('backend down')\n")
    ws.lib("wrong.py", "def call(op, payload):\n    return 'not an object'\n")
    ws.add(
        connector("flaky", '{python: "flaky:call"}'),
        connector("wrong", '{python: "wrong:call"}'),
        connector("nomod", '{python: "no_such_module:call"}'),
        charter("a", tools="[flaky.read, wrong.read, nomod.read]"),
    )
    res = ws.run(
        "a",
        steps(("call", "flaky.ping", {}), ("call", "wrong.ping", {}), ("call", "nomod.ping", {})),
    )
    e = [x["error"] for x in res.output["results"]]
    assert e[0] == "flaky:call raised ValueError: backend down"
    assert e[1] == "wrong:call returned str, expected a JSON object"
    assert e[2].startswith("cannot import 'no_such_module'")
