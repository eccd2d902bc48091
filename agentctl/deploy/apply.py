"""`agentctl apply` and `rollback`: under the environment's lock, check that the plan is
still current, that the environment before it in the promotion order holds the same
versions, that every approval is granted, run the gates, then record the deployment and
use the approvals in one ledger transaction (deploy/state.py `record`): all or nothing."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agentctl.approvals import store
from agentctl.deploy import state
from agentctl.deploy.approving import granted_for, requests
from agentctl.deploy.gates import GateResult, run_gates
from agentctl.deploy.lock import locked
from agentctl.deploy.plan import Plan
from agentctl.deploy.saved import read_plan
from agentctl.deploy.session import Planned, desired, plan_with
from agentctl.deploy.stale import refuse_stale
from agentctl.diff import short_version
from agentctl.errors import AgentctlError, ExitCode, UsageError
from agentctl.ledger.record import format_ts
from agentctl.ledger.store import Ledger


class ApplyRefusedError(AgentctlError):
    """Apply stopped before recording anything: approvals missing, promotion order,
    the confirmation declined."""

    exit_code = ExitCode.FINDINGS


@dataclass
class Outcome:
    plan: Plan
    deployment: state.Deployment | None  # None: nothing to apply
    gates: list[GateResult] = field(default_factory=list)
    approvals: list[str] = field(default_factory=list)


@dataclass
class Shell:
    """What apply needs from the outside world."""

    root: Path
    ledger_path: Path
    identity: str
    clock: Callable[[], _dt.datetime]
    # the interactive question, about a plan or in words (True with --auto-approve)
    confirm: Callable[[Plan | str], bool]
    log: Callable[[str], None] = lambda _m: None


def _promotion(ledger: Ledger, planned: Planned) -> None:
    """A later environment takes only versions already applied to the one before it."""
    before = planned.env.after
    if before is None:
        return
    prev = state.applied(ledger, before)
    wrong = [
        c
        for c in planned.plan.changes
        if c.action != "delete" and prev.version(c.ref) != c.new_version
    ]
    if wrong:
        c = wrong[0]
        got = prev.version(c.ref)
        raise ApplyRefusedError(
            f"{planned.env.name} comes after {before} in the promotion order: {c.ref} "
            f"{short_version(c.new_version or '')} is not applied to {before} "
            f"({'it has ' + short_version(got) if got else 'it is not deployed there'})"
            + (f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""),
            hint=f"apply the same revision to {before} first: agentctl apply --env {before}",
        )


def apply(shell: Shell, *, env: str | None, plan_file: Path | None) -> Outcome:
    """Apply a saved plan (refused when stale) or the current plan of `env`."""
    saved = read_plan(plan_file) if plan_file is not None else None
    if saved is not None and env is not None and env != saved.env:
        raise UsageError(f"the plan is for {saved.env!r}, not {env!r}", hint="drop --env")
    snap = desired(shell.root, saved.rev if saved else None, shell.ledger_path)
    env_obj = state.environment(snap.workspace.settings, saved.env if saved else env)
    now = shell.clock()
    with (
        Ledger.open(shell.ledger_path) as ledger,
        locked(shell.ledger_path, env_obj.name, shell.identity, format_ts(now)),
    ):
        planned = plan_with(shell.root, snap, state.applied(ledger, env_obj.name), env_obj)
        plan = planned.plan
        if saved is not None:
            refuse_stale(saved, plan)
        if not plan.changes:
            return Outcome(plan, None)
        _promotion(ledger, planned)
        approvals = store.every(ledger.conn)
        chosen, missing = granted_for(approvals, plan.needs, now)
        if missing:
            asked = requests(
                ledger, shell.root, snap, plan, missing, shell.identity, now, planned.applied
            )
            lines = [f"{a.id} ({a.request.role} for {a.request.subject})" for a in asked]
            raise ApplyRefusedError(
                f"{len(missing)} approval(s) missing, nothing was deployed: " + "; ".join(lines),
                hint=f"a member approves each: agentctl approve {asked[0].id} --as "
                f"{asked[0].request.role} (or agentctl approve PLAN_FILE --as ROLE)",
            )
        if not shell.confirm(plan):
            raise ApplyRefusedError("apply cancelled: nothing was deployed")
        gates = run_gates(plan.gates, shell.root, snap, ledger, shell.clock, shell.log)
        stamp = shell.clock()
        dep = state.record(
            ledger,
            plan.env,
            state.Desired(
                plan.versions,
                snap.commit,
                snap.tree,
                {r.ref: r.digest for r in snap.workspace.resources},
            ),
            expected=plan.position,
            ts=format_ts(stamp),
            by=shell.identity,
            gates=[g.as_dict() for g in gates],
            approvals=sorted(chosen),
            extra=lambda conn, dep_id: store.use_events(
                conn, chosen, dep_id, shell.identity, stamp
            ),
        )
        return Outcome(plan, dep, gates, sorted(chosen))


@dataclass
class RollbackOutcome:
    ref: str
    env: str
    from_version: str | None
    to_version: str | None
    source: state.Deployment  # the deployment whose version is restored
    deployment: state.Deployment
    reused_gates: list[dict[str, object]] = field(default_factory=list)


def _source(
    ledger: Ledger, env: str, ref: str, to: str | None, current: str | None
) -> state.Deployment:
    if to is not None:
        dep = state.find(ledger, to)
        if dep is None:
            recent = [d.id for d in state.history(ledger, env, limit=5)]
            raise UsageError(
                f"no deployment {to!r} in the ledger",
                hint=f"the latest deployments to {env}: " + (", ".join(recent) or "none"),
            )
        if dep.env != env:
            raise UsageError(f"{to} is a deployment to {dep.env!r}, not {env!r}", hint="pass --env")
        return dep
    for dep in state.history(ledger, env):
        got = dep.resources.get(ref)
        if got is not None and got.version != current:
            return dep
    raise UsageError(
        f"{ref} has no earlier version in {env} to roll back to",
        hint="name a deployment with --to DEPLOYMENT",
    )


def rollback(shell: Shell, ref: str, *, env: str | None, to: str | None) -> RollbackOutcome:
    """Re-deploy the previous version of `ref` (or its version in deployment `to`): a
    deployment like any other, with the gate results recorded for that version reused."""
    snap_settings = desired(shell.root, None, shell.ledger_path).workspace.settings
    env_obj = state.environment(snap_settings, env)
    if not shell.ledger_path.is_file():
        raise UsageError(f"nothing is deployed to {env_obj.name}: there is no ledger yet")
    now = shell.clock()
    with (
        Ledger.open(shell.ledger_path) as ledger,
        locked(shell.ledger_path, env_obj.name, shell.identity, format_ts(now)),
    ):
        applied = state.applied(ledger, env_obj.name)
        current = applied.version(ref)
        source = _source(ledger, env_obj.name, ref, to, current)
        entry = source.resources.get(ref)
        if entry is None:
            raise UsageError(
                f"{ref} is not part of deployment {source.id}",
                hint="name a deployment that holds it with --to",
            )
        if entry.version == current:
            raise UsageError(
                f"{ref} is already at {short_version(entry.version)} in {env_obj.name}",
                hint="nothing to roll back",
            )
        versions = {**applied.versions(), ref: entry.version}
        # the gate results recorded when that version was deployed (lint ran on the whole
        # workspace then; suites and scenarios of this resource)
        origin = state.find(ledger, entry.deployment) or source
        reused = [
            {**g, "how": f"reused from {origin.id}"}
            for g in origin.gates
            if ref in g.get("needed_by", []) and g.get("kind") != "lint"
        ]
        question = (
            f"Roll {ref} in {env_obj.name} back from {short_version(current or '') or 'absent'}"
            f" to {short_version(entry.version)} (deployed by {source.id})?"
        )
        if not shell.confirm(question):
            raise ApplyRefusedError("rollback cancelled: nothing was deployed")
        stamp = shell.clock()
        dep = state.record(
            ledger,
            env_obj.name,
            state.Desired(
                versions, entry.commit, None, {ref: entry.document} if entry.document else {}
            ),
            expected=applied.position,
            ts=format_ts(stamp),
            by=shell.identity,
            gates=reused,
            rollback_of=source.id,
        )
        return RollbackOutcome(ref, env_obj.name, current, entry.version, source, dep, reused)
