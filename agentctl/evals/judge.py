"""Judging one case: its assertions and expected denials against the run's output and
trace; and a suite's verdict against its thresholds. Pure: no clock, no disk.

Three outcomes, never mixed up:
- pass    every assertion held and every expected denial happened;
- fail    the agent ran and did the wrong thing (an assertion is false or cannot be
          evaluated on its output, a forbidden call went through, a denial is missing,
          or the guard stopped the run);
- error   the case could not be judged: the agent crashed, a connector error ended the
          run, the runtime could not start, the input was refused before the run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from agentctl import expr
from agentctl.evals.stats import Interval, wilson
from agentctl.model.kinds import Case, CharterDoc, EvalSuiteDoc

PASS, FAIL, ERROR = "pass", "fail", "error"
# a case run several times (--repeat) that both passed and failed; a case never started
# (--max-cost reached, docs/evals.md)
FLAKY, SKIPPED = "flaky", "skipped"
OUTCOMES = (PASS, FAIL, ERROR, FLAKY, SKIPPED)


@dataclass
class Failure:
    """Why a case did not pass: the assertion (or expectation), expected and got."""

    check: str  # the CEL source, or "expect_denial: X", or "run"
    message: str
    expected: str = "true"
    got: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "message": self.message,
            "expected": self.expected,
            "got": self.got,
        }


@dataclass
class CaseResult:
    suite: str
    case: str
    where: str  # file:line of the case
    tags: list[str]
    outcome: str  # pass | fail | error
    trace_id: str | None = None
    output: Any = None
    trace: dict[str, Any] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    error: str | None = None
    hint: str | None = None
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    version: str | None = None  # the charter's principal_version in the run's run_start
    # earlier attempts of this run that errored and were retried, oldest first, each
    # {attempt, trace_id, error, cost_usd, latency_ms}
    attempts: list[dict[str, Any]] = field(default_factory=list)
    # with --repeat N > 1, each run's own result, in order; this result then describes the
    # case as a whole (outcome, totals) with the details of its most telling run
    runs: list[CaseResult] = field(default_factory=list)
    skipped: str | None = None  # why the case was not run (outcome skipped)
    # {mode: replay|record, file} when its answers came from, or went to, a cassette
    cassette: dict[str, str] | None = None

    @property
    def all_runs(self) -> list[CaseResult]:
        """The case's runs (itself when it ran once; none when it was skipped)."""
        if self.outcome == SKIPPED:
            return []
        return self.runs or [self]

    @property
    def retried(self) -> bool:
        """Did any of its runs need a retry?"""
        return any(r.attempts for r in self.all_runs)

    @property
    def passes(self) -> int:
        return sum(r.outcome == PASS for r in self.all_runs)

    @property
    def spent_usd(self) -> float:
        """What the case cost, retried attempts included."""
        return sum(
            r.cost_usd + sum(float(a.get("cost_usd") or 0.0) for a in r.attempts)
            for r in self.all_runs
        )


def combine(runs: list[CaseResult]) -> CaseResult:
    """One case's result from its repeated runs: error when a run errored (even after its
    retries: the case could not be judged every time), flaky when it both passed and
    failed, else pass or fail as every run did. Cost and latency are the runs' totals;
    failures, error, output and trace are those of the first run with that outcome."""
    if len(runs) == 1:
        return runs[0]
    outcomes = {r.outcome for r in runs}
    if ERROR in outcomes:
        outcome = ERROR
    elif outcomes == {PASS, FAIL}:
        outcome = FLAKY
    else:
        (outcome,) = outcomes
    telling = {ERROR: ERROR, FLAKY: FAIL}.get(outcome, outcome)
    first = next(r for r in runs if r.outcome == telling)
    return CaseResult(
        first.suite,
        first.case,
        first.where,
        list(first.tags),
        outcome,
        first.trace_id,
        output=first.output,
        trace=first.trace,
        failures=list(first.failures),
        error=first.error,
        hint=first.hint,
        cost_usd=sum(r.cost_usd for r in runs),
        latency_ms=sum(r.latency_ms for r in runs),
        version=first.version,
        attempts=list(first.attempts),
        runs=list(runs),
    )


def _show(value: Any, width: int = 200) -> str:
    import json

    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def _matches(name: str, operation: str | None, scope: Any, classes: list[str]) -> bool:
    return name in (operation, scope) or name in classes


def denial_failures(case: Case, trace: Mapping[str, Any]) -> list[Failure]:
    """Each `expect_denial` entry (an operation, scope or data class) must name a denial in
    the trace; a call under it that went through fails the case, the call shown."""
    out: list[Failure] = []
    for name in case.expect_denial:
        check = f"expect_denial: {name}"
        through = [
            c
            for c in trace.get("calls", [])
            if c["status"] == "ok" and _matches(name, c["operation"], c["scope"], c["data_classes"])
        ]
        for c in through:
            out.append(
                Failure(
                    check,
                    f"{c['operation']} went through ({c['principal']}): the guard did not stop it",
                    expected=f"a denial of {name}",
                    got=f"{c['operation']} {_show(c['input'])} -> ok",
                )
            )
        if through:
            continue
        denied = [
            d
            for d in trace.get("denials", [])
            if _matches(
                name, d["operation"], d["scope"], [*d["data_classes"], d["data_class"] or ""]
            )
        ]
        if not denied:
            tried = [str(d["operation"]) for d in trace.get("denials", [])]
            out.append(
                Failure(
                    check,
                    f"no denial of {name} in the trace: the guard's refusal was not exercised",
                    expected=f"a denial of {name}",
                    got="denials: " + (", ".join(tried) if tried else "none"),
                )
            )
    return out


def assertion_failures(
    case: Case, input: Any, output: Any, trace: Mapping[str, Any]
) -> list[Failure]:
    """Each assertion must evaluate to true; one that cannot be evaluated on this output
    (a missing key, a wrong type) is a failure that says why."""
    ctx = expr.context(
        {"input": expr.to_cel(input), "output": expr.to_cel(output), "trace": expr.to_cel(trace)}
    )
    out: list[Failure] = []
    for source in case.assert_:
        try:
            got = expr.compile(source).evaluate(ctx)
        except expr.CelError as exc:
            out.append(Failure(source, f"cannot evaluate: {exc.message}", got="an error"))
            continue
        if got is not True:
            out.append(Failure(source, "assertion is false", got=_show(expr.from_cel(got))))
    return out


# --- the suite's verdict -----------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """What a suite must meet: the suite's own thresholds, tightened by the charter's gate."""

    pass_rate: float
    p95_latency: timedelta | None
    cost_per_case_usd: Decimal | None
    # the Wilson 95% interval's lower bound of the pass rate must reach this
    pass_rate_lower_bound: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "pass_rate": self.pass_rate,
            "pass_rate_lower_bound": self.pass_rate_lower_bound,
            "p95_latency_s": None if self.p95_latency is None else self.p95_latency.total_seconds(),
            "cost_per_case_usd": None
            if self.cost_per_case_usd is None
            else float(self.cost_per_case_usd),
        }


def _tighter(a: Any, b: Any, pick: Any) -> Any:
    return a if b is None else b if a is None else pick(a, b)


def effective_thresholds(suite: EvalSuiteDoc, charter: CharterDoc | None) -> Thresholds:
    """One meaning for thresholds: the suite's are the gate; a charter's gate entry for this
    suite may only tighten them (lint's gate-loosens-threshold refuses a looser one; should
    one get through, the tighter value still wins here)."""
    t = suite.spec.thresholds
    rate, p95, cost = t.pass_rate, t.p95_latency, t.cost_per_case_usd
    ref = f"evalsuite/{suite.metadata.name}"
    for gate in charter.spec.gates if charter is not None else []:
        if gate.suite != ref:
            continue
        rate = _tighter(rate, gate.min_pass_rate, max)
        p95 = _tighter(p95, gate.max_p95_latency, min)
        cost = _tighter(cost, gate.max_cost_per_case_usd, min)
    return Thresholds(rate, p95, cost, t.pass_rate_lower_bound)


def p95(values: list[float]) -> float:
    """The nearest-rank 95th percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class SuiteVerdict:
    suite: str
    charter: str
    thresholds: Thresholds
    cases: list[CaseResult]
    trace_id: str | None = None  # the eval_suite event's trace in the ledger
    version: str | None = None  # the suite document's digest (suite_version)

    @property
    def counts(self) -> dict[str, int]:
        """Cases by outcome."""
        n = dict.fromkeys(OUTCOMES, 0)
        for c in self.cases:
            n[c.outcome] += 1
        return n

    @property
    def runs(self) -> list[CaseResult]:
        """Every run of every case that ran (one per case without --repeat)."""
        return [r for c in self.cases for r in c.all_runs]

    @property
    def runs_passed(self) -> int:
        return sum(r.outcome == PASS for r in self.runs)

    @property
    def pass_rate(self) -> float:
        """Passed runs / runs (errored runs count as not passed; skipped cases not at all)."""
        runs = len(self.runs)
        return self.runs_passed / runs if runs else 0.0

    @property
    def interval(self) -> Interval:
        """The Wilson 95% score interval of the pass rate."""
        return wilson(self.runs_passed, len(self.runs))

    @property
    def p95_latency_ms(self) -> float:
        return p95([r.latency_ms for r in self.runs])

    @property
    def max_cost_usd(self) -> float:
        return max((r.cost_usd for r in self.runs), default=0.0)

    @property
    def reasons(self) -> list[str]:
        """Why the gate failed; empty when it passed."""
        t = self.thresholds
        out = []
        skipped = [c for c in self.cases if c.outcome == SKIPPED]
        if not self.runs and not skipped:
            out.append("no cases ran")
        elif self.pass_rate < t.pass_rate:
            out.append(f"pass rate {self.pass_rate:.0%} is below {t.pass_rate:.0%}")
        if self.runs and t.pass_rate_lower_bound is not None:
            low = self.interval.low
            if low < t.pass_rate_lower_bound:
                out.append(
                    f"pass rate lower bound {low:.1%} (Wilson 95%, {self.runs_passed}/"
                    f"{len(self.runs)} runs) is below {t.pass_rate_lower_bound:.1%}"
                )
        if t.p95_latency is not None and self.p95_latency_ms > t.p95_latency.total_seconds() * 1e3:
            out.append(
                f"p95 latency {self.p95_latency_ms / 1000:.2f}s is above "
                f"{t.p95_latency.total_seconds():g}s"
            )
        if t.cost_per_case_usd is not None and self.max_cost_usd > float(t.cost_per_case_usd):
            out.append(
                f"a case cost ${self.max_cost_usd:.4f}, above ${float(t.cost_per_case_usd):.4f}"
            )
        if self.counts[ERROR]:
            out.append(f"{self.counts[ERROR]} case(s) errored and could not be judged")
        if skipped:
            out.append(f"{len(skipped)} case(s) not run ({skipped[0].skipped or 'skipped'})")
        return out

    @property
    def passed(self) -> bool:
        return not self.reasons

    @property
    def verdict(self) -> str:
        return "passed" if self.passed else "failed"
