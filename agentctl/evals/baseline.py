"""`eval --baseline REV`: each case paired with its own result at another revision.

A regression is a case that passed at the baseline and does not pass now (fail or error);
an improvement the reverse. Whether the change is more than noise is judged on the
discordant pairs only, with the exact McNemar test: under "nothing changed" a case that
changed is as likely to have regressed as improved, so regressions ~ Binomial(b + c, 1/2).
Pure: no clock, no disk; the shell (evals/baseline_run.py) finds the baseline's results.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from agentctl.evals.judge import ERROR, FAIL, PASS, p95

# where a suite's baseline results came from
LEDGER, RUN, NONE = "ledger", "run", "none"


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for `b` regressions and `c` improvements: twice the
    smaller binomial tail of Binomial(b + c, 1/2), capped at 1 (1 when nothing changed).
    Exact in integers, so it is symmetric and the same on every machine; a p-value too
    small for a double is the smallest positive one, never 0."""
    if b < 0 or c < 0:
        raise ValueError("counts cannot be negative")
    n, k = b + c, min(b, c)
    if n == 0:
        return 1.0
    tail, term = 0, 1  # term = C(n, i), built up step by step (not k full comb() calls)
    for i in range(k + 1):
        tail += term
        term = term * (n - i) // (i + 1)
    return max(float(min(Fraction(1), Fraction(2 * tail, 2**n))), math.ulp(0.0))


@dataclass(frozen=True)
class Outcome:
    """One case's result on one side: its outcome, cost and wall time."""

    outcome: str  # pass | fail | error
    cost_usd: float = 0.0
    latency_ms: float = 0.0


def collapse(results: Iterable[Outcome]) -> Outcome:
    """One outcome per case when a case ran more than once (repeats): it passed only if
    every run passed; an error counts only when no run failed (a failure is a judgement,
    an error is not); cost and time are the means."""
    rs = list(results)
    if not rs:
        raise ValueError("no results to collapse")
    kinds = {r.outcome for r in rs}
    outcome = PASS if kinds == {PASS} else FAIL if FAIL in kinds else ERROR
    return Outcome(
        outcome,
        sum(r.cost_usd for r in rs) / len(rs),
        sum(r.latency_ms for r in rs) / len(rs),
    )


@dataclass(frozen=True)
class Change:
    case: str
    before: str  # the baseline's outcome
    after: str  # this run's


@dataclass
class SuiteComparison:
    suite: str
    charter: str
    source: str  # ledger | run | none
    detail: str  # ledger: which eval run(s); run: the commit; none: why not compared
    version: str | None = None  # the charter's version at the baseline
    paired: int = 0
    regressions: list[Change] = field(default_factory=list)
    improvements: list[Change] = field(default_factory=list)
    added: list[str] = field(default_factory=list)  # cases only in this run
    dropped: list[str] = field(default_factory=list)  # cases only at the baseline
    # (baseline, now) over the paired cases; None when nothing is paired
    cost_per_case_usd: tuple[float, float] | None = None
    p95_latency_ms: tuple[float, float] | None = None

    @property
    def p_value(self) -> float:
        return mcnemar_exact(len(self.regressions), len(self.improvements))

    def to_json(self) -> dict[str, Any]:
        def pair(v: tuple[float, float] | None, nd: int) -> dict[str, float] | None:
            if v is None:
                return None
            return {
                "baseline": round(v[0], nd),
                "now": round(v[1], nd),
                "delta": round(v[1] - v[0], nd),
            }

        return {
            "suite": self.suite,
            "charter": self.charter,
            "source": self.source,
            "detail": self.detail,
            "version": self.version,
            "paired": self.paired,
            "regressions": [c.__dict__ for c in self.regressions],
            "improvements": [c.__dict__ for c in self.improvements],
            "added": self.added,
            "dropped": self.dropped,
            "mcnemar_p": self.p_value,
            "cost_per_case_usd": pair(self.cost_per_case_usd, 9),
            "p95_latency_ms": pair(self.p95_latency_ms, 3),
        }


def compare_suite(
    suite: str,
    charter: str,
    before: Mapping[str, Outcome],
    after: Mapping[str, Outcome],
    source: str,
    detail: str,
    version: str | None = None,
) -> SuiteComparison:
    """Pair each case of `after` (this run, in its order) with `before` (the baseline)."""
    cmp = SuiteComparison(suite, charter, source, detail, version)
    paired = [(case, before[case], now) for case, now in after.items() if case in before]
    cmp.paired = len(paired)
    cmp.added = [case for case in after if case not in before]
    cmp.dropped = [case for case in before if case not in after]
    for case, was, now in paired:
        if was.outcome == PASS and now.outcome != PASS:
            cmp.regressions.append(Change(case, was.outcome, now.outcome))
        elif was.outcome != PASS and now.outcome == PASS:
            cmp.improvements.append(Change(case, was.outcome, now.outcome))
    if paired:
        n = len(paired)
        cmp.cost_per_case_usd = (
            sum(w.cost_usd for _, w, _ in paired) / n,
            sum(x.cost_usd for _, _, x in paired) / n,
        )
        cmp.p95_latency_ms = (
            p95([w.latency_ms for _, w, _ in paired]),
            p95([x.latency_ms for _, _, x in paired]),
        )
    return cmp


@dataclass
class BaselineReport:
    rev: str
    commit: str | None
    suites: list[SuiteComparison]
    max_regressions: int | None = None  # `--max-regressions`: the gate, when given

    @property
    def regressions(self) -> int:
        return sum(len(s.regressions) for s in self.suites)

    @property
    def improvements(self) -> int:
        return sum(len(s.improvements) for s in self.suites)

    @property
    def passed(self) -> bool:
        return self.max_regressions is None or self.regressions <= self.max_regressions

    @property
    def reason(self) -> str | None:
        """Why the regression gate failed; None when it passed."""
        if self.passed:
            return None
        return (
            f"{self.regressions} case(s) regressed against {self.rev}, "
            f"more than --max-regressions {self.max_regressions}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "rev": self.rev,
            "commit": self.commit,
            "regressions": self.regressions,
            "improvements": self.improvements,
            "max_regressions": self.max_regressions,
            "passed": self.passed,
            "reason": self.reason,
            "suites": [s.to_json() for s in self.suites],
        }
