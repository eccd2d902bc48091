"""The shell of plan, approve and apply: read the desired workspace, the environment's
applied state and the workspaces at the commits its resources were deployed from, and
make the plan (deploy/plan.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from agentctl.approvals import roles_of
from agentctl.deploy import state
from agentctl.deploy.desired import Snapshot, ledger_globs, snapshot
from agentctl.deploy.plan import Before, Plan, make_plan, needed_commits
from agentctl.deploy.state import AppliedState, Environment
from agentctl.errors import FindingsError, GitError
from agentctl.ledger.store import Ledger
from agentctl.model.index import Workspace
from agentctl.model.kinds import RoleDoc
from agentctl.workspace.loader import load_workspace


@dataclass
class Planned:
    plan: Plan
    desired: Snapshot
    applied: AppliedState
    env: Environment
    old: Workspace | None = None  # the workspace at the applied deployment's commit

    def roles(self) -> dict[str, RoleDoc]:
        """The roles approvals are checked against: as deployed in the environment, where
        a role is deployed there (a change cannot widen who approves it), else as in the
        desired workspace."""
        out = roles_of(self.desired.workspace)
        if self.old is not None:
            out.update(roles_of(self.old))
        return out


@contextmanager
def reading(ledger_path: Path) -> Iterator[Ledger | None]:
    """The ledger opened for reading, or None when there is none yet (nothing applied)."""
    if not ledger_path.is_file():
        yield None
        return
    with Ledger.open(ledger_path, readonly=True) as ledger:
        yield ledger


def desired(root: Path, rev: str | None, ledger_path: Path) -> Snapshot:
    """The workspace to deploy; refused when a document does not load (it would look
    deleted)."""
    snap = snapshot(root, rev, ledger_globs(root, ledger_path))
    errors = [f for f in snap.result.findings if f.severity.value == "error"]
    if errors:
        where = f" at {rev}" if rev else ""
        raise FindingsError(
            f"the workspace{where} does not load: {len(errors)} error(s)",
            errors,
            hint="fix them first ('agentctl lint' lists them); a document that does not "
            "load would be planned as deleted",
        )
    return snap


def befores(root: Path, applied: AppliedState, snap: Snapshot) -> dict[str, Before]:
    """The workspace at each commit the plan diffs against; a commit this repository does
    not hold (a shallow clone) is left out."""
    out: dict[str, Before] = {}
    for commit in needed_commits(applied, snap.versions):
        if commit == snap.commit and snap.rev is not None:
            out[commit] = Before(snap.workspace)  # the same tree: no second read
            continue
        try:
            result = load_workspace(root, commit)
        except GitError:
            continue
        # it lives as long as the command: out of the cyclic GC's sight, as cli/common.load
        # does for lint (else every later collection rescans its many small objects)
        gc.freeze()
        out[commit] = Before(result.workspace)
    return out


def plan_with(root: Path, snap: Snapshot, applied: AppliedState, env: Environment) -> Planned:
    olds = befores(root, applied, snap)
    plan = make_plan(
        env,
        applied,
        olds,
        snap.workspace,
        snap.versions,
        rev=snap.rev,
        commit=snap.commit,
        tree=snap.tree,
    )
    latest = applied.deployment.commit if applied.deployment else None
    old = olds[latest].workspace if latest in olds else None
    return Planned(plan, snap, applied, env, old)


def plan_for(root: Path, env_name: str | None, rev: str | None, ledger_path: Path) -> Planned:
    """`agentctl plan`: desired at `rev` (None: the working copy) against `env`."""
    snap = desired(root, rev, ledger_path)
    env = state.environment(snap.workspace.settings, env_name)
    with reading(ledger_path) as ledger:
        applied = (
            state.applied(ledger, env.name)
            if ledger is not None
            else AppliedState(env.name, {}, state.Position())
        )
    return plan_with(root, snap, applied, env)
