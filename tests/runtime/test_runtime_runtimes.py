"""Agent runtimes: command (JSON lines over a real subprocess) and model (an OpenAI-compatible
endpoint over real local HTTP, scripted by the test)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from decimal import Decimal

import pytest
from rt_helpers import KEY, ScriptedModel, Ws, charter, tool_call, ws_fixture  # noqa: F401

COMMAND_AGENT = """\
import json, sys

def send(obj):
    print(json.dumps(obj), flush=True)

def recv():
    return json.loads(sys.stdin.readline())

start = recv()
assert start["type"] == "start"
send({"type": "log", "message": "starting " + start["charter"]})
send({"type": "call", "id": 1, "operation": "sys.read", "input": {"n": start["input"]["n"]}})
first = recv()
send({"type": "call", "id": 2, "operation": "sys.write", "input": {}})
second = recv()
send({"type": "output", "output": {
    "first": first, "second_kind": second["type"], "rule": second["error"].get("rule"),
    "tools": [t["operation"] for t in start["tools"]], "trace": start["trace_id"]}})
"""


def test_command_runtime_over_json_lines(ws: Ws) -> None:
    (ws.root / "agent.py").write_text(COMMAND_AGENT)
    ws.add(charter("cmd", runtime=f'command: ["{sys.executable}", "agent.py"]', tools="[sys.read]"))
    logs: list[str] = []
    res = ws.run("cmd", {"n": 7}, log=logs.append)
    assert res.status == "ok", res.error
    out = res.output
    assert out["first"] == {"type": "result", "id": 1, "output": {"op": "read", "echo": {"n": 7}}}
    assert out["second_kind"] == "error" and out["rule"] == "scope"
    assert out["tools"] == ["sys.read", "sys.secret", "sys.typed"]
    assert out["trace"] == res.trace_id
    assert logs == ["[cmd] starting cmd"]
    assert ws.calls("read") == 1 and ws.calls("write") == 0
    assert [e["kind"] for e in ws.events()] == ["run_start", "tool_call", "denial", "run_end"]


def test_command_runtime_in_shell(ws: Ws) -> None:
    script = 'read -r start; echo \'{"type": "output", "output": {"lang": "sh"}}\''
    ws.add(charter("sh", runtime=f"command: [/bin/sh, -c, {json.dumps(script)}]"))
    res = ws.run("sh", {})
    assert res.status == "ok" and res.output == {"lang": "sh"}


@pytest.mark.parametrize(
    ("script", "error"),
    [
        ("read -r s; echo not-json", "wrote a line that is not JSON"),
        ("read -r s; exit 4", "command exited (code 4) without an output"),
        (
            'read -r s; echo \'{"type": "fail", "message": "cannot do it"}\'',
            "charter/bad: cannot do it",
        ),
    ],
)
def test_command_runtime_failures(ws: Ws, script: str, error: str) -> None:
    ws.add(charter("bad", runtime=f"command: [/bin/sh, -c, {json.dumps(script)}]"))
    res = ws.run("bad", {})
    assert res.status == "error"
    assert error in (res.error or "")
    assert ws.events("run_end")[0]["status"] == "error"


@pytest.fixture
def model() -> Iterator[ScriptedModel]:
    m = ScriptedModel(
        [
            tool_call(1, "sys__read", {"q": "stock"}),
            tool_call(2, "sys__write", {"q": "order"}),
            {"role": "assistant", "content": '{"answer": "done", "n": 2}'},
        ]
    )
    yield m
    m.server.close()


def model_charter(url: str, budget: str = "{}") -> str:
    return charter(
        "llm",
        runtime=(
            f"model: {{base_url: '{url}/v1', model: test-model, api_key_env: LLM_KEY, "
            "system_prompt: 'You are careful.', usd_per_1k_input_tokens: 0.5, "
            "usd_per_1k_output_tokens: '$1.00'}"
        ),
        tools="[sys.read]",
        budget=budget,
    )


def test_model_runtime_with_tool_calls(ws: Ws, model: ScriptedModel) -> None:
    ws.add(model_charter(model.server.url))
    res = ws.run("llm", {"task": "restock"}, environ={"LLM_KEY": KEY})
    assert res.status == "ok", res.error
    assert res.output == {"answer": "done", "n": 2}
    assert res.model_calls == 3 and res.tool_calls == 1 and res.tokens == 120
    # 3 calls of 20 input tokens at $0.5/1k and 20 output tokens at $1/1k, one $0.01 tool
    assert res.cost_usd == Decimal("0.01") + 3 * (Decimal("0.01") + Decimal("0.02"))
    reqs = model.server.requests
    assert reqs[0]["headers"]["authorization"] == f"Bearer {KEY}"
    first = reqs[0]["body"]
    assert first["model"] == "test-model"
    assert first["messages"][0] == {"role": "system", "content": "You are careful."}
    assert first["messages"][1] == {"role": "user", "content": '{"task": "restock"}'}
    tools = {t["function"]["name"]: t["function"] for t in first["tools"]}
    assert set(tools) == {"sys__read", "sys__secret", "sys__typed"}
    assert tools["sys__typed"]["parameters"]["required"] == ["n"]
    # the tool result and the denial went back to the model as tool messages
    msgs = reqs[2]["body"]["messages"]
    assert json.loads(msgs[3]["content"]) == {"echo": {"q": "stock"}, "op": "read"}
    denied = json.loads(msgs[5]["content"])["error"]
    assert denied["kind"] == "denied" and denied["rule"] == "scope"
    assert ws.calls("write") == 0
    kinds = [e["kind"] for e in ws.events()]
    assert kinds == [
        "run_start",
        "model_call",
        "tool_call",
        "model_call",
        "denial",
        "model_call",
        "run_end",
    ]
    mc = ws.events("model_call")[0]
    assert mc["operation"] == "test-model" and mc["tokens"] == 40
    assert mc["cost_usd"] == pytest.approx(0.03)
    attrs = json.loads(mc["attrs"])
    assert attrs["input_tokens"] == 20 and attrs["output_tokens"] == 20
    assert attrs["max_tokens"] is None  # no max_tokens and no budget: none sent
    assert "max_tokens" not in first
    assert mc["prompt_hash"] is not None
    for suffix in ("", "-wal"):
        f = ws.ledger_path.with_name(ws.ledger_path.name + suffix)
        if f.exists():
            assert KEY.encode() not in f.read_bytes()


def test_model_token_budget_is_a_hard_stop(ws: Ws, model: ScriptedModel) -> None:
    ws.add(model_charter(model.server.url, budget="{per_run: {tokens: 60}}"))
    res = ws.run("llm", {}, environ={"LLM_KEY": KEY})
    assert res.status == "stopped"
    assert res.error == "budget per run of charter/llm reached: 60 tokens (used 80)"
    assert ws.calls("read") == 1  # the first model turn ran its tool, the second was stopped
    assert model.server.requests[0]["body"]["max_tokens"] == 60
    assert model.server.requests[1]["body"]["max_tokens"] == 20


def test_model_runtime_without_key_fails_cleanly(ws: Ws, model: ScriptedModel) -> None:
    ws.add(model_charter(model.server.url))
    res = ws.run("llm", {}, environ={})
    assert res.status == "error"
    assert res.error == "environment variable LLM_KEY (the model's API key) is not set"
    assert model.server.requests == []
