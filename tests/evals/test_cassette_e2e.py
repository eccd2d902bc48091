"""Record and replay end to end: a workspace whose agents call a real local HTTP server
(an HTTP connector with a bearer token, and an OpenAI-compatible model endpoint that asks
for a tool call); `eval --record` writes the cassettes, a replay passes with the server
stopped, and a changed request is a cassette mismatch, never re-run live."""

from __future__ import annotations

import http.server
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import agentctl_bin, commit_all, git, write

from agentctl.ledger import Ledger

TOKEN = "web-token-5f2b8c1d9e"
MODEL_KEY = "sk-model-key-77aa31c0"

WORKSPACE = """\
apiVersion: agentctl/v1
kind: Workspace
metadata: {name: tapes}
spec:
  python_path: [lib]
"""

RESOURCES = """\
apiVersion: agentctl/v1
kind: Role
metadata: {name: ops}
---
apiVersion: agentctl/v1
kind: Connector
metadata: {name: web, owner: role/ops}
spec:
  transport: {http: {url: "URL/api", auth_env: WEB_TOKEN, timeout: 5s}}
  operations:
    lookup: {scope: web.read}
---
apiVersion: agentctl/v1
kind: Charter
metadata: {name: asker, owner: role/ops}
spec:
  scope: looks a number up
  runtime: {python: "tape_agents:asker"}
  tools: [web.read]
---
apiVersion: agentctl/v1
kind: Charter
metadata: {name: chat, owner: role/ops}
spec:
  scope: asks a model, which looks a number up
  runtime:
    model: {base_url: "URL/v1", model: m-1, api_key_env: MODEL_KEY}
  tools: [web.read]
"""

SUITES = """\
apiVersion: agentctl/v1
kind: EvalSuite
metadata: {name: web-core, owner: role/ops}
spec:
  charter: charter/asker
  cases:
    - id: one
      input: {q: 1}
      assert: ['output.answer == "one"']
    - id: two
      input: {q: 2}
      assert: ['output.answer == "two"']
  recording: {dir: evals/recordings/web-core}
---
apiVersion: agentctl/v1
kind: EvalSuite
metadata: {name: chat-core, owner: role/ops}
spec:
  charter: charter/chat
  cases:
    - id: asks-the-tool
      input: {q: 2}
      assert:
        - output.answer == "two"
        - trace.model_calls == 2.0
  recording: {dir: evals/recordings/chat-core}
"""

AGENTS = """\
def asker(task, ctx):
    out = ctx.call("web.lookup", {"q": task["q"]})
    return {"answer": out["answer"]}
"""

NAMES = {1: "one", 2: "two", 3: "three"}
TAPES = ["web-core/one", "web-core/two", "chat-core/asks-the-tool"]


class Backend:
    """The systems behind the workspace: /api/lookup and /v1/chat/completions. It echoes
    the Authorization header it got (a cassette must not keep it)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(self.path)
                auth = self.headers.get("Authorization")
                if self.path == "/api/lookup":
                    obj: Any = {"answer": NAMES[body["q"]], "seen_auth": auth}
                else:
                    obj = outer.chat(body)
                data = json.dumps(obj).encode()
                self.send_response(200)
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

    @staticmethod
    def chat(body: dict[str, Any]) -> dict[str, Any]:
        """First a tool call with the task's q, then the tool's answer as the final one."""
        last = body["messages"][-1]
        if last["role"] == "tool":
            msg: dict[str, Any] = {
                "role": "assistant",
                "content": json.dumps({"answer": json.loads(last["content"])["answer"]}),
            }
        else:
            q = json.loads(last["content"])["q"]
            call = {"name": "web__lookup", "arguments": json.dumps({"q": q})}
            msg = {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c1", "type": "function", "function": call}],
            }
        return {
            "choices": [{"index": 0, "message": msg, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5},
        }

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def backend() -> Iterator[Backend]:
    srv = Backend()
    yield srv
    srv.close()


@pytest.fixture
def ws(tmp_path: Path, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    write(root / "agentctl.yaml", WORKSPACE)
    write(root / "charters/all.yaml", RESOURCES.replace("URL", backend.url))
    write(root / "evals/suites.yaml", SUITES)
    write(root / "lib/tape_agents.py", AGENTS)
    monkeypatch.setenv("WEB_TOKEN", TOKEN)
    monkeypatch.setenv("MODEL_KEY", MODEL_KEY)
    return root


def _eval(cli: Any, ws: Path, *args: str) -> Any:
    return cli("eval", "-w", ws, "--ledger", ws.parent / "ledger.db", *args)


def _tape(ws: Path, suite: str, case: str) -> Path:
    return ws / "evals/recordings" / suite / f"{case}.json"


def test_record_then_replay_offline_then_a_changed_request_is_a_mismatch(
    cli: Any, ws: Path, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _eval(cli, ws, "--record")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert len(backend.requests) == 2 + 3  # two lookups; two model turns and a lookup
    tape = _tape(ws, "web-core", "one")
    doc = json.loads(tape.read_text())
    (item,) = doc["interactions"]
    assert item["request"] == {
        "body": {"q": 1},
        "connector": "web",
        "method": "POST",
        "url": f"{backend.url}/api/lookup",
    }
    assert item["response"]["status"] == 200
    assert item["response"]["body"]["answer"] == "one"
    # what the server echoed of the bearer token is redacted; headers are never kept
    assert item["response"]["body"]["seen_auth"] == "Bearer [REDACTED]"
    chat = json.loads(_tape(ws, "chat-core", "asks-the-tool").read_text())
    kinds = [i["request"].get("connector", "model") for i in chat["interactions"]]
    assert kinds == ["model", "web", "model"]
    assert chat["interactions"][0]["request"]["body"]["model"] == "m-1"
    for f in (ws / "evals/recordings").rglob("*.json"):
        text = f.read_text()
        assert TOKEN not in text and MODEL_KEY not in text
        assert "authorization" not in text.lower()
        # deterministic and diff-friendly: sorted keys, two-space indent, a final newline
        assert text == json.dumps(json.loads(text), sort_keys=True, indent=2) + "\n"
    first = {f: f.read_bytes() for f in (ws / "evals/recordings").rglob("*.json")}
    assert _eval(cli, ws, "--record").exit_code == 0
    assert {f: f.read_bytes() for f in first} == first  # the same run records the same bytes

    # replay: the systems are gone (and so are the secrets), the suites pass all the same
    backend.close()
    seen = len(backend.requests)
    monkeypatch.delenv("WEB_TOKEN")
    monkeypatch.delenv("MODEL_KEY")
    r = _eval(cli, ws, "-f", "json")
    assert r.exit_code == 0, r.stdout + r.stderr
    counts = json.loads(r.stdout)["counts"]
    assert (counts["pass"], counts["fail"], counts["error"]) == (3, 0, 0)
    assert len(backend.requests) == seen
    with Ledger.open(ws.parent / "ledger.db") as led:
        marks = [
            json.loads(a).get("cassette")
            for (a,) in led.conn.execute("SELECT attrs FROM events WHERE kind = 'eval_case'")
        ]
    assert marks[:3] == [{"mode": "record", "file": f"evals/recordings/{t}.json"} for t in TAPES]
    assert marks[-3:] == [{"mode": "replay", "file": f"evals/recordings/{t}.json"} for t in TAPES]

    # a changed request: the case is an error naming the field, expected and got
    suites = ws / "evals/suites.yaml"
    suites.write_text(suites.read_text().replace("input: {q: 1}", "input: {q: 3}"))
    r = _eval(cli, ws, "web-core", "-f", "json")
    assert r.exit_code == 1
    cases = {c["id"]: c for c in json.loads(r.stdout)["suites"][0]["cases"]}
    assert cases["two"]["outcome"] == "pass"
    one = cases["one"]
    assert (one["outcome"], one["failures"]) == ("error", [])
    assert one["error"] == (
        "cassette mismatch in case 'one' (evals/recordings/web-core/one.json, request 1): "
        "body.q: expected 1, got 3"
    )
    assert "cannot reach" not in r.stdout  # never re-run live
    r = _eval(cli, ws, "web-core")
    assert "error one" in r.stdout
    flat = " ".join(r.stdout.split())  # the text report wraps at 80 columns
    assert "body.q: expected 1, got 3" in flat
    assert "re-record with 'agentctl eval web-core --case one --record'" in flat


def test_replay_in_a_fresh_process_with_the_server_stopped(
    tmp_path: Path, ws: Path, backend: Backend
) -> None:
    """The installed agentctl, in a git repository: record, commit, stop, replay."""
    git(ws, "init", "-q", "-b", "main")
    exe = agentctl_bin()
    ledger = str(tmp_path / "ledger.db")
    rec = subprocess.run(
        [exe, "eval", "web-core", "--record", "--ledger", ledger],
        cwd=ws,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rec.returncode == 0, rec.stdout + rec.stderr
    commit_all(ws, "cassettes")
    backend.close()
    env_without_token = {k: v for k, v in __import__("os").environ.items() if k != "WEB_TOKEN"}
    out = subprocess.run(
        [exe, "eval", "web-core", "--ledger", ledger, "--rev", "HEAD"],
        cwd=ws,
        capture_output=True,
        text=True,
        timeout=120,
        env=env_without_token,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("eval: every gate passed (2 passed, 0 failed, 0 errored)")


def test_modes_replay_without_a_cassette_live_and_usage(
    cli: Any, ws: Path, backend: Backend
) -> None:
    suites = ws / "evals/suites.yaml"
    # auto (the default) without cassettes runs live
    assert _eval(cli, ws, "web-core").exit_code == 0
    assert backend.requests == ["/api/lookup", "/api/lookup"]
    # replay without a cassette: the case's error, with the command that records it
    suites.write_text(
        suites.read_text().replace(
            "recording: {dir: evals/recordings/web-core}",
            "recording: {mode: replay, dir: evals/recordings/web-core}",
        )
    )
    r = _eval(cli, ws, "web-core", "--case", "one")
    assert r.exit_code == 1
    assert "error one" in r.stdout
    flat = " ".join(r.stdout.split())
    assert "no cassette for case 'one' at evals/recordings/web-core/one.json" in flat
    assert "agentctl eval web-core --case one --record" in flat
    assert len(backend.requests) == 2  # nothing ran live
    # --live ignores cassettes (and the suite's mode)
    assert _eval(cli, ws, "web-core", "--live").exit_code == 0
    assert len(backend.requests) == 4
    assert not (ws / "evals/recordings").exists()
    r = _eval(cli, ws, "--record", "--live")
    assert (r.exit_code, "--record and --live cannot be used together" in r.stderr) == (2, True)
    git(ws, "init", "-q", "-b", "main")
    commit_all(ws, "ws")
    r = _eval(cli, ws, "--record", "--rev", "HEAD")
    assert (r.exit_code, "--record cannot be used with --rev" in r.stderr) == (2, True)
    r = _eval(cli, ws, "--record", "--baseline", "HEAD")
    assert (r.exit_code, "--record cannot be used with --baseline" in r.stderr) == (2, True)


def test_a_malformed_cassette_is_the_case_error_with_its_place(cli: Any, ws: Path) -> None:
    assert _eval(cli, ws, "web-core", "--record").exit_code == 0
    tape = _tape(ws, "web-core", "two")
    tape.write_text('{\n  "format_version": 1,\n  "interactions": [\n')
    r = _eval(cli, ws, "web-core", "-f", "json")
    assert r.exit_code == 1
    cases = {c["id"]: c for c in json.loads(r.stdout)["suites"][0]["cases"]}
    assert cases["one"]["outcome"] == "pass"
    assert cases["two"]["outcome"] == "error"
    assert cases["two"]["error"].startswith(
        "evals/recordings/web-core/two.json:4:1: not a cassette"
    )


def test_a_recording_dir_outside_the_workspace_is_refused_with_its_place(
    cli: Any, ws: Path
) -> None:
    suites = ws / "evals/suites.yaml"
    suites.write_text(suites.read_text().replace("dir: evals/recordings/web-core", "dir: ../x"))
    r = _eval(cli, ws, "web-core", "--case", "one", "-f", "json")
    assert r.exit_code == 1
    (case,) = json.loads(r.stdout)["suites"][0]["cases"]
    assert case["outcome"] == "error"
    assert case["error"].startswith("evals/suites.yaml:13:20: recording.dir")
    assert "recording.dir" in case["error"] and "leaves the workspace" in case["error"]
    assert not (ws.parent / "x").exists()
