"""The shell of `eval --baseline REV`: the baseline's results per suite, read from the
ledger when eval_case events exist for exactly the charter version and suite version that
REV holds, else run at REV through the same path as `eval --rev` (and so recorded for
next time). The pairing and the test are pure (evals/baseline.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agentctl.errors import UsageError
from agentctl.evals.baseline import (
    LEDGER,
    NONE,
    RUN,
    BaselineReport,
    Outcome,
    collapse,
    compare_suite,
)
from agentctl.evals.judge import SuiteVerdict
from agentctl.evals.runner import EvalReport, Runner, Selection, select
from agentctl.ledger import Ledger
from agentctl.model.index import Workspace
from agentctl.model.versions import charter_version
from agentctl.workspace.paths import PathRefused, TooLarge


@dataclass
class Side:
    """One suite's results at the baseline, and where they came from."""

    outcomes: dict[str, Outcome]
    source: str  # ledger | run | none
    detail: str
    version: str | None = None


def outcomes_of(verdict: SuiteVerdict) -> dict[str, Outcome]:
    """A suite's results per case, in case order (repeats collapsed)."""
    grouped: dict[str, list[Outcome]] = {}
    for c in verdict.cases:
        # each run of the case (--repeat); a case --max-cost left unrun has none: unpaired
        for r in c.all_runs:
            grouped.setdefault(c.case, []).append(Outcome(r.outcome, r.cost_usd, r.latency_ms))
    return {case: collapse(rs) for case, rs in grouped.items()}


def recorded(
    ledger: Ledger, charter: str, version: str, suite: str, suite_version: str, cases: list[str]
) -> tuple[dict[str, Outcome], list[str]] | None:
    """Each case's latest recorded results for exactly this charter version and suite
    version (all the results of its latest eval run, for repeats), and the eval runs they
    came from; None unless every case in `cases` has one."""
    rows = ledger.conn.execute(
        "SELECT json_extract(attrs, '$.case'), json_extract(attrs, '$.outcome'), cost_usd, "
        "latency_ms, json_extract(attrs, '$.eval_run') FROM events "
        "WHERE kind = 'eval_case' AND principal = ? AND principal_version = ? "
        "AND json_extract(attrs, '$.suite') = ? AND json_extract(attrs, '$.suite_version') = ? "
        "ORDER BY seq",
        (charter, version, suite, suite_version),
    )
    latest: dict[str, tuple[str, list[Outcome]]] = {}
    for case, outcome, cost, latency, run in rows:
        got = Outcome(str(outcome), float(cost), float(latency))
        held = latest.get(case)
        if held is not None and held[0] == run:
            held[1].append(got)
        else:
            latest[case] = (str(run), [got])
    if not cases or any(c not in latest for c in cases):
        return None
    runs = sorted({latest[c][0] for c in cases})
    return {c: collapse(latest[c][1]) for c in cases}, runs


def _reader(root: Path, rev: str) -> Callable[[str], bytes | None]:
    """Files as committed at `rev` (what `run --rev` runs), None when unreadable, as the
    runtime's version reader counts them (runtime/version.py)."""
    from agentctl.workspace.loader import read_revision

    read = read_revision(root, rev).reader

    def reader(rel: str) -> bytes | None:
        if read is None:
            return None
        try:
            return read(rel)
        except (OSError, PathRefused, TooLarge):
            return None

    return reader


def gather(
    current: Workspace,
    base: Workspace,
    root: Path,
    rev: str,
    sel: Selection,
    ledger: Ledger,
    run_at_rev: Callable[[Selection], EvalReport],
) -> dict[str, Side]:
    """The baseline side of each suite that `sel` chooses in `current`."""
    names = [s.name for s, _ in select(current, sel)]  # a usage error before any run
    reader = _reader(root, rev)
    found: dict[str, Side] = {}
    to_run: list[str] = []
    for name in names:
        try:
            ((suite, sites),) = select(base, dataclasses.replace(sel, suites=[name], charter=None))
        except UsageError:
            found[name] = Side({}, NONE, f"no matching case of this suite at {rev}")
            continue
        ref = suite.doc.spec.charter
        charter = base.charter(ref)
        if charter is None:
            to_run.append(name)  # its cases error there, which is the baseline's truth
            continue
        version = charter_version(base, charter, reader)
        cases = [site.case.id for site in sites]
        got = recorded(ledger, charter.name, version, name, suite.digest, cases)
        if got is None:
            to_run.append(name)
            continue
        outcomes, runs = got
        detail = "eval run " + ", ".join(r[:12] for r in runs)
        found[name] = Side(outcomes, LEDGER, detail, version)
    if to_run:
        report = run_at_rev(dataclasses.replace(sel, suites=to_run, charter=None))
        for v in report.suites:
            ran = next((c.version for c in v.cases if c.version), None)
            detail = f"ran at {report.commit[:12] if report.commit else rev}"
            found[v.suite] = Side(outcomes_of(v), RUN, detail, ran)
    return found


def compare(
    report: EvalReport,
    found: dict[str, Side],
    rev: str,
    commit: str | None,
    max_regressions: int | None,
) -> BaselineReport:
    """This run's suites, each paired with its baseline side."""
    suites = []
    for v in report.suites:
        side = found.get(v.suite) or Side({}, NONE, f"not at {rev}")
        suites.append(
            compare_suite(
                v.suite,
                v.charter,
                side.outcomes,
                outcomes_of(v),
                side.source,
                side.detail,
                side.version,
            )
        )
    return BaselineReport(rev, commit, suites, max_regressions)


def run_compared(
    runner: Runner, base: Workspace, rev: str, sel: Selection, max_regressions: int | None
) -> EvalReport:
    """`eval --baseline REV`: the baseline first (so that this run's results can never be
    its own baseline), then this run, then each case paired with its baseline result."""
    at_rev = dataclasses.replace(runner, workspace=base, commit=base.commit, rev=rev)
    found = gather(runner.workspace, base, runner.root, rev, sel, runner.ledger, at_rev.run)
    report = runner.run(sel)
    report.baseline = compare(report, found, rev, base.commit, max_regressions)
    return report
