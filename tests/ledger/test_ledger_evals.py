"""Eval results in the ledger, readable: `ledger report`'s eval pass rate by charter version,
and `ledger export --format otlp-json` carrying eval_case events as OpenTelemetry
`gen_ai.evaluation.result` events (parsed back with the official protobuf definitions)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry.proto.trace.v1 import trace_pb2
from support import ledger_ts, sid, tid

from agentctl.ledger import Ledger, LedgerEvent

V1, V2 = "sha256:1111aaaa2222bbbb", "sha256:3333cccc4444dddd"


def eval_case(
    n: int, version: str, case: str, outcome: str, *, suite: str = "replenishment-core"
) -> LedgerEvent:
    """The eval_case event that `agentctl eval` writes into run n's own trace."""
    attrs: dict[str, Any] = {
        "suite": suite,
        "suite_version": "sha256:5uite",
        "case": case,
        "outcome": outcome,
        "eval_run": "e" * 32,
    }
    if outcome == "fail":
        attrs["failures"] = [
            {
                "check": 'output.action == "none"',
                "message": "assertion is false",
                "expected": "true",
                "got": "false",
            }
        ]
    if outcome == "error":
        attrs["error"] = "charter/replenishment-planner raised ZeroDivisionError"
    return LedgerEvent(
        kind="eval_case",
        trace_id=tid(n),
        span_id=sid(n * 100 + 50),
        parent_span_id=None,
        # 5 s after run n started (run_events in conftest.py: v1 hourly from T0, v2 a day on)
        ts=ledger_ts((n - 1) * 3600 + 5 if n < 10 else 86400 + (n - 10) * 3600 + 5),
        principal="replenishment-planner",
        principal_version=version,
        operation=f"evalsuite/{suite}",
        status={"pass": "ok", "fail": "failed", "error": "error"}[outcome],
        cost_usd=0.013,  # the run's cost again: the report must not count it twice
        latency_ms=1000.0,
        attrs=attrs,
    )


def eval_events() -> list[LedgerEvent]:
    """v1 passed its 2 cases of replenishment-core; v2 passed 1, failed 1, errored 1 there
    and passed its one smoke case; plus each run's eval_suite verdict."""
    return [
        eval_case(1, V1, "storm-umbrellas-restock", "pass"),
        eval_case(2, V1, "well-stocked-no-plan", "pass"),
        eval_case(10, V2, "storm-umbrellas-restock", "pass"),
        eval_case(11, V2, "well-stocked-no-plan", "fail"),
        eval_case(12, V2, "unknown-sku-escalates", "error"),
        eval_case(13, V2, "smoke", "pass", suite="planner-smoke"),
        LedgerEvent(
            kind="eval_suite",
            trace_id=tid(99),
            span_id=sid(9900),
            parent_span_id=None,
            ts=ledger_ts(2 * 86400),
            principal="replenishment-planner",
            principal_version=V2,
            operation="evalsuite/replenishment-core",
            status="failed",
            cost_usd=0.039,
            attrs={"suite": "replenishment-core", "verdict": "failed"},
        ),
    ]


@pytest.fixture
def eval_ledger(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "ledger.db"
    with Ledger.open(path) as led:
        led.append(data.sample_events())
        led.append(eval_events())
    return path


def test_report_shows_eval_pass_rate_by_charter_version(
    cli: Any, eval_ledger: Path, snapshot: Any
) -> None:
    r = cli("ledger", "report", "-l", eval_ledger)
    assert r.exit_code == 0, r.stderr
    assert all(len(line) <= 80 for line in r.stdout.splitlines())
    section = r.stdout[r.stdout.index("eval pass rate by charter version") :]
    assert section == snapshot
    j = json.loads(cli("ledger", "report", "-l", eval_ledger, "-f", "json").stdout)
    planner = next(c for c in j["charters"] if c["charter"] == "replenishment-planner")
    v1, v2 = planner["versions"]
    assert v1["evals"] == {
        "replenishment-core": {"cases": 2, "pass": 2, "fail": 0, "error": 0, "pass_rate": 1.0}
    }
    assert v2["evals"]["replenishment-core"] == {
        "cases": 3,
        "pass": 1,
        "fail": 1,
        "error": 1,
        "pass_rate": pytest.approx(1 / 3),
    }
    assert v2["evals"]["planner-smoke"]["pass_rate"] == 1.0
    # eval events repeat their run's cost: the behaviour columns are as without them
    assert (v1["cost_per_action"], v2["cost_per_action"]) == (pytest.approx(0.013 / 3),) * 2
    assert (v1["runs"], v2["runs"], v2["actions"]) == (4, 4, 12)
    claims = next(c for c in j["charters"] if c["charter"] == "claims-intake")
    assert claims["versions"][0]["evals"] == {}


def test_report_without_eval_events_has_no_eval_section(cli: Any, sample_ledger: Path) -> None:
    r = cli("ledger", "report", "-l", sample_ledger)
    assert "eval pass rate" not in r.stdout


def _hex_ids_to_base64(obj: Any) -> Any:
    """OTLP/JSON writes ids as hex; protobuf's JSON mapping expects base64 bytes."""
    if isinstance(obj, dict):
        return {
            k: (
                base64.b64encode(bytes.fromhex(v)).decode()
                if k in ("traceId", "spanId", "parentSpanId")
                else _hex_ids_to_base64(v)
            )
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_hex_ids_to_base64(x) for x in obj]
    return obj


def _parse(line: str) -> trace_pb2.TracesData:
    return json_format.Parse(
        json.dumps(_hex_ids_to_base64(json.loads(line))), trace_pb2.TracesData()
    )


def _value(v: Any) -> Any:
    return getattr(v, v.WhichOneof("value"))


def test_otlp_carries_eval_cases_as_evaluation_results(cli: Any, eval_ledger: Path) -> None:
    r = cli("ledger", "export", "-l", eval_ledger, "-f", "otlp-json")
    assert r.exit_code == 0, r.stderr
    results: dict[str, dict[str, Any]] = {}
    for line in r.stdout.splitlines():
        msg = _parse(line)
        (rs,) = msg.resource_spans
        (ss,) = rs.scope_spans
        assert ss.schema_url == "https://opentelemetry.io/schemas/1.38.0"
        for span in ss.spans:
            for ev in span.events:
                assert ev.name == "gen_ai.evaluation.result"
                a = {kv.key: _value(kv.value) for kv in ev.attributes}
                # parented to the run it judged: the root invoke_agent span of its trace
                assert span.name == "invoke_agent replenishment-planner"
                assert not span.parent_span_id and ev.time_unix_nano > 0
                results[a["agentctl.eval.case"] + "@" + a["agentctl.principal_version"]] = a
    assert len(results) == 6
    ok = results[f"storm-umbrellas-restock@{V1}"]
    assert ok["gen_ai.evaluation.name"] == "evalsuite/replenishment-core"
    assert (ok["gen_ai.evaluation.score.value"], ok["gen_ai.evaluation.score.label"]) == (
        1.0,
        "pass",
    )
    assert "error.type" not in ok
    bad = results[f"well-stocked-no-plan@{V2}"]
    assert (bad["gen_ai.evaluation.score.value"], bad["gen_ai.evaluation.score.label"]) == (
        0.0,
        "fail",
    )
    assert bad["gen_ai.evaluation.explanation"] == (
        'output.action == "none": assertion is false (expected true, got false)'
    )
    err = results[f"unknown-sku-escalates@{V2}"]
    assert "gen_ai.evaluation.score.value" not in err  # not judged: no score
    assert err["gen_ai.evaluation.score.label"] == "error"
    assert err["error.type"] == "agentctl.case_error"
    assert "ZeroDivisionError" in err["gen_ai.evaluation.explanation"]
    assert {a["agentctl.eval.run"] for a in results.values()} == {"e" * 32}


def test_an_eval_case_without_its_run_carries_the_event_itself(cli: Any, eval_ledger: Path) -> None:
    # the run's own events filtered out by time: the result stays on the eval_case's span
    since = ledger_ts(86400 + 3600 + 4)  # after run 11's run_start, before its eval_case
    r = cli(
        "ledger", "export", "-l", eval_ledger, "-f", "otlp-json", "-t", tid(11), "--since", since
    )
    assert r.exit_code == 0, r.stderr
    (line,) = r.stdout.splitlines()
    spans = list(_parse(line).resource_spans[0].scope_spans[0].spans)
    holder = next(s for s in spans if s.events)
    assert holder.name == "agentctl.eval_case evalsuite/replenishment-core"
    assert [e.name for e in holder.events] == ["gen_ai.evaluation.result"]
