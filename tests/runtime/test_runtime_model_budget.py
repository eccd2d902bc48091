"""Model pricing and budgets: the USD cost of a model call comes from the ModelRuntime's
input/output prices and the usage the endpoint reports; USD and token budgets stop a call
before it is sent when its worst case (max_tokens, all generated) does not fit."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from rt_helpers import (  # noqa: F401 - ws_fixture
    KEY,
    NOW,
    ScriptedModel,
    Ws,
    charter,
    tool_call,
    ws_fixture,
)

FINAL = {"role": "assistant", "content": '{"answer": "done"}'}
ENV = {"LLM_KEY": KEY}


def llm(url: str, budget: str = "{}", max_tokens: int | None = None, env: str = "") -> str:
    extra = f", max_tokens: {max_tokens}" if max_tokens is not None else ""
    return charter(
        "llm",
        runtime=(
            f"model: {{base_url: '{url}/v1', model: m1, api_key_env: LLM_KEY, "
            f"usd_per_1k_input_tokens: 0.5, usd_per_1k_output_tokens: '$1'{extra}}}{env}"
        ),
        tools="[sys.read]",
        budget=budget,
    )


@pytest.fixture
def model() -> Iterator[ScriptedModel]:
    # each reply reports 20 prompt + 20 completion tokens: $0.01 + $0.02
    m = ScriptedModel(
        [
            tool_call(1, "sys__read", {"q": "stock"}),  # + a $0.01 tool call
            tool_call(2, "sys__write", {"q": "order"}),  # denied: scope
            FINAL,
        ]
    )
    yield m
    m.server.close()


def sent_max_tokens(m: ScriptedModel) -> list[Any]:
    return [r["body"].get("max_tokens") for r in m.server.requests]


def denial_attrs(ws: Ws) -> list[dict[str, Any]]:
    return [json.loads(d["attrs"]) for d in ws.events("denial")]


def test_cost_from_input_and_output_prices(ws: Ws, model: ScriptedModel) -> None:
    ws.add(llm(model.server.url))
    res = ws.run("llm", {}, environ=ENV)
    assert res.status == "ok", res.error
    assert res.cost_usd == Decimal("0.01") + 3 * Decimal("0.03")
    for mc in ws.events("model_call"):
        attrs = json.loads(mc["attrs"])
        assert (attrs["input_tokens"], attrs["output_tokens"]) == (20, 20)
        assert mc["tokens"] == 40 and mc["cost_usd"] == pytest.approx(0.03)
        assert "usage_estimated" not in attrs


def test_configured_max_tokens_over_the_usd_left_is_refused_before_sending(
    ws: Ws, model: ScriptedModel
) -> None:
    ws.add(llm(model.server.url, budget="{per_run: {usd: 0.05}}", max_tokens=20))
    res = ws.run("llm", {}, environ=ENV)
    # call 1 ($0.03) and its tool ($0.01) leave $0.01: 20 tokens at $1/1k would be $0.02
    assert res.status == "stopped"
    assert len(model.server.requests) == 1
    assert res.error == (
        "model call refused before it was sent: its worst case (max_tokens 20 at $1.00/1k "
        "output tokens is $0.02) exceeds the $0.01 left in the budget of charter/llm per run"
    )
    (d,) = ws.events("denial")
    assert d["status"] == "stopped" and d["operation"] == "m1"
    assert denial_attrs(ws)[0] | {"reason": ""} == {
        "reason": "",
        "rule": "budget",
        "limit": "usd",
        "period": "run",
    }
    assert d["prompt_hash"] is None and d["input_hash"] is not None  # the refused prompt
    assert sum(e["cost_usd"] for e in ws.events()) <= 0.05


def test_without_max_tokens_the_usd_left_caps_it(ws: Ws, model: ScriptedModel) -> None:
    ws.add(llm(model.server.url, budget="{per_run: {usd: 0.1}}"))
    res = ws.run("llm", {}, environ=ENV)
    assert res.status == "ok", res.error
    # $0.10 → 100 tokens at $1/1k; then $0.06 left (call $0.03 + tool $0.01); then $0.03
    assert sent_max_tokens(model) == [100, 60, 30]
    attrs = [json.loads(e["attrs"])["max_tokens"] for e in ws.events("model_call")]
    assert attrs == [100, 60, 30]


def test_configured_max_tokens_over_the_tokens_left_is_refused(
    ws: Ws, model: ScriptedModel
) -> None:
    ws.add(llm(model.server.url, budget="{per_run: {tokens: 60}}", max_tokens=30))
    res = ws.run("llm", {}, environ=ENV)
    assert res.status == "stopped"
    assert sent_max_tokens(model) == [30]
    assert res.error == (
        "model call refused before it was sent: its worst case (max_tokens 30) exceeds the "
        "20 tokens left in the budget of charter/llm per run"
    )
    assert denial_attrs(ws)[0]["limit"] == "tokens"


def test_daily_usd_budget_counts_earlier_runs(ws: Ws) -> None:
    ws.add(
        charter(
            "llm",
            runtime=(
                "model: {base_url: 'URL/v1', model: m1, max_tokens: 20, "
                "usd_per_1k_input_tokens: 0.5, usd_per_1k_output_tokens: 1}"
            ),
            budget="{per_day: {usd: 0.045}}",
        )
    )
    first = ScriptedModel([FINAL, FINAL])
    try:
        (ws.root / "res.yaml").write_text(
            (ws.root / "res.yaml").read_text().replace("URL", first.server.url)
        )
        assert ws.run("llm", {}).status == "ok"  # $0.03 of $0.045
        res = ws.run("llm", {}, start=NOW + dt.timedelta(hours=2))
        assert res.status == "stopped"
        assert len(first.server.requests) == 1  # the second run's call was never sent
        assert "exceeds the $0.015 left in the budget of charter/llm per day" in (res.error or "")
        tomorrow = NOW + dt.timedelta(days=1)
        assert ws.run("llm", {}, start=tomorrow).status == "ok"
        assert len(first.server.requests) == 2
    finally:
        first.server.close()


@pytest.mark.parametrize(
    ("usage", "tokens", "cost"),
    [
        ({"total_tokens": 50}, (0, 50), 0.05),  # no split: all at the higher price
        (None, (0, 25), 0.025),  # no usage at all: the max_tokens sent, all generated
    ],
)
def test_usage_without_a_split_is_charged_at_the_worst(
    ws: Ws, usage: Any, tokens: tuple[int, int], cost: float
) -> None:
    m = ScriptedModel([FINAL], usage=usage)
    try:
        ws.add(llm(m.server.url, max_tokens=25))
        res = ws.run("llm", {}, environ=ENV)
        assert res.status == "ok", res.error
        (mc,) = ws.events("model_call")
        attrs = json.loads(mc["attrs"])
        assert (attrs["input_tokens"], attrs["output_tokens"]) == tokens
        assert attrs["usage_estimated"] is True
        assert mc["cost_usd"] == pytest.approx(cost)
    finally:
        m.server.close()


def test_the_old_single_price_is_refused(ws: Ws, model: ScriptedModel) -> None:
    ws.add(llm(model.server.url, env=", env: {AGENTCTL_USD_PER_1K_TOKENS: '0.5'}"))
    res = ws.run("llm", {}, environ=ENV)
    assert res.status == "error"
    assert res.error == "spec.runtime.env.AGENTCTL_USD_PER_1K_TOKENS is no longer read"
    assert model.server.requests == []


def test_python_runtime_prices_from_its_env(ws: Ws) -> None:
    m = ScriptedModel([{"role": "assistant", "content": "hello"}])
    try:
        env = (
            f"AGENTCTL_MODEL_BASE_URL: '{m.server.url}/v1', AGENTCTL_MODEL: m2, "
            "AGENTCTL_MODEL_USD_PER_1K_INPUT_TOKENS: '2', "
            "AGENTCTL_MODEL_USD_PER_1K_OUTPUT_TOKENS: '4'"
        )
        ws.add(charter("py", runtime=f'python: "rt_agents:chat", env: {{{env}}}'))
        res = ws.run("py", {})
        assert res.status == "ok" and res.output == {"reply": "hello"}
        assert res.cost_usd == Decimal("0.12")  # 20 x $2/1k + 20 x $4/1k
    finally:
        m.server.close()


def test_otlp_export_reads_the_token_split(cli: Any, ws: Ws, model: ScriptedModel) -> None:
    ws.add(llm(model.server.url))
    ws.run("llm", {}, environ=ENV)
    r = cli("ledger", "export", "--format", "otlp-json", "--ledger", ws.ledger_path)
    assert r.exit_code == 0, r.stderr
    spans = [
        span
        for line in r.stdout.splitlines()
        for rs in json.loads(line)["resourceSpans"]
        for ss in rs["scopeSpans"]
        for span in ss["spans"]
    ]
    chats = [s for s in spans if s["name"] == "chat m1"]
    assert len(chats) == 3
    attrs = {a["key"]: a["value"] for a in chats[0]["attributes"]}
    assert attrs["gen_ai.usage.input_tokens"] == {"intValue": "20"}
    assert attrs["gen_ai.usage.output_tokens"] == {"intValue": "20"}
