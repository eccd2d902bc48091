"""End to end through the runtime and a real ledger: every denial is recorded and the
denied call never reaches the connector (the marker connector proves it)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from rt_helpers import NOW, WORKER, Ws, charter, ws_fixture  # noqa: F401 - ws_fixture
from support import contract

from agentctl.ledger import Ledger


def steps(*s: tuple[str, str, object]) -> dict[str, object]:
    return {"steps": [list(x) for x in s]}


def denials(ws: Ws) -> list[dict[str, Any]]:
    return [{**e, "attrs": json.loads(e["attrs"])} for e in ws.events("denial")]


def test_granted_call_runs_and_is_recorded(ws: Ws) -> None:
    ws.add(WORKER)
    res = ws.run("worker", steps(("call", "sys.read", {"x": 1})))
    assert res.status == "ok"
    assert res.output == {"results": [{"ok": {"op": "read", "echo": {"x": 1}}}]}
    assert ws.calls("read") == 1
    kinds = [e["kind"] for e in ws.events()]
    assert kinds == ["run_start", "tool_call", "run_end"]
    start, call, end = ws.events()
    assert call["operation"] == "sys.read" and call["cost_usd"] == 0.01
    assert call["parent_span_id"] == start["span_id"] == end["span_id"]
    assert start["trace_id"] == call["trace_id"] == res.trace_id
    assert start["principal"] == "worker"
    assert start["principal_version"] == ws.version("worker")
    assert start["ts"] == "2026-11-25T10:00:00." + start["ts"][20:26] + "Z"
    assert ws.verify().ok


def test_scope_denied_never_executed(ws: Ws) -> None:
    ws.add(WORKER)
    res = ws.run("worker", steps(("call", "sys.write", {"x": 1})))
    assert res.status == "ok"  # the agent caught the denial and went on
    assert res.output["results"][0]["denied"] == "scope"
    assert ws.calls("write") == 0
    (d,) = denials(ws)
    assert d["operation"] == "sys.write" and d["status"] == "denied"
    assert d["attrs"]["rule"] == "scope" and d["attrs"]["scope"] == "sys.write"
    assert d["parent_span_id"] == ws.events("run_start")[0]["span_id"]


def test_uncaught_denial_fails_the_run(ws: Ws) -> None:
    ws.add(WORKER)
    res = ws.run("worker", {**steps(("call", "sys.write", {})), "catch": False})
    assert res.status == "denied"
    assert res.error == "charter/worker is not granted scope 'sys.write' (needed by sys.write)"
    assert ws.events("run_end")[0]["status"] == "denied"


def test_data_class_denied_never_executed(ws: Ws) -> None:
    ws.add(WORKER)
    res = ws.run("worker", steps(("call", "sys.secret", {})))
    assert res.output["results"][0]["denied"] == "data-class"
    assert ws.calls("secret") == 0
    (d,) = denials(ws)
    assert d["attrs"]["data_class"] == "pii.ssn"
    assert json.loads(d["data_classes"]) == ["pii.ssn"]


def test_rate_limit_denied(ws: Ws) -> None:
    ws.add(WORKER)
    res = ws.run("worker", steps(*[("call", "limited.ping", {})] * 3))
    assert [list(r) for r in res.output["results"]] == [["ok"], ["ok"], ["denied", "message"]]
    assert ws.calls("ping") == 2
    assert denials(ws)[0]["attrs"]["rule"] == "rate-limit"


def test_budget_per_run_is_a_hard_stop(ws: Ws) -> None:
    ws.add(charter("b", tools="[sys.read]", budget="{per_run: {usd: 0.03}}"))
    res = ws.run("b", steps(*[("call", "sys.read", {})] * 5))
    assert res.status == "stopped"  # even though the agent caught the denial
    assert ws.calls("read") == 3
    assert res.error == "budget per run of charter/b reached: $0.03 (spent $0.03, this call $0.01)"
    d = denials(ws)
    assert [x["status"] for x in d] == ["stopped", "stopped"]
    assert d[0]["attrs"]["limit"] == "usd" and d[0]["attrs"]["period"] == "run"
    assert ws.events("run_end")[0]["status"] == "stopped"


def test_tool_call_and_step_limits(ws: Ws) -> None:
    ws.add(
        charter("t", tools="[sys.read]", budget="{per_run: {tool_calls: 2}}"),
        charter("s", tools="[sys.read]", budget="{per_run: {steps: 1}}"),
    )
    assert ws.run("t", steps(*[("call", "sys.read", {})] * 3)).status == "stopped"
    assert ws.calls("read") == 2
    assert ws.run("s", steps(*[("call", "sys.read", {})] * 3)).status == "stopped"
    assert ws.calls("read") == 3


def test_wall_time_is_a_hard_stop(ws: Ws) -> None:
    ws.add(charter("w", tools="[sys.read]", budget="{per_run: {wall_time: 100ms}}"))
    res = ws.run(
        "w", steps(("call", "sys.read", {}), ("sleep", "", 0.15), ("call", "sys.read", {}))
    )
    assert res.status == "stopped"
    assert ws.calls("read") == 1
    assert denials(ws)[0]["attrs"]["limit"] == "wall_time"


def test_budget_per_day_reads_the_ledger(ws: Ws) -> None:
    ws.add(charter("d", tools="[sys.read]", budget="{per_day: {usd: 0.03}}"))
    assert ws.run("d", steps(*[("call", "sys.read", {})] * 2)).status == "ok"
    res = ws.run("d", steps(*[("call", "sys.read", {})] * 2), start=NOW + dt.timedelta(hours=1))
    assert res.status == "stopped"
    assert ws.calls("read") == 3
    assert "budget per day of charter/d reached" in (res.error or "")
    # the next day starts from zero
    tomorrow = NOW + dt.timedelta(days=1)
    assert ws.run("d", steps(*[("call", "sys.read", {})] * 2), start=tomorrow).status == "ok"
    assert ws.calls("read") == 5


def test_spent_day_refuses_the_run_before_any_call(ws: Ws) -> None:
    ws.add(charter("d", tools="[sys.read]", budget="{per_day: {tool_calls: 2}}"))
    ws.run("d", steps(*[("call", "sys.read", {})] * 2))
    res = ws.run("d", steps(("call", "sys.read", {})))
    assert res.status == "stopped"
    assert ws.calls("read") == 2
    last = ws.events()[-3:]
    assert [e["kind"] for e in last] == ["run_start", "denial", "run_end"]


def test_expired_credential_refuses_the_run(ws: Ws) -> None:
    ws.add(charter("c", tools="[sys.read]", credential="{issued: 2025-01-01, lifetime: 30d}"))
    res = ws.run("c", steps(("call", "sys.read", {})))
    assert res.status == "denied"
    assert res.error == "the credential of charter/c expired on 2025-01-31"
    assert ws.calls("read") == 0
    assert denials(ws)[0]["attrs"]["rule"] == "credential-expired"


def test_paused_charter_refuses_the_run(ws: Ws) -> None:
    ws.add(charter("p", tools="[sys.read]", paused="true"))
    res = ws.run("p", steps(("call", "sys.read", {})))
    assert res.status == "denied" and res.error == "charter/p is paused: runs are refused"
    assert ws.calls("read") == 0


def test_input_schema_failure_is_a_denial(ws: Ws) -> None:
    ws.add(WORKER)
    res = ws.run("worker", steps(("call", "sys.typed", {"n": "seven"}), ("call", "sys.typed", {})))
    r = res.output["results"]
    assert r[0]["denied"] == "input-schema"
    assert r[0]["message"] == (
        "input of sys.typed does not match its schema: at 'n': 'seven' is not of type 'integer'"
    )
    assert "'n' is a required property" in r[1]["message"]
    assert ws.calls("typed") == 0


def test_output_schema_failure_is_a_tool_error(ws: Ws) -> None:
    ws.add(WORKER)
    res = ws.run("worker", steps(("call", "sys.typed", {"n": 13})))
    assert res.output["results"][0] == {
        "error": "output of sys.typed does not match its schema: at 'ok': 'yes' is not of type "
        "'boolean'"
    }
    (call,) = ws.events("tool_call")
    assert call["status"] == "error"
    assert "is not of type 'boolean'" in json.loads(call["attrs"])["error"]


def test_agent_bug_and_bad_output_fail_the_run(ws: Ws) -> None:
    ws.add(
        charter("bug", runtime='python: "rt_agents:broken"'),
        charter("list", runtime='python: "rt_agents:not_a_dict"'),
    )
    res = ws.run("bug", {})
    assert res.status == "error"
    assert res.error == "charter/bug raised RuntimeError: the agent has a bug"
    res = ws.run("list", {})
    assert res.status == "error" and res.error == "charter/list returned list, expected an object"
    assert [e["status"] for e in ws.events("run_end")] == ["error", "error"]


CONTRACT = contract(
    "c1",
    cost_ceiling={"per_request_usd": 0.015},
    sla={"latency": "1m", "field_coverage": 1.0, "fields": ["answer"]},
    on_breach={"escalate": "role/ops"},
)


def contract_ws(ws: Ws) -> Ws:
    return ws.add(
        charter("asker", tools="[sys.read]"),
        charter("helper", tools="[sys.read, sys.write]"),
        charter("loner", tools="[sys.read]"),
        CONTRACT,
    )


def ask(payload: dict[str, object], target: str = "charter/helper") -> dict[str, object]:
    return steps(("ask", target, payload))


def test_ask_under_a_contract_nests_the_provider_run(ws: Ws) -> None:
    contract_ws(ws)
    res = ws.run("asker", ask({**steps(("call", "sys.read", {})), "extra": {"answer": 42}}))
    assert res.status == "ok"
    assert res.output["results"][0]["ok"]["answer"] == 42
    ev = ws.events()
    assert [(e["kind"], e["principal"]) for e in ev] == [
        ("run_start", "asker"),
        ("run_start", "helper"),
        ("tool_call", "helper"),
        ("run_end", "helper"),
        ("agent_request", "asker"),
        ("run_end", "asker"),
    ]
    req = ev[4]
    assert req["operation"] == "charter/helper"
    assert json.loads(req["attrs"])["contract"] == "c1"
    assert json.loads(req["attrs"])["sla_missed"] is False
    assert ev[1]["parent_span_id"] == req["span_id"]
    assert req["parent_span_id"] == ev[0]["span_id"]
    assert len({e["trace_id"] for e in ev}) == 1


def test_ask_without_contract_is_denied(ws: Ws) -> None:
    contract_ws(ws)
    res = ws.run("asker", ask({**steps(("call", "sys.read", {}))}, "charter/loner"))
    assert res.output["results"][0]["denied"] == "contract"
    assert ws.calls("read") == 0
    assert [e["principal"] for e in ws.events("run_start")] == ["asker"]


def test_ask_outside_the_validity_period_is_denied(ws: Ws) -> None:
    contract_ws(ws)
    res = ws.run("asker", ask(steps(("call", "sys.read", {}))), today=dt.date(2027, 1, 5))
    assert res.output["results"][0]["denied"] == "contract-validity"
    assert ws.calls("read") == 0


def test_provider_is_held_to_the_contract_scopes(ws: Ws) -> None:
    contract_ws(ws)
    res = ws.run("asker", ask({**steps(("call", "sys.write", {})), "extra": {"answer": 1}}))
    inner = res.output["results"][0]["ok"]["results"][0]
    assert inner["denied"] == "contract-scope"
    assert ws.calls("write") == 0
    d = denials(ws)[0]
    assert d["principal"] == "helper" and d["attrs"]["rule"] == "contract-scope"


def test_contract_cost_ceiling_holds(ws: Ws) -> None:
    contract_ws(ws)
    res = ws.run("asker", ask({**steps(*[("call", "sys.read", {})] * 3), "extra": {"answer": 1}}))
    assert ws.calls("read") == 1  # 0.01 fits the 0.015 ceiling, the second does not
    assert res.output["results"][0]["error"].startswith("charter/helper did not answer")
    d = denials(ws)[0]
    assert d["attrs"]["period"] == "request"
    (req,) = ws.events("agent_request")
    assert req["status"] == "error"


def test_sla_breach_is_escalated(ws: Ws) -> None:
    contract_ws(ws)
    ws.run("asker", ask(steps(("call", "sys.read", {}))))  # no `answer` in the output
    (req,) = ws.events("agent_request")
    attrs = json.loads(req["attrs"])
    assert attrs["sla_missed"] is True and attrs["field_coverage"] == 0.0
    (esc,) = ws.events("escalation")
    assert esc["operation"] == "role/ops" and esc["parent_span_id"] == req["span_id"]
    assert json.loads(esc["attrs"])["reasons"] == [
        "field coverage 0.00 over the day's 1 answers, under 1 (missing: answer)"
    ]


def test_unknown_charter_is_a_usage_error(ws: Ws) -> None:
    import pytest

    from agentctl.errors import UsageError

    ws.add(WORKER)
    with pytest.raises(UsageError) as exc:
        ws.run("wroker", {})
    assert exc.value.hint == "did you mean 'worker'?"
    with Ledger.open(ws.ledger_path) as led:
        assert led.count() == 0
