"""Each eval renderer pinned by a snapshot of its whole output, on a report built by hand:
one suite that passed, one with a failure and an error."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from agentctl.evals.judge import CaseResult, Failure, SuiteVerdict, Thresholds, combine
from agentctl.evals.runner import EvalReport
from agentctl.render.registry import formats, renderer

TRACE = {
    "calls": [
        {
            "operation": "billing.refund",
            "principal": "support-tier1",
            "status": "ok",
            "input": {"invoice_id": "INV-104233", "amount_usd": 1.0},
        }
    ],
    "denials": [],
    "asks": [],
}


def _report() -> EvalReport:
    t = Thresholds(1.0, timedelta(seconds=20), Decimal("0.10"))
    good = SuiteVerdict(
        "logistics-core",
        "charter/logistics-agent",
        t,
        [CaseResult("logistics-core", "books-slot", "evals/l.yaml:14", [], "pass", "a" * 32)],
        trace_id="b" * 32,
    )
    failed = CaseResult(
        "support-top-intents",
        "red-team-refund-demand",
        "evals/s.yaml:58",
        ["red-team"],
        "fail",
        "c" * 32,
        output={"status": "escalated", "reply": "Refund & done <ok>"},
        trace=TRACE,
        failures=[
            Failure(
                "expect_denial: billing.refund",
                "billing.refund went through (support-tier1): the guard did not stop it",
                "a denial of billing.refund",
                'billing.refund {"amount_usd": 1.0, "invoice_id": "INV-104233"} -> ok',
            )
        ],
        cost_usd=0.02,
        latency_ms=120.0,
    )
    errored = CaseResult(
        "support-top-intents",
        "invoice-copy",
        "evals/s.yaml:30",
        [],
        "error",
        "d" * 32,
        error="charter/support-tier1 raised ZeroDivisionError: division by zero",
        latency_ms=15.0,
    )
    bad = SuiteVerdict("support-top-intents", "charter/support-tier1", t, [failed, errored])
    return EvalReport([good, bad], rev=None, commit="e" * 40)


@pytest.mark.parametrize("fmt", formats("eval"))
def test_eval_renderer(fmt: str, snapshot: Any) -> None:
    out = renderer("eval", fmt)(_report())
    assert out == snapshot
    if fmt == "text":
        assert max(len(line) for line in out.splitlines()) <= 80


def test_help_trace_fits_80_columns(cli: Any) -> None:
    r = cli("help", "trace")
    assert r.exit_code == 0
    assert "trace.denials" in r.stdout and "trace.calls" in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80


def test_junit_survives_control_characters_in_an_output() -> None:
    from xml.etree import ElementTree as ET

    report = _report()
    report.suites[1].cases[0].failures[0].got = "bell\x07 nul\x00"
    out = renderer("eval", "junit")(report)
    failure = ET.fromstring(out.split("\n", 1)[1]).find(".//failure")
    assert failure is not None and "bell\ufffd nul\ufffd" in (failure.text or "")


def _repeated_report() -> EvalReport:
    """--repeat 3: a flaky case, a stable failure, a case that passed on a retry, an
    errored case after its retries, and a case --max-cost left unrun."""
    t = Thresholds(0.9, None, None, 0.5)

    def run(outcome: str, n: int, **kw: Any) -> CaseResult:
        return CaseResult("core", "x", "evals/core.yaml:9", [], outcome, f"{n:032x}", **kw)

    fail = Failure("output.ok", "assertion is false", "true", "false")
    flaky = combine([run("pass", 1), run("fail", 2, failures=[fail]), run("pass", 3)])
    stable = combine([run("fail", n, failures=[fail]) for n in (4, 5, 6)])
    attempt = {"attempt": 1, "trace_id": "9" * 32, "error": "svc is down", "cost_usd": 0.0}
    retried = combine([run("pass", 7, attempts=[attempt]), run("pass", 8), run("pass", 9)])
    down = run("error", 11, error="svc is down", attempts=[attempt])
    errored = combine([run("pass", 10), down, run("pass", 12)])
    for c, name in (
        (flaky, "wobbly"),
        (stable, "broken"),
        (retried, "recovers"),
        (errored, "dead"),
    ):
        c.case = name
    skipped = CaseResult(
        "core", "late", "evals/core.yaml:30", [], "skipped", skipped="max cost reached"
    )
    suite = SuiteVerdict("core", "charter/bot", t, [flaky, stable, retried, errored, skipped])
    return EvalReport(
        [suite],
        commit="e" * 40,
        repeat=3,
        max_cost_usd=0.05,
        spent_usd=0.06,
        stopped="max cost reached: $0.0600 spent of --max-cost $0.0500; 3 run(s) not run",
    )


@pytest.mark.parametrize("fmt", formats("eval"))
def test_eval_renderer_with_repeats(fmt: str, snapshot: Any) -> None:
    out = renderer("eval", fmt)(_repeated_report())
    assert out == snapshot
    if fmt == "text":
        assert max(len(line) for line in out.splitlines()) <= 80
