"""Each `eval --from-ledger` renderer pinned by a snapshot of its whole output, on a
report built by hand: one suite with a violating run, one clean, one without invariants."""

from __future__ import annotations

from typing import Any

import pytest

from agentctl.evals.production import Invariant, ProductionReport, SuiteRuns, Violation
from agentctl.render.registry import formats, renderer

NO_REFUND = "!trace.calls.exists(c, c.operation == 'billing.refund' && c.status == 'ok')"


def _report() -> ProductionReport:
    bad = SuiteRuns(
        "support-top-intents",
        "charter/support-tier1",
        [
            Invariant(NO_REFUND, ["charged-twice-goes-to-human"], "evals/s.yaml:46"),
            Invariant("trace.asks.all(a, !a.sla_missed)", ["red-team"], "evals/s.yaml:58"),
        ],
        skipped=2,
        runs=3,
        violations=[
            Violation(
                "a" * 32, "2026-11-24T09:00:00Z", "sha256:1",
                NO_REFUND, "assertion is false", "false",
            ),
            Violation(
                "a" * 32, "2026-11-24T09:00:00Z", "sha256:1",
                "trace.asks.all(a, !a.sla_missed)", "cannot evaluate: no such key: sla_missed", "",
            ),
        ],
    )  # fmt: skip
    clean = SuiteRuns(
        "claims-payout-core",
        "charter/claims-payout",
        [Invariant("size(trace.denials) == 0", ["x"], "evals/c.yaml:3")],
        skipped=0,
        runs=5,
    )
    none = SuiteRuns("logistics-core", "charter/logistics-agent", [], skipped=0)
    return ProductionReport("2026-11-18T10:00:00Z", [bad, clean, none])


@pytest.mark.parametrize("fmt", formats("eval-ledger"))
def test_from_ledger_renderer(fmt: str, snapshot: Any) -> None:
    out = renderer("eval-ledger", fmt)(_report())
    assert out == snapshot
    if fmt == "text":
        assert max(len(line) for line in out.splitlines()) <= 80


def test_a_clean_report_says_so_first() -> None:
    report = _report()
    report.suites = report.suites[1:]
    out = renderer("eval-ledger", "text")(report)
    assert out.startswith(
        "eval --from-ledger: no violation in 5 run(s)\n  runs since 2026-11-18T10:00:00Z\n"
    )
