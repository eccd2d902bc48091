"""`agentctl eval --from-ledger` as text (the verdict first, then each violating run with
its trace id and the invariant it broke) and as JSON. Pure functions of the report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentctl.render.ansi import style
from agentctl.render.envelope import envelope
from agentctl.render.eval_text import _wrap  # one look with eval's own text
from agentctl.render.json import dumps

if TYPE_CHECKING:
    from agentctl.evals.production import ProductionReport, SuiteRuns


def _headline(r: ProductionReport) -> list[str]:
    if r.passed:
        first = f"eval --from-ledger: no violation in {r.runs} run(s)"
    else:
        first = f"eval --from-ledger: {r.violating_runs} of {r.runs} run(s) violate an invariant"
    return [first, f"  runs since {r.since}" if r.since else "  every run in the ledger"]


def _suite_lines(s: SuiteRuns, color: bool) -> list[str]:
    mark = style("FAIL", "red", color) if s.violations else style("PASS", "green", color)
    lines = [f"{mark} evalsuite/{s.suite} ({s.charter})"]
    if not s.invariants:
        lines.append("  no invariant: tag a case 'invariant' to check its trace assertions")
    else:
        lines.append(
            f"  {len(s.invariants)} invariant(s) over {s.runs} run(s); "
            f"{len(s.violating_runs)} violating"
        )
    if s.skipped:
        lines.append(f"  {s.skipped} assertion(s) of invariant cases read input or output: skipped")
    for trace_id in s.violating_runs:
        found = [v for v in s.violations if v.trace_id == trace_id]
        lines.append(f"  {style('violated', 'red', color)} run {trace_id}  {found[0].ts}")
        for v in found:
            lines += _wrap(f"{v.check}: {v.message}" + (f"; got {v.got}" if v.got else ""), 4)
        lines.append(f"    trace: agentctl ledger show {trace_id}")
    return lines


def render_text(report: ProductionReport, *, color: bool = False) -> str:
    lines = _headline(report)
    for s in report.suites:
        lines += _suite_lines(s, color)
    return "\n".join(lines) + "\n"


def render_json(report: ProductionReport, *, color: bool = False) -> str:
    return dumps(
        envelope(
            {
                "since": report.since,
                "passed": report.passed,
                "runs": report.runs,
                "violating_runs": report.violating_runs,
                "suites": [
                    {
                        "suite": s.suite,
                        "charter": s.charter,
                        "invariants": [
                            {"assert": i.source, "cases": i.cases, "where": i.where}
                            for i in s.invariants
                        ],
                        "skipped_assertions": s.skipped,
                        "runs": s.runs,
                        "violating_runs": s.violating_runs,
                        "violations": [
                            {
                                "trace_id": v.trace_id,
                                "ts": v.ts,
                                "principal_version": v.version,
                                "assert": v.check,
                                "message": v.message,
                                "got": v.got,
                            }
                            for v in s.violations
                        ],
                    }
                    for s in report.suites
                ],
            }
        )
    )
