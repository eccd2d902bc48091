"""`agentctl approve` and `deny`: resolve the target (a saved plan, a resource of the
current plan, or a request id) and record the answer through agentctl/approvals."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

from agentctl.approvals import PREFIX as REQUEST_PREFIX
from agentctl.approvals import Approval, ApprovalError, roles_of, store
from agentctl.deploy.approving import approvable, current_need, requests
from agentctl.deploy.saved import read_plan
from agentctl.deploy.session import Planned, plan_for
from agentctl.deploy.stale import refuse_stale
from agentctl.errors import UsageError
from agentctl.ledger.store import Ledger
from agentctl.workspace.loader import load_workspace


@dataclass
class Answer:
    identity: str
    role: str
    reason: str
    now: _dt.datetime


def role_ref(text: str) -> str:
    """`cto` or `role/cto` → `role/cto`."""
    text = text.strip()
    return text if text.startswith("role/") else f"role/{text}"


def _grant_needs(
    ledger: Ledger, root: Path, planned: Planned, only_ref: str | None, ans: Answer
) -> list[Approval]:
    plan = planned.plan
    roles = planned.roles()
    wanted = plan.needs
    if only_ref is not None:
        wanted = [n for n in plan.needs if n.ref == only_ref]
        if not wanted:
            raise ApprovalError(
                f"{only_ref} needs no approval in {plan.env}: it does not change, or its "
                "change is not high risk",
                hint=f"see agentctl plan --env {plan.env}",
            )
    mine = approvable(wanted, roles, ans.role)
    if not mine:
        needed = sorted({n.role for n in wanted})
        raise ApprovalError(
            f"nothing in this plan needs approval from {ans.role}",
            hint=("it needs: " + ", ".join(needed)) if needed else "it needs no approval",
        )
    reqs = requests(
        ledger, root, planned.desired, plan, mine, ans.identity, ans.now, planned.applied
    )
    out = []
    for need, req in zip(mine, reqs, strict=True):
        if req.status(ans.now) == "granted":
            out.append(req)  # already approved: approving the plan again changes nothing
            continue
        out.append(
            store.grant(
                ledger,
                req.id,
                roles,
                ans.role,
                ans.identity,
                reason=ans.reason,
                now=ans.now,
                current_digest=need.digest,
            )
        )
    return out


def approve(
    root: Path,
    ledger_path: Path,
    target: str,
    ans: Answer,
    *,
    env: str | None,
    rev: str | None,
) -> list[Approval]:
    """Grant what `target` names, as `ans.role`, by `ans.identity`."""
    if target.startswith(REQUEST_PREFIX):
        return [_answer_request(root, ledger_path, target, ans, rev, grant=True)]
    path = Path(target)
    only: str | None = None
    if path.suffix == ".json" or path.is_file():
        saved = read_plan(path)
        planned = plan_for(root, saved.env, saved.rev, ledger_path)
        refuse_stale(saved, planned.plan, "approve")
    elif "/" in target:
        planned = plan_for(root, env, rev, ledger_path)
        only = target
    else:
        raise UsageError(
            f"{target!r} is not a plan file, a resource or a request id",
            hint="approve plan.json, charter/NAME (with --env), or apr-XXXXXXXX",
        )
    with Ledger.open(ledger_path) as ledger:
        return _grant_needs(ledger, root, planned, only, ans)


def deny(root: Path, ledger_path: Path, request_id: str, ans: Answer, rev: str | None) -> Approval:
    if not request_id.startswith(REQUEST_PREFIX):
        raise UsageError(
            f"{request_id!r} is not a request id", hint="list them with: agentctl approvals"
        )
    return _answer_request(root, ledger_path, request_id, ans, rev, grant=False)


def _answer_request(
    root: Path, ledger_path: Path, request_id: str, ans: Answer, rev: str | None, *, grant: bool
) -> Approval:
    if not ledger_path.is_file():
        raise ApprovalError(
            f"no approval request {request_id!r}: there is no ledger yet",
            hint="list them with agentctl approvals --all",
        )
    with Ledger.open(ledger_path) as ledger:
        got = store.get(ledger.conn, request_id)
        if got is None:
            raise ApprovalError(
                f"no approval request {request_id!r} in the ledger",
                hint="list them with agentctl approvals --all",
            )
        current: str | None = None
        if got.request.subject_kind == "deployment":
            planned = plan_for(root, got.request.env, rev, ledger_path)
            roles = planned.roles()
            if grant and got.status(ans.now) == "pending":  # else grant says why not
                current = current_need(planned.plan, got.request).digest
        else:
            roles = roles_of(load_workspace(root, rev).workspace)
        if grant:
            return store.grant(
                ledger,
                request_id,
                roles,
                ans.role,
                ans.identity,
                reason=ans.reason,
                now=ans.now,
                current_digest=current,
            )
        return store.deny(
            ledger, request_id, roles, ans.role, ans.identity, reason=ans.reason, now=ans.now
        )
