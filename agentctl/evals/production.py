"""`agentctl eval SUITE --from-ledger`: a suite's invariants judged over the charter's real
runs in the ledger (docs/evals.md, "Evaluation in production").

Which assertions apply (the one rule, `invariants`): those of the suite's cases tagged
`invariant` that read only `trace` (no `input`, no `output`: a real run has no expected
answer). Untagged cases' trace assertions are often facts of their one input ("exactly
one payout" in one case, "no payout" in the next), so reading only `trace` is not enough
to hold for every run; the tag says the author means it for all of them.

Which runs: the charter's top-level runs (`run_start` without a parent) whose trace holds
no `eval_case` event (eval's own runs are judged by eval), started at or after `since`.
Each is judged from its ledger rows, the same `trace` eval builds (evals/trace.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from agentctl import expr
from agentctl.evals.trace import build_trace
from agentctl.ledger import Ledger
from agentctl.ledger.query import trace_events
from agentctl.model.index import Resource, Workspace
from agentctl.model.kinds import EvalSuiteDoc
from agentctl.workspace.cases import CaseSite

TAG = "invariant"


@dataclass
class Invariant:
    source: str  # the CEL text
    cases: list[str]  # the cases that state it (the same text in several counts once)
    where: str  # file:line of the first of them


@dataclass
class Violation:
    trace_id: str
    ts: str
    version: str
    check: str
    message: str  # "assertion is false" or "cannot evaluate: ..."
    got: str


@dataclass
class SuiteRuns:
    suite: str
    charter: str
    invariants: list[Invariant]
    skipped: int  # assertions of invariant cases that read input or output
    runs: int = 0
    violations: list[Violation] = field(default_factory=list)

    @property
    def violating_runs(self) -> list[str]:
        return list(dict.fromkeys(v.trace_id for v in self.violations))


@dataclass
class ProductionReport:
    since: str | None
    suites: list[SuiteRuns]

    @property
    def passed(self) -> bool:
        return not any(s.violations for s in self.suites)

    @property
    def runs(self) -> int:
        return sum(s.runs for s in self.suites)

    @property
    def violating_runs(self) -> int:
        return sum(len(s.violating_runs) for s in self.suites)


def reads_only_trace(source: str) -> bool:
    """The rule's second half: the assertion's only variable is `trace`."""
    try:
        return expr.compile(source).variables == {"trace"}
    except expr.CelError:
        return False  # lint reports it; it cannot judge a run


def invariants(sites: list[CaseSite]) -> tuple[list[Invariant], int]:
    """The invariants of these cases (tag `invariant`, reads only `trace`), and how many
    assertions of invariant cases do not qualify."""
    found: dict[str, Invariant] = {}
    skipped = 0
    for site in sites:
        if TAG not in site.case.tags:
            continue
        for source in site.case.assert_:
            if not reads_only_trace(source):
                skipped += 1
                continue
            if source in found:
                found[source].cases.append(site.case.id)
            else:
                loc = site.locate()
                found[source] = Invariant(source, [site.case.id], f"{loc.file}:{loc.line}")
    return list(found.values()), skipped


def real_runs(ledger: Ledger, charter: str, since: str | None) -> list[tuple[str, str, str]]:
    """(trace_id, ts, version) of the charter's top-level runs outside eval, oldest first."""
    sql = (
        "SELECT e.trace_id, e.ts, e.principal_version FROM events e "
        "WHERE e.kind = 'run_start' AND e.parent_span_id IS NULL AND e.principal = ? "
        "AND NOT EXISTS (SELECT 1 FROM events x WHERE x.trace_id = e.trace_id "
        "AND x.kind = 'eval_case')"
    )
    args: list[Any] = [charter]
    if since is not None:
        sql += " AND e.ts >= ?"
        args.append(since)
    rows = ledger.conn.execute(sql + " ORDER BY e.seq", args).fetchall()
    return [(str(r[0]), str(r[1]), str(r[2] or "")) for r in rows]


def judge_run(
    checks: list[Invariant], trace: dict[str, Any], trace_id: str, ts: str, version: str
) -> list[Violation]:
    ctx = expr.context({"trace": expr.to_cel(trace)})
    out = []
    for inv in checks:
        try:
            got = expr.compile(inv.source).evaluate(ctx)
        except expr.CelError as exc:
            out.append(
                Violation(trace_id, ts, version, inv.source, f"cannot evaluate: {exc.message}", "")
            )
            continue
        if got is not True:
            shown = json.dumps(expr.from_cel(got), sort_keys=True, default=str)
            out.append(Violation(trace_id, ts, version, inv.source, "assertion is false", shown))
    return out


def check_ledger(
    ws: Workspace,
    chosen: list[tuple[Resource[EvalSuiteDoc], list[CaseSite]]],
    ledger: Ledger,
    since: str | None,
) -> ProductionReport:
    """Judge each chosen suite's invariants over its charter's real runs."""
    suites = []
    for suite, sites in chosen:
        ref = suite.doc.spec.charter
        name = ref.partition("/")[2] if ref.startswith("charter/") else ref
        checks, skipped = invariants(sites)
        result = SuiteRuns(suite.name, ref, checks, skipped)
        if checks:
            for trace_id, ts, version in real_runs(ledger, name, since):
                result.runs += 1
                trace = build_trace(trace_events(ledger, trace_id), ledger.payload, name)
                result.violations += judge_run(checks, trace, trace_id, ts, version)
        suites.append(result)
    return ProductionReport(since, suites)
