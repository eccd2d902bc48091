"""Deployment approvals (the shell side): each approval a plan needs becomes a request in
the ledger (agentctl/approvals), bound to the change's subject digest, with the change's
authors (separation of duties) found in git; approving a plan, a resource or a request
id grants them; apply uses them."""

from __future__ import annotations

import datetime as _dt
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from agentctl.approvals import Approval, ApprovalError, Request, role_chain, store
from agentctl.approvals.identity import git_email
from agentctl.deploy.desired import Snapshot, safe_reader
from agentctl.deploy.plan import Need, Plan
from agentctl.deploy.state import AppliedState
from agentctl.ledger.record import format_ts
from agentctl.ledger.store import Ledger
from agentctl.model.kinds import RoleDoc
from agentctl.model.versions import code_files


def _git_lines(root: Path, *args: str) -> list[str] | None:
    """git's output lines; None when git fails (not a repository, an unknown commit)."""
    try:
        proc = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False, timeout=120
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode:
        return None
    return [ln.strip() for ln in proc.stdout.splitlines() if ln.strip()]


def change_files(snap: Snapshot, ref: str, old_file: str | None = None) -> list[str]:
    """The workspace files a change is made of: the document, and a charter's code."""
    ws = snap.workspace
    res = ws.get(ref)
    files = {old_file} if old_file else set()
    if res is not None:
        files.add(res.file)
        if res.kind == "Charter":
            files |= code_files(ws, res.doc, safe_reader(snap.result.reader))
    return sorted(f for f in files if f)


def authors(
    root: Path, since: str | None, until: str | None, files: Sequence[str], local: str | None
) -> list[str]:
    """Who wrote the change: the authors of the commits after `since` up to `until` that
    touch `files`, and `local` (the person at this working copy) when those files have
    uncommitted edits (the plan is of the working copy: `until` is HEAD)."""
    if not files or until is None:
        return [local] if local else []
    span = f"{since}..{until}" if since else until
    got = _git_lines(root, "log", "--format=%ae", span, "--", *files)
    if got is None and since:  # the deployed commit is not here (a shallow clone): every
        got = _git_lines(root, "log", "--format=%ae", until, "--", *files)  # author counts
    found = set(got or [])
    if local and _git_lines(root, "status", "--porcelain", "--", *files):
        found.add(local)
    return sorted(found)


def request_for(
    ledger: Ledger,
    need: Need,
    plan: Plan,
    *,
    identity: str,
    now: _dt.datetime,
    authors_of: Sequence[str],
    existing: Sequence[Approval] | None = None,
) -> Approval:
    """The live request (pending or granted) for `need`, recorded when there is none."""
    known = existing if existing is not None else store.every(ledger.conn)
    for a in store.matching(known, "deployment", need.digest, need.role):
        if a.status(now) in ("pending", "granted"):
            return a
    req = Request(
        id=store.new_id(ledger.conn),
        subject_kind="deployment",
        subject=need.subject,
        digest=need.digest,
        role=need.role,
        requested_by=identity,
        requested_at=format_ts(now),
        description="; ".join(need.reasons),
        env=plan.env,
        authors=tuple(authors_of),
    )
    store.request(ledger, req)
    return Approval(req)


def authors_for(root: Path, snap: Snapshot, need: Need, applied: AppliedState) -> list[str]:
    """The authors of one change: since the commit its resource was deployed from."""
    local = git_email(root) if snap.rev is None else None
    deployed = applied.resources.get(need.ref)
    since = deployed.commit if deployed is not None else None
    return authors(root, since, snap.commit, change_files(snap, need.ref), local)


def requests(
    ledger: Ledger,
    root: Path,
    snap: Snapshot,
    plan: Plan,
    needs: Sequence[Need],
    identity: str,
    now: _dt.datetime,
    applied: AppliedState,
) -> list[Approval]:
    """A live request for each of `needs` (recorded when missing)."""
    existing = store.every(ledger.conn)
    return [
        request_for(
            ledger,
            n,
            plan,
            identity=identity,
            now=now,
            authors_of=authors_for(root, snap, n, applied),
            existing=existing,
        )
        for n in needs
    ]


def approvable(needs: Sequence[Need], roles: Mapping[str, RoleDoc], role: str) -> list[Need]:
    """The needs `role` may approve: its own, and those of the roles that report to it."""
    return [n for n in needs if role in role_chain(roles, n.role)]


def granted_for(
    approvals: Sequence[Approval], needs: Sequence[Need], now: _dt.datetime
) -> tuple[dict[str, str], list[Need]]:
    """For apply: the granted requests that cover `needs` (id → digest) and the needs
    none covers."""
    chosen: dict[str, str] = {}
    missing: list[Need] = []
    for n in needs:
        hit = next(
            (
                a
                for a in store.matching(approvals, "deployment", n.digest, n.role)
                if a.status(now) == "granted" and a.id not in chosen
            ),
            None,
        )
        if hit is None:
            missing.append(n)
        else:
            chosen[hit.id] = n.digest
    return chosen, missing


def current_need(plan: Plan, request: Request) -> Need:
    """The need of the current plan that a deployment request is about; refused when the
    change it approves is no longer the one planned (an older version)."""
    ref = request.subject.partition(" in ")[0]
    for n in plan.needs:
        if n.ref == ref and n.role == request.role:
            return n
    raise ApprovalError(
        f"{request.id} approves a change to {ref} that is no longer planned "
        f"in {request.env}: the workspace or the environment changed",
        hint=f"see agentctl plan --env {request.env}",
    )
