"""`eval --baseline` in every eval format, pinned by a snapshot of the whole output, on a
report built by hand: one suite compared from the ledger (a regression and an
improvement), one run at the baseline, one that the baseline does not have."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from agentctl.evals.baseline import BaselineReport, Outcome, compare_suite
from agentctl.evals.judge import CaseResult, Failure, SuiteVerdict, Thresholds
from agentctl.evals.runner import EvalReport
from agentctl.render.registry import formats, renderer


def _case(suite: str, case: str, outcome: str, n: int) -> CaseResult:
    failures = [Failure('output.action == "none"', "assertion is false", got="false")]
    return CaseResult(
        suite,
        case,
        f"evals/{suite}.yaml:{10 + n}",
        [],
        outcome,
        f"{n:032x}",
        output={"action": "escalate"} if outcome == "fail" else None,
        failures=failures if outcome == "fail" else [],
        cost_usd=0.01 * n,
        latency_ms=100.0 * n,
    )


def _report(max_regressions: int | None) -> EvalReport:
    t = Thresholds(0.5, timedelta(seconds=20), Decimal("0.10"))
    core = SuiteVerdict(
        "replenishment-core",
        "charter/replenishment-planner",
        t,
        [
            _case("replenishment-core", "storm-umbrellas-restock", "pass", 1),
            _case("replenishment-core", "well-stocked-no-plan", "fail", 2),
            _case("replenishment-core", "unknown-sku-escalates", "pass", 3),
        ],
    )
    support = SuiteVerdict(
        "support-top-intents",
        "charter/support-tier1",
        t,
        [_case("support-top-intents", "where-is-my-refund", "pass", 4)],
    )
    fresh = SuiteVerdict(
        "logistics-core",
        "charter/logistics-agent",
        t,
        [_case("logistics-core", "books", "pass", 5)],
    )
    base = BaselineReport(
        "main",
        "f" * 40,
        [
            compare_suite(
                "replenishment-core",
                "charter/replenishment-planner",
                {
                    "storm-umbrellas-restock": Outcome("pass", 0.01, 90.0),
                    "well-stocked-no-plan": Outcome("pass", 0.01, 150.0),
                    "unknown-sku-escalates": Outcome("error", 0.0, 20.0),
                },
                {c.case: Outcome(c.outcome, c.cost_usd, c.latency_ms) for c in core.cases},
                "ledger",
                "eval run 0123456789ab",
                "sha256:" + "1" * 64,
            ),
            compare_suite(
                "support-top-intents",
                "charter/support-tier1",
                {"where-is-my-refund": Outcome("pass", 0.05, 500.0)},
                {"where-is-my-refund": Outcome("pass", 0.04, 400.0)},
                "run",
                "ran at ffffffffffff",
            ),
            compare_suite(
                "logistics-core",
                "charter/logistics-agent",
                {},
                {"books": Outcome("pass", 0.05, 500.0)},
                "none",
                "not at main",
            ),
        ],
        max_regressions,
    )
    return EvalReport([core, support, fresh], rev=None, commit="e" * 40, baseline=base)


@pytest.mark.parametrize("fmt", formats("eval"))
def test_baseline_renderer(fmt: str, snapshot: Any) -> None:
    out = renderer("eval", fmt)(_report(0))
    assert out == snapshot
    if fmt == "text":
        assert max(len(line) for line in out.splitlines()) <= 80


def test_without_a_gate_the_baseline_only_informs() -> None:
    report = _report(None)
    assert report.passed
    text = renderer("eval", "text")(report)
    assert text.startswith("eval: every gate passed")
    assert "gate: at most" not in text
