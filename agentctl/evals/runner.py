"""Running suites: each case through the real runtime (`run_charter`), so the guard,
budgets, contracts and the ledger apply exactly as in production; then judged from the
case's own trace in the ledger, and the results written back to it.

The shell of the evals package: it reads the clock (passed in as `now`) and the ledger.
"""

from __future__ import annotations

import datetime as _dt
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentctl.errors import AgentctlError, UsageError
from agentctl.evals import cassette, judge
from agentctl.evals.cassette import Cassette
from agentctl.evals.judge import CaseResult, Failure, SuiteVerdict
from agentctl.evals.schedule import CostStop, RetryBudget, RunOptions, Workers, in_shard
from agentctl.evals.trace import build_trace
from agentctl.ledger import Ledger, LedgerError, LedgerEvent, format_ts, new_span_id, new_trace_id
from agentctl.ledger.query import trace_events
from agentctl.model.index import Resource, Workspace
from agentctl.model.kinds import EvalSuiteDoc
from agentctl.runtime.session import secret_values
from agentctl.workspace.cases import CaseSite, suite_cases

if TYPE_CHECKING:
    from agentctl.evals.baseline import BaselineReport

# ledger status of an eval_case / eval_suite event per outcome (docs/ledger.md)
STATUS = {judge.PASS: "ok", judge.FAIL: "failed", judge.ERROR: "error"}
SKIPPED_MAX_COST = "max cost reached"


@dataclass
class Selection:
    """Which suites and cases to run (the command line's arguments and filters)."""

    suites: list[str] = field(default_factory=list)
    charter: str | None = None
    case: str | None = None
    tag: str | None = None


@dataclass
class EvalReport:
    suites: list[SuiteVerdict]
    rev: str | None = None
    commit: str | None = None
    baseline: BaselineReport | None = None  # `--baseline REV` (evals/baseline.py)
    repeat: int = 1
    shard: tuple[int, int] | None = None  # a shard's report: (i, n)
    # every selected case, (suite, case id) in run order, all shards included: what
    # `eval merge` checks the shards against
    order: list[tuple[str, str]] = field(default_factory=list)
    max_cost_usd: float | None = None
    spent_usd: float = 0.0
    stopped: str | None = None  # why cases were not run (--max-cost)

    @property
    def passed(self) -> bool:
        return (
            all(s.passed for s in self.suites)
            and self.stopped is None
            and (self.baseline is None or self.baseline.passed)
        )

    @property
    def counts(self) -> dict[str, int]:
        n = dict.fromkeys(judge.OUTCOMES, 0)
        for s in self.suites:
            for k, v in s.counts.items():
                n[k] += v
        return n


def _bare(name: str, prefix: str) -> str:
    return name.partition("/")[2] if name.startswith(prefix + "/") else name


def select(ws: Workspace, sel: Selection) -> list[tuple[Resource[EvalSuiteDoc], list[CaseSite]]]:
    """The suites and cases to run, in workspace order; UsageError when a name is unknown or
    the filters leave nothing to run."""
    from agentctl.model.validate import did_you_mean

    suites = list(ws.suites)
    names = [s.name for s in suites]
    if sel.suites:
        wanted = [_bare(n, "evalsuite") for n in sel.suites]
        for n in wanted:
            if n not in names:
                raise UsageError(
                    f"unknown eval suite {n!r}",
                    hint=did_you_mean(n, names) or "suites here: " + (", ".join(names) or "none"),
                )
        suites = [s for s in suites if s.name in wanted]
    if sel.charter is not None:
        ref = f"charter/{_bare(sel.charter, 'charter')}"
        if ws.charter(ref) is None:
            raise UsageError(f"unknown charter {sel.charter!r}")
        suites = [s for s in suites if s.doc.spec.charter == ref]
    out = []
    for s in suites:
        sites = [
            site
            for site in suite_cases(ws, s)
            if (sel.case is None or site.case.id == sel.case)
            and (sel.tag is None or sel.tag in site.case.tags)
        ]
        if sites:
            out.append((s, sites))
    if not out:
        what = ", ".join(
            f"{k} {v!r}" for k, v in (("case", sel.case), ("tag", sel.tag)) if v is not None
        )
        raise UsageError(
            "no eval case to run" + (f" for {what}" if what else ""),
            hint="list the suites with: agentctl inventory",
        )
    return out


@dataclass
class Runner:
    """Runs selected suites against `ledger`. `now` is the shell's clock."""

    workspace: Workspace
    root: Path
    ledger: Ledger
    now: Callable[[], _dt.datetime]
    commit: str | None = None
    rev: str | None = None
    environ: Mapping[str, str] | None = None
    log: Callable[[str], None] = lambda _m: None
    # `eval --now`: the runs' clock is not the real one (ledger/clock.py `mark`)
    clock_override: dict[str, str] | None = None
    options: RunOptions = field(default_factory=RunOptions)
    # (done, total) after each run of a case; called from the workers, one at a time
    progress: Callable[[int, int], None] | None = None
    sleep: Callable[[float], None] = time.sleep  # between retries
    monotonic: Callable[[], float] = time.monotonic  # the retry budget's clock
    # False for apply's gates: judging a version is not running it in an environment, so
    # `agentctl pause` does not hold it (a fix must pass its gates while prod is paused)
    pauses: bool = True
    _code_root: Path | None = field(default=None, init=False, repr=False)
    # `eval --record` / `--live` over every suite's recording.mode (evals/cassette.py)
    recording: str | None = None

    def run(self, sel: Selection) -> EvalReport:
        opts = self.options
        opts.check()
        chosen = select(self.workspace, sel)
        if self.recording == "record" and self.rev is not None:
            raise UsageError(
                "--record cannot be used with --rev",
                hint="record in the work tree (cassettes are written there), then commit",
            )
        if self.clock_override is not None:  # a usage error, not one error per case
            from agentctl.ledger.clock import refuse_on_real_ledger

            refuse_on_real_ledger(self.ledger, "--now")
        order = [(s.name, site.case.id) for s, sites in chosen for site in sites]
        if opts.shard is not None:
            positions = iter(range(len(order)))
            chosen = [
                (s, [site for site in sites if in_shard(next(positions), opts.shard)])
                for s, sites in chosen
            ]
            chosen = [(s, sites) for s, sites in chosen if sites]
        eval_run = new_trace_id()  # ties this invocation's eval events together
        units = [(s, site, k) for s, sites in chosen for site in sites for k in range(opts.repeat)]
        workers = Workers(self.ledger, opts.jobs)
        budget = RetryBudget(opts.retry_budget_s, self.monotonic)
        cost = CostStop(opts.max_cost_usd)
        done = [0]
        lock = threading.Lock()

        def one(unit: tuple[Resource[EvalSuiteDoc], CaseSite, int]) -> CaseResult:
            suite, site, k = unit
            if cost.reached():
                result = self._skipped(suite, site)
            else:
                result = self.attempts(suite, site, eval_run, k, workers.own_ledger(), budget)
                cost.add(result.spent_usd)
            with lock:
                done[0] += 1
                if self.progress is not None:
                    self.progress(done[0], len(units))
            return result

        with self._code():
            results = iter(workers.map(one, units))
        verdicts = []
        not_run = 0  # runs never started (a case of N repeats may have run some of them)
        for suite, sites in chosen:
            cases = []
            for _site in sites:
                runs = [next(results) for _ in range(opts.repeat)]
                ran = [r for r in runs if r.outcome != judge.SKIPPED]
                not_run += len(runs) - len(ran)
                cases.append(judge.combine(ran) if ran else runs[0])
            verdicts.append(self.verdict(suite, cases, eval_run))
        stopped = None
        if not_run:
            skipped = sum(c.outcome == judge.SKIPPED for v in verdicts for c in v.cases)
            what = (
                f"{skipped} case(s) not run"
                if opts.repeat == 1
                else (f"{not_run} run(s) not run, {skipped} case(s) not at all")
            )
            stopped = (
                f"{SKIPPED_MAX_COST}: ${cost.spent:.4f} spent of --max-cost "
                f"${opts.max_cost_usd:.4f}; {what}"
            )
        return EvalReport(
            verdicts,
            self.rev,
            self.commit,
            repeat=opts.repeat,
            shard=opts.shard,
            order=order,
            max_cost_usd=opts.max_cost_usd,
            spent_usd=cost.spent,
            stopped=stopped,
        )

    @contextmanager
    def _code(self) -> Iterator[None]:
        """Where in-process agents are imported from, afresh: a module a caller imported
        earlier (another copy, an older edit) must not be what is judged. With --rev, the
        revision is checked out once for every case (not once per case, which concurrent
        workers could not share: imports are process-wide)."""
        from agentctl.runtime.revision import checkout, fresh_imports

        python_path = list(self.workspace.settings.python_path)
        if self.rev is None:
            with fresh_imports([(self.root / p).resolve() for p in python_path]):
                yield
            return
        with checkout(self.root, self.rev, python_path) as code_root:
            self._code_root = code_root
            try:
                with fresh_imports([(code_root / p).resolve() for p in python_path]):
                    yield
            finally:
                self._code_root = None

    def verdict(
        self, suite: Resource[EvalSuiteDoc], cases: list[CaseResult], eval_run: str
    ) -> SuiteVerdict:
        charter_ref = suite.doc.spec.charter
        charter = self.workspace.charter(charter_ref)
        thresholds = judge.effective_thresholds(suite.doc, charter.doc if charter else None)
        verdict = SuiteVerdict(suite.name, charter_ref, thresholds, cases, version=suite.digest)
        verdict.trace_id = self._record_suite(verdict, charter, eval_run)
        return verdict

    def _skipped(self, suite: Resource[EvalSuiteDoc], site: CaseSite) -> CaseResult:
        loc = site.locate()
        return CaseResult(
            suite.name,
            site.case.id,
            f"{loc.file}:{loc.line}",
            list(site.case.tags),
            judge.SKIPPED,
            skipped=SKIPPED_MAX_COST,
        )

    def attempts(
        self,
        suite: Resource[EvalSuiteDoc],
        site: CaseSite,
        eval_run: str,
        repeat: int,
        ledger: Ledger,
        budget: RetryBudget,
    ) -> CaseResult:
        """One run of a case, its errored attempts retried (bounded by --retries and the
        run's retry budget); recorded once, with the earlier attempts in its attrs. Only
        a run that started and errored is retried: a failure is the agent's answer, and a
        runtime that cannot start or an input refused before the run would do it again."""
        result = self.case(suite, site, ledger)
        earlier: list[dict[str, Any]] = []
        while (
            result.outcome == judge.ERROR
            and result.trace_id is not None
            and len(earlier) < self.options.retries
        ):
            wait = budget.wait_for(len(earlier) + 1)
            if wait is None:
                break
            earlier.append(
                {
                    "attempt": len(earlier) + 1,
                    "trace_id": result.trace_id,
                    "error": result.error,
                    "cost_usd": result.cost_usd,
                    "latency_ms": round(result.latency_ms, 3),
                }
            )
            self.log(
                f"agentctl: {suite.name}/{site.case.id} errored ({result.error}); "
                f"retry {len(earlier)} of {self.options.retries}"
            )
            with budget.spending():
                self.sleep(wait)
                result = self.case(suite, site, ledger)
        result.attempts = earlier
        self._record_case(result, suite, site.case.input, eval_run, ledger, repeat)
        return result

    def case(self, suite: Resource[EvalSuiteDoc], site: CaseSite, ledger: Ledger) -> CaseResult:
        """One attempt at a case: run and judged, not recorded."""
        from agentctl.runtime.run import run_charter

        case = site.case
        loc = site.locate()
        result = CaseResult(
            suite.name, case.id, f"{loc.file}:{loc.line}", list(case.tags), judge.ERROR
        )
        trace_id = new_trace_id()
        charter = suite.doc.spec.charter
        tape: Cassette | None = None
        try:
            tape = cassette.for_case(
                self.root,
                suite,
                case.id,
                override=self.recording,
                rev=self.rev,
                secrets=secret_values(
                    self.workspace, os.environ if self.environ is None else self.environ
                ),
            )
            if tape is not None:
                result.cassette = {"mode": tape.mode, "file": tape.where}
            res = run_charter(
                self.workspace,
                self.root,
                charter,
                case.input,
                ledger=ledger,
                start=self.now(),
                commit=self.commit,
                environ=self.environ,
                log=self.log,
                trace_id=trace_id,
                clock_override=self.clock_override,
                code_root=self._code_root,
                recorder=tape,
                pauses=self.pauses,
            )
        except LedgerError:
            raise  # the ledger itself failed: not this case's outcome
        except AgentctlError as exc:  # the runtime cannot start, the input is refused
            result.error, result.hint = exc.message, exc.hint
            return result
        result.trace_id = res.trace_id
        result.output = res.output
        result.cost_usd = float(res.cost_usd)  # as run_end records it (total_cost_usd)
        result.latency_ms = res.wall_s * 1000
        rows = trace_events(ledger, res.trace_id)
        result.version = next(
            (
                r["principal_version"]
                for r in rows
                if r["kind"] == "run_start" and r["parent_span_id"] is None
            ),
            None,
        )
        result.trace = build_trace(rows, ledger.payload, res.charter)
        if tape is not None and tape.mismatch is not None:
            # never judged: whatever the agent made of the refused request, the run
            # is not the recorded one (and was not re-run live)
            result.error, result.hint = tape.mismatch.message, tape.mismatch.hint
        elif res.status == "error":
            result.error, result.hint = res.error, res.hint
        elif res.status != "ok":
            result.outcome = judge.FAIL
            result.failures = [
                Failure("run", f"the guard {res.status} the run: {res.error}", "ok", res.status),
                *judge.denial_failures(case, result.trace),
            ]
        else:
            result.failures = [
                *judge.assertion_failures(case, case.input, res.output, result.trace),
                *judge.denial_failures(case, result.trace),
            ]
            result.outcome = judge.FAIL if result.failures else judge.PASS
        if tape is not None and tape.mode == cassette.RECORD:
            cassette.write(self.root, tape.where, tape.dump())
        return result

    # --- the ledger ------------------------------------------------------------------------

    def _event(
        self, charter_ref: str, trace_id: str, version: str | None, **fields: Any
    ) -> LedgerEvent:
        """An eval event bound to the charter's version as the run recorded it (document,
        code, connectors: docs/deploy.md); the document's digest when no run started."""
        charter = self.workspace.charter(charter_ref)
        if version is None:
            version = charter.digest if charter is not None else ""
        event = LedgerEvent(
            trace_id=trace_id,
            span_id=new_span_id(),
            parent_span_id=None,
            ts=format_ts(self.now()),
            principal=_bare(charter_ref, "charter"),
            principal_version=version,
            commit=self.commit,
            **fields,
        )
        if self.clock_override is not None:
            from agentctl.ledger.clock import MARK

            event.attrs = {**event.attrs, MARK: self.clock_override}
        return event

    def _record_case(
        self,
        r: CaseResult,
        suite: Resource[EvalSuiteDoc],
        input: Any,
        eval_run: str,
        ledger: Ledger,
        repeat: int,
    ) -> None:
        attrs: dict[str, Any] = {
            "suite": r.suite,
            "suite_version": suite.digest,
            "case": r.case,
            "outcome": r.outcome,
            "eval_run": eval_run,
        }
        if r.failures:
            attrs["failures"] = [f.to_json() for f in r.failures]
        if r.error:
            attrs["error"] = r.error
        if r.attempts:
            attrs["attempts"] = r.attempts
        if self.options.repeat > 1:
            attrs["repeat"] = repeat + 1
        if self.rev:
            attrs["rev"] = self.rev
        if r.cassette is not None:  # the answers came from (or went to) it, not live
            attrs["cassette"] = r.cassette
        event = self._event(
            suite.doc.spec.charter,
            r.trace_id or new_trace_id(),
            r.version,
            kind="eval_case",
            operation=f"evalsuite/{r.suite}",
            status=STATUS[r.outcome],
            input=input,
            output=r.output,
            cost_usd=r.cost_usd,
            latency_ms=r.latency_ms,
            attrs=attrs,
        )
        ledger.append([event])

    def _record_suite(self, v: SuiteVerdict, charter: Any, eval_run: str) -> str:
        trace_id = new_trace_id()
        attrs: dict[str, Any] = {
            "suite": v.suite,
            "verdict": v.verdict,
            "pass_rate": v.pass_rate,
            "pass_rate_interval": list(v.interval),
            "runs": len(v.runs),
            "counts": v.counts,
            "thresholds": v.thresholds.to_json(),
            "reasons": v.reasons,
            "cases": {c.case: {"outcome": c.outcome, "trace_id": c.trace_id} for c in v.cases},
            "eval_run": eval_run,
        }
        suite = self.workspace.get(f"evalsuite/{_bare(v.suite, 'evalsuite')}")
        if suite is not None:  # with the charter's version, what a deployment gate matches
            attrs["suite_version"] = suite.digest
        if self.rev:
            attrs["rev"] = self.rev
        event = self._event(
            v.charter,
            trace_id,
            next((c.version for c in v.cases if c.version), None),
            kind="eval_suite",
            operation=f"evalsuite/{v.suite}",
            status="ok" if v.passed else "failed",
            latency_ms=sum(c.latency_ms for c in v.cases),
            cost_usd=sum(c.cost_usd for c in v.cases),
            attrs=attrs,
        )
        self.ledger.append([event])
        return trace_id
