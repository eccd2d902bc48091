"""The gates of a plan (deploy/plan.py `Gate`): lint clean, each eval suite passed for
exactly the charter and suite versions deployed (a passing `eval_suite` event already in
the ledger is accepted, else the suite runs through the eval runner), each policy
scenario's expectations holding (the simulate runner)."""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from agentctl.deploy.desired import Snapshot
from agentctl.deploy.plan import Gate
from agentctl.errors import AgentctlError, ExitCode
from agentctl.ledger.store import Ledger


class GateFailedError(AgentctlError):
    """A required gate did not pass: nothing is deployed."""

    exit_code = ExitCode.FINDINGS


@dataclass
class GateResult:
    name: str
    kind: str
    passed: bool
    how: str  # ran | recorded (a result already in the ledger for these versions)
    detail: str = ""
    charter: str | None = None
    charter_version: str | None = None
    suite_version: str | None = None
    needed_by: tuple[str, ...] = ()
    evidence: str | None = None  # the eval_suite event's trace id

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "passed": self.passed,
            "how": self.how,
            "detail": self.detail,
            "charter": self.charter,
            "charter_version": self.charter_version,
            "suite_version": self.suite_version,
            "needed_by": list(self.needed_by),
            "evidence": self.evidence,
        }


def recorded(ledger: Ledger, gate: Gate) -> GateResult | None:
    """A passing eval_suite event for exactly this charter version and suite version."""
    if gate.charter is None or gate.charter_version is None or gate.suite_version is None:
        return None
    rows = ledger.conn.execute(
        "SELECT trace_id, attrs FROM events WHERE kind = 'eval_suite' AND operation = ? "
        "AND principal_version = ? AND status = 'ok' ORDER BY seq DESC",
        (gate.name, gate.charter_version),
    )
    for trace_id, attrs_text in rows:
        if orjson.loads(attrs_text).get("suite_version") == gate.suite_version:
            return _result(gate, True, "recorded", "passed earlier for these versions", trace_id)
    return None


def _result(
    gate: Gate, passed: bool, how: str, detail: str, evidence: str | None = None
) -> GateResult:
    return GateResult(
        gate.name,
        gate.kind,
        passed,
        how,
        detail,
        gate.charter,
        gate.charter_version,
        gate.suite_version,
        tuple(gate.needed_by),
        evidence,
    )


def _lint(gate: Gate, snap: Snapshot, today: _dt.date) -> GateResult:
    from agentctl.lint import run_lint

    report = run_lint(snap.workspace, snap.result.findings, today)
    if report.failed():
        errors = [f for f in report.findings if f.severity.value == "error"]
        first = errors[0] if errors else report.findings[0]
        where = f"{first.location.file}:{first.location.line}:{first.location.column}"
        return _result(
            gate, False, "ran", f"{len(errors)} error(s); first: {where}: {first.message}"
        )
    return _result(gate, True, "ran", "no errors")


def _suite(
    gate: Gate, root: Path, snap: Snapshot, ledger: Ledger, clock: Callable[[], _dt.datetime]
) -> GateResult:
    from agentctl.evals.runner import Runner, Selection

    runner = Runner(
        snap.workspace,
        root,
        ledger,
        clock,
        commit=snap.commit,
        rev=snap.rev,
        environ=os.environ,
        pauses=False,  # a gate judges the version; a pause holds runs, not a fix's gates
    )
    suite = gate.name.partition("/")[2]
    report = runner.run(Selection([suite]))
    verdict = next((v for v in report.suites if v.suite == suite), None)
    if verdict is None:
        return _result(gate, False, "ran", "the suite did not run")
    ran = {c.version for c in verdict.cases if c.version}
    if gate.charter_version not in ran and ran:
        return _result(
            gate, False, "ran", "the suite ran another version of the charter than the plan's"
        )
    if not verdict.passed:
        why = "; ".join(verdict.reasons) or "failed"
        return _result(gate, False, "ran", why, verdict.trace_id)
    return _result(gate, True, "ran", f"pass rate {verdict.pass_rate:.0%}", verdict.trace_id)


def _scenario(gate: Gate, root: Path, snap: Snapshot) -> GateResult:
    from agentctl.simulate.runner import run_simulation

    sim = run_simulation(root, scenario=gate.name.partition("/")[2], rev=snap.rev)
    if sim.problem is not None:
        return _result(gate, False, "ran", sim.problem.message)
    if sim.failed():
        return _result(gate, False, "ran", "scenario expectations failed or errors found")
    return _result(gate, True, "ran", "expectations hold")


def run_gates(
    gates: Sequence[Gate],
    root: Path,
    snap: Snapshot,
    ledger: Ledger,
    clock: Callable[[], _dt.datetime],
    log: Callable[[str], None] = lambda _m: None,
) -> list[GateResult]:
    """Every gate, in the plan's order; GateFailedError names the first that failed
    (after all ran, so the record shows every result)."""
    out: list[GateResult] = []
    for gate in gates:
        if gate.kind == "lint":
            res = _lint(gate, snap, clock().date())
        elif gate.kind == "suite":
            res = recorded(ledger, gate) or _suite(gate, root, snap, ledger, clock)
        else:
            res = _scenario(gate, root, snap)
        verdict = "passed" if res.passed else "FAILED"
        log(f"agentctl: gate {res.name}: {verdict} ({res.how}: {res.detail})")
        out.append(res)
    failed = [r for r in out if not r.passed]
    if failed:
        first = failed[0]
        raise GateFailedError(
            f"gate {first.name} failed: {first.detail}"
            + (f" (and {len(failed) - 1} more gate(s))" if len(failed) > 1 else "")
            + "; nothing was deployed",
            hint="fix it and make a new plan; agentctl eval / simulate / lint show the details",
        )
    return out
