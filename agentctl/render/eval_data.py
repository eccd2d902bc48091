"""`agentctl eval --format json|junit`: the report as data. Pure functions of the report
(and `report_from_json`, their inverse for JSON, which `eval merge` reads shards with).

JUnit: one <testsuite> per eval suite, one <testcase> per case; a failed case carries
<failure> (assertion, expected, got), an errored one <error> (what crashed), never both,
so CI test reporters count failures and errors apart. A flaky case (--repeat) lists its
runs in <system-out>, with a <failure> when its suite's gate failed; a case not run
(--max-cost) is <skipped>.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

from agentctl.evals.judge import ERROR, FAIL, FLAKY, PASS, SKIPPED
from agentctl.evals.stats import wilson
from agentctl.render import eval_baseline
from agentctl.render.envelope import envelope
from agentctl.render.json import dumps

if TYPE_CHECKING:
    from agentctl.evals.judge import CaseResult, Failure, SuiteVerdict
    from agentctl.evals.runner import EvalReport


def _run_data(r: CaseResult) -> dict[str, Any]:
    return {
        "outcome": r.outcome,
        "trace_id": r.trace_id,
        "cost_usd": r.cost_usd,
        "latency_ms": round(r.latency_ms, 3),
        "failures": [f.to_json() for f in r.failures],
        "error": r.error,
        "attempts": r.attempts,
    }


def case_data(c: CaseResult) -> dict[str, Any]:
    runs = c.all_runs
    low, high = wilson(c.passes, len(runs))
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
        # the trace in the report only where a reader needs it: a case that did not pass
        "trace": c.trace if c.outcome not in (PASS, SKIPPED) else None,
        "version": c.version,
        "attempts": c.attempts,
        "skipped": c.skipped,
        "passes": c.passes,
        "pass_rate": c.passes / len(runs) if runs else None,
        "pass_rate_interval": [low, high] if runs else None,
        "runs": [_run_data(r) for r in c.runs],
    }


def suite_data(s: SuiteVerdict) -> dict[str, Any]:
    return {
        "suite": s.suite,
        "charter": s.charter,
        "verdict": s.verdict,
        "reasons": s.reasons,
        "counts": s.counts,
        "pass_rate": s.pass_rate,
        "pass_rate_interval": list(s.interval),
        "runs": len(s.runs),
        "runs_passed": s.runs_passed,
        "suite_version": s.version,
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
        # errors apart from failures, flaky cases apart from both
        "failures": _listed(report, FAIL),
        "errors": _listed(report, ERROR),
        "flaky": _listed(report, FLAKY),
        "repeat": report.repeat,
        "shard": None if report.shard is None else list(report.shard),
        "order": [list(x) for x in report.order] if report.shard else None,
        "max_cost_usd": report.max_cost_usd,
        "spent_usd": report.spent_usd,
        "stopped": report.stopped,
    }
    if report.baseline is not None:  # `--baseline REV` (evals/baseline.py)
        body["baseline"] = report.baseline.to_json()
    return dumps(envelope(body))


def _listed(report: EvalReport, outcome: str) -> list[str]:
    return [f"{s.suite}/{c.case}" for s in report.suites for c in s.cases if c.outcome == outcome]


def report_from_json(doc: dict[str, Any]) -> EvalReport:
    """The report a `--format json` document was rendered from (what renderers show of it).
    KeyError or TypeError when the document is not one."""
    from agentctl.evals.runner import EvalReport

    shard = doc.get("shard")
    return EvalReport(
        [_suite(s) for s in doc["suites"]],
        doc.get("rev"),
        doc.get("commit"),
        repeat=int(doc.get("repeat", 1)),
        shard=(int(shard[0]), int(shard[1])) if shard else None,
        order=[(str(a), str(b)) for a, b in doc.get("order") or []],
        max_cost_usd=doc.get("max_cost_usd"),
        spent_usd=float(doc.get("spent_usd", 0.0)),
        stopped=doc.get("stopped"),
    )


def _suite(d: dict[str, Any]) -> SuiteVerdict:
    from datetime import timedelta
    from decimal import Decimal

    from agentctl.evals.judge import SuiteVerdict, Thresholds

    t = d["thresholds"]
    thresholds = Thresholds(
        float(t["pass_rate"]),
        None if t.get("p95_latency_s") is None else timedelta(seconds=t["p95_latency_s"]),
        None if t.get("cost_per_case_usd") is None else Decimal(repr(t["cost_per_case_usd"])),
        t.get("pass_rate_lower_bound"),
    )
    return SuiteVerdict(
        d["suite"],
        d["charter"],
        thresholds,
        [_case(d["suite"], c) for c in d["cases"]],
        trace_id=d.get("trace_id"),
        version=d.get("suite_version"),
    )


def _failures(items: list[dict[str, Any]]) -> list[Failure]:
    from agentctl.evals.judge import Failure

    return [Failure(f["check"], f["message"], f["expected"], f["got"]) for f in items]


def _case(suite: str, d: dict[str, Any]) -> CaseResult:
    from agentctl.evals.judge import CaseResult

    c = CaseResult(
        suite,
        d["id"],
        d["where"],
        list(d["tags"]),
        d["outcome"],
        d.get("trace_id"),
        output=d.get("output"),
        trace=d.get("trace") or {},
        failures=_failures(d["failures"]),
        error=d.get("error"),
        hint=d.get("hint"),
        cost_usd=float(d["cost_usd"]),
        latency_ms=float(d["latency_ms"]),
        version=d.get("version"),
        attempts=list(d.get("attempts") or []),
        skipped=d.get("skipped"),
    )
    for r in d.get("runs") or []:
        c.runs.append(
            CaseResult(
                suite,
                c.case,
                c.where,
                c.tags,
                r["outcome"],
                r.get("trace_id"),
                failures=_failures(r["failures"]),
                error=r.get("error"),
                cost_usd=float(r["cost_usd"]),
                latency_ms=float(r["latency_ms"]),
                attempts=list(r.get("attempts") or []),
            )
        )
    return c


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


def _attempt_lines(r: CaseResult) -> list[str]:
    return [
        f"attempt {a['attempt']}: error: {a['error']} (trace {a['trace_id']}); retried"
        for a in r.attempts
    ]


def _runs_text(c: CaseResult) -> str:
    lines = [f"{c.passes}/{len(c.all_runs)} runs passed"]
    for i, r in enumerate(c.runs, 1):
        lines.append(f"run {i}: {r.outcome} (trace {r.trace_id})")
        lines += [f"  {f.check}: {f.message}, got {f.got}" for f in r.failures]
        lines += [f"  {x}" for x in _attempt_lines(r)]
        if r.error:
            lines.append(f"  error: {r.error}")
    return "\n".join(lines)


def _junit_failures(s: SuiteVerdict) -> int:
    """Failed cases, and flaky ones when they failed the suite's gate."""
    n = s.counts
    return n["fail"] + (n["flaky"] if not s.passed else 0)


def render_junit(report: EvalReport, *, color: bool = False) -> str:
    counts = report.counts
    root = ET.Element(
        "testsuites",
        name="agentctl eval",
        tests=str(sum(counts.values())),
        failures=str(sum(_junit_failures(s) for s in report.suites)),
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
            failures=str(_junit_failures(s)),
            errors=str(n["error"]),
            skipped=str(n["skipped"]),
            time=f"{sum(c.latency_ms for c in s.cases) / 1000:.3f}",
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("charter", s.charter),
            ("verdict", s.verdict),
            ("pass_rate", f"{s.pass_rate:.4f}"),
            ("min_pass_rate", f"{s.thresholds.pass_rate:.4f}"),
            ("pass_rate_interval", f"{s.interval.low:.4f}..{s.interval.high:.4f}"),
            ("runs", str(len(s.runs))),
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
                el.text = _x("\n".join([*_attempt_lines(c), *(x for x in (c.error, c.hint) if x)]))
            elif c.outcome == "flaky" and not s.passed:
                msg = f"flaky: {c.passes}/{len(c.all_runs)} runs passed"
                el = ET.SubElement(tc, "failure", message=msg, type="Flaky")
                el.text = _x(_failure_text(c))
            elif c.outcome == "skipped":
                ET.SubElement(tc, "skipped", message=f"skipped: {c.skipped}")
            if c.runs:
                ET.SubElement(tc, "system-out").text = _x(_runs_text(c))
            elif c.retried and c.outcome != "error":
                ET.SubElement(tc, "system-out").text = _x("\n".join(_attempt_lines(c)))
            eval_baseline.junit_case(tc, report.baseline, s.suite, c.case)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
