"""The evals core called with values: the trace built from ledger rows, assertions,
expected denials, effective thresholds and the suite's verdict. No runtime, no disk."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from agentctl.evals import judge
from agentctl.evals.judge import CaseResult, SuiteVerdict, Thresholds
from agentctl.evals.trace import build_trace
from agentctl.model.kinds import Case, CharterDoc, EvalSuiteDoc

PAYLOADS = {"h-in": {"invoice_id": "INV-1"}, "h-out": {"amount_usd": 12.5}}


def _row(kind: str, **kw: Any) -> dict[str, Any]:
    base = {
        "kind": kind,
        "trace_id": "t" * 32,
        "span_id": kw.pop("span_id", "s" * 16),
        "principal": "support-tier1",
        "operation": None,
        "status": "ok",
        "input_hash": None,
        "output_hash": None,
        "prompt_hash": None,
        "data_classes": [],
        "cost_usd": 0.0,
        "latency_ms": 0.0,
        "attrs": {},
    }
    base.update(kw)
    return base


ROWS = [
    _row("run_start", span_id="a" * 16),
    _row(
        "tool_call",
        operation="billing.get_invoice",
        input_hash="h-in",
        output_hash="h-out",
        data_classes=["financial"],
        cost_usd=0.01,
        latency_ms=3.0,
        attrs={"scope": "billing.read", "effect": "read"},
    ),
    _row(
        "denial",
        operation="billing.refund",
        status="denied",
        input_hash="h-in",
        data_classes=["pii.ssn"],
        attrs={"reason": "not granted", "rule": "scope", "scope": "billing.write"},
    ),
    _row(
        "run_end",
        span_id="a" * 16,
        latency_ms=40.0,
        attrs={"total_cost_usd": 0.01, "steps": 1, "tool_calls": 1, "total_tokens": 0},
    ),
]


def _trace() -> dict[str, Any]:
    return build_trace(ROWS, lambda h: PAYLOADS.get(h) if h else None, "support-tier1")


def test_the_trace_is_built_from_the_ledger_rows() -> None:
    t = _trace()
    assert t["status"] == "ok" and t["trace_id"] == "t" * 32
    assert t["calls"] == [
        {
            "kind": "tool",
            "principal": "support-tier1",
            "operation": "billing.get_invoice",
            "scope": "billing.read",
            "effect": "read",
            "input": {"invoice_id": "INV-1"},
            "output": {"amount_usd": 12.5},
            "status": "ok",
            "error": None,
            "cost_usd": 0.01,
            "latency_ms": 3.0,
            "data_classes": ["financial"],
        }
    ]
    assert t["denials"][0]["scope"] == "billing.write"
    assert t["denials"][0]["reason"] == "not granted"
    assert (t["cost_usd"], t["latency_ms"], t["steps"], t["tool_calls"]) == (0.01, 40.0, 1, 1)


def _case(**kw: Any) -> Case:
    return Case.model_validate({"id": "c", "input": {"ticket_id": "T-1"}, **kw})


def test_assertions_true_false_and_unevaluable() -> None:
    case = _case(
        **{
            "assert": [
                "output.amount_usd == 12.5",
                "trace.calls.exists(c, c.operation == 'billing.get_invoice')",
                "output.amount_usd > 100",
                "output.missing == 1",
                "input.ticket_id == 'T-1'",
            ]
        }
    )
    got = judge.assertion_failures(case, case.input, {"amount_usd": 12.5}, _trace())
    assert [(f.check, f.message, f.got) for f in got] == [
        ("output.amount_usd > 100", "assertion is false", "false"),
        ("output.missing == 1", "cannot evaluate: no such key: 'missing'", "an error"),
    ]


def test_expect_denial_needs_a_real_denial() -> None:
    t = _trace()
    # by operation, by scope, by data class of the denied call: each matches
    for name in ("billing.refund", "billing.write", "pii.ssn"):
        assert judge.denial_failures(_case(expect_denial=[name]), t) == [], name
    missing = judge.denial_failures(_case(expect_denial=["pii.health"]), t)
    assert [(f.check, f.got) for f in missing] == [
        ("expect_denial: pii.health", "denials: billing.refund")
    ]


def test_a_forbidden_call_that_went_through_fails_with_the_call() -> None:
    # a denial elsewhere does not excuse a call under the entry that went through
    failures = judge.denial_failures(_case(expect_denial=["financial"]), _trace())
    assert len(failures) == 1
    assert failures[0].message.startswith("billing.get_invoice went through (support-tier1)")
    assert failures[0].got == 'billing.get_invoice {"invoice_id": "INV-1"} -> ok'


def _docs(gate: dict[str, Any]) -> tuple[EvalSuiteDoc, CharterDoc]:
    suite = EvalSuiteDoc.model_validate(
        {
            "apiVersion": "agentctl/v1",
            "kind": "EvalSuite",
            "metadata": {"name": "s", "owner": "role/o"},
            "spec": {
                "charter": "charter/c",
                "thresholds": {"pass_rate": 0.9, "p95_latency": "10s", "cost_per_case_usd": 0.5},
            },
        }
    )
    charter = CharterDoc.model_validate(
        {
            "apiVersion": "agentctl/v1",
            "kind": "Charter",
            "metadata": {"name": "c", "owner": "role/o"},
            "spec": {
                "scope": "x",
                "runtime": {"python": "m:f"},
                "gates": [{"suite": "evalsuite/s", **gate}],
            },
        }
    )
    return suite, charter


def test_a_gate_only_tightens_the_suite_thresholds() -> None:
    suite, charter = _docs({"min_pass_rate": 0.95, "max_p95_latency": "20s"})
    t = judge.effective_thresholds(suite, charter)
    assert t == Thresholds(0.95, timedelta(seconds=10), Decimal("0.5"))
    suite, charter = _docs({"min_pass_rate": 0.5, "max_cost_per_case_usd": 0.1})
    t = judge.effective_thresholds(suite, charter)
    assert t == Thresholds(0.9, timedelta(seconds=10), Decimal("0.1"))


def _result(outcome: str, latency: float = 10.0, cost: float = 0.0) -> CaseResult:
    return CaseResult("s", "c", "f:1", [], outcome, latency_ms=latency, cost_usd=cost)


def test_the_verdict_names_every_reason() -> None:
    t = Thresholds(0.5, timedelta(seconds=1), Decimal("0.10"))
    ok = SuiteVerdict("s", "charter/c", t, [_result("pass"), _result("fail")])
    assert ok.passed and ok.pass_rate == 0.5
    bad = SuiteVerdict(
        "s",
        "charter/c",
        t,
        [_result("pass", 2000.0, 0.2), _result("error"), _result("fail")],
    )
    assert bad.reasons == [
        "pass rate 33% is below 50%",
        "p95 latency 2.00s is above 1s",
        "a case cost $0.2000, above $0.1000",
        "1 case(s) errored and could not be judged",
    ]
    assert not SuiteVerdict("s", "charter/c", t, []).passed


def test_p95_is_nearest_rank() -> None:
    assert judge.p95([]) == 0.0
    assert judge.p95([float(i) for i in range(1, 21)]) == 19.0
    assert judge.p95([5.0]) == 5.0
