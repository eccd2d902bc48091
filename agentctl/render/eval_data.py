"""`agentctl eval --format json|junit`: the report as data. Pure functions of the report.

JUnit: one <testsuite> per eval suite, one <testcase> per case; a failed case carries
<failure> (assertion, expected, got), an errored one <error> (what crashed), never both,
so CI test reporters count failures and errors apart.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

from agentctl.render import eval_baseline
from agentctl.render.envelope import envelope
from agentctl.render.json import dumps

if TYPE_CHECKING:
    from agentctl.evals.judge import CaseResult, SuiteVerdict
    from agentctl.evals.runner import EvalReport


def case_data(c: CaseResult) -> dict[str, Any]:
    return {
        "id": c.case,
        "where": c.where,
        "tags": c.tags,
        "outcome": c.outcome,
        "trace_id": c.trace_id,
        "cost_usd": c.cost_usd,
        "latency_ms": round(c.latency_ms, 3),
        "failures": [f.to_json() for f in c.failures],
        "error": c.error,
        "hint": c.hint,
        "output": c.output,
    }


def suite_data(s: SuiteVerdict) -> dict[str, Any]:
    return {
        "suite": s.suite,
        "charter": s.charter,
        "verdict": s.verdict,
        "reasons": s.reasons,
        "counts": s.counts,
        "pass_rate": s.pass_rate,
        "p95_latency_ms": round(s.p95_latency_ms, 3),
        "max_cost_per_case_usd": s.max_cost_usd,
        "thresholds": s.thresholds.to_json(),
        "trace_id": s.trace_id,
        "cases": [case_data(c) for c in s.cases],
    }


def render_json(report: EvalReport, *, color: bool = False) -> str:
    body = {
        "rev": report.rev,
        "commit": report.commit,
        "passed": report.passed,
        "counts": report.counts,
        "suites": [suite_data(s) for s in report.suites],
    }
    if report.baseline is not None:  # `--baseline REV` (evals/baseline.py)
        body["baseline"] = report.baseline.to_json()
    return dumps(envelope(body))


# characters XML 1.0 cannot carry even escaped (an agent's output may hold them)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _failure_text(c: CaseResult) -> str:
    lines = []
    for f in c.failures:
        lines += [f"{f.check}", f"  {f.message}", f"  expected: {f.expected}", f"  got: {f.got}"]
    if c.trace_id:
        lines.append(f"trace: agentctl ledger show {c.trace_id}")
    return "\n".join(lines)


def render_junit(report: EvalReport, *, color: bool = False) -> str:
    counts = report.counts
    root = ET.Element(
        "testsuites",
        name="agentctl eval",
        tests=str(sum(counts.values())),
        failures=str(counts["fail"]),
        errors=str(counts["error"]),
        time=f"{sum(c.latency_ms for s in report.suites for c in s.cases) / 1000:.3f}",
    )
    for s in report.suites:
        n = s.counts
        suite = ET.SubElement(
            root,
            "testsuite",
            name=s.suite,
            tests=str(len(s.cases)),
            failures=str(n["fail"]),
            errors=str(n["error"]),
            skipped="0",
            time=f"{sum(c.latency_ms for c in s.cases) / 1000:.3f}",
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("charter", s.charter),
            ("verdict", s.verdict),
            ("pass_rate", f"{s.pass_rate:.4f}"),
            ("min_pass_rate", f"{s.thresholds.pass_rate:.4f}"),
        ):
            ET.SubElement(props, "property", name=name, value=value)
        eval_baseline.junit_properties(props, report.baseline, s.suite)
        for c in s.cases:
            tc = ET.SubElement(
                suite,
                "testcase",
                name=c.case,
                classname=f"{s.charter}.{s.suite}".replace("/", "."),
                time=f"{c.latency_ms / 1000:.3f}",
                file=c.where.rsplit(":", 1)[0],
            )
            if c.outcome == "fail":
                first = c.failures[0] if c.failures else None
                msg = f"{first.check}: {first.message}" if first else "failed"
                el = ET.SubElement(tc, "failure", message=_x(msg), type="AssertionFailed")
                el.text = _x(_failure_text(c))
            elif c.outcome == "error":
                el = ET.SubElement(tc, "error", message=_x(c.error or "error"), type="CaseError")
                el.text = _x("\n".join(x for x in (c.error, c.hint) if x))
            eval_baseline.junit_case(tc, report.baseline, s.suite, c.case)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
