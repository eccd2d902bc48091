"""What `agentctl apply` and `rollback` did: text and json."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from agentctl.deploy.apply import Outcome, RollbackOutcome
from agentctl.deploy.lock import Holder
from agentctl.deploy.plan import plan_data
from agentctl.diff import short_version
from agentctl.render.envelope import envelope
from agentctl.render.json import dumps


def apply_text(out: Outcome, *, color: bool = False, **_: Any) -> str:
    plan, dep = out.plan, out.deployment
    if dep is None:
        return f"No changes. Nothing to apply to {plan.env}.\n"
    lines = [
        f"Apply complete: {plan.count('create')} added, {plan.count('update')} changed, "
        f"{plan.count('delete')} destroyed.",
        f"Deployment {dep.id} to {dep.env} (ledger seq {dep.seq}) by {dep.by}.",
    ]
    for g in out.gates:
        lines.append(f"  gate {g.name}: {'passed' if g.passed else 'FAILED'} ({g.how})")
    for a in out.approvals:
        lines.append(f"  approval {a} used")
    return "\n".join(lines) + "\n"


def apply_json(out: Outcome, *, color: bool = False, **_: Any) -> str:
    dep = out.deployment
    return dumps(
        envelope(
            {
                "kind": "apply",
                "applied": dep is not None,
                "deployment": None
                if dep is None
                else {"id": dep.id, "env": dep.env, "seq": dep.seq, "by": dep.by, "ts": dep.ts},
                "gates": [g.as_dict() for g in out.gates],
                "approvals": out.approvals,
                "plan": plan_data(out.plan),
            }
        )
    )


def rollback_text(out: RollbackOutcome, *, color: bool = False, **_: Any) -> str:
    was = short_version(out.from_version) if out.from_version else "absent"
    lines = [
        f"Rolled back {out.ref} in {out.env}: {was} → {short_version(out.to_version or '')} "
        f"(the version of {out.source.id}).",
        f"Deployment {out.deployment.id} (ledger seq {out.deployment.seq}) by {out.deployment.by}.",
    ]
    for g in out.reused_gates:
        lines.append(f"  gate {g.get('name')}: reused from the deployment of that version")
    return "\n".join(lines) + "\n"


def rollback_json(out: RollbackOutcome, *, color: bool = False, **_: Any) -> str:
    return dumps(
        envelope(
            {
                "kind": "rollback",
                "ref": out.ref,
                "env": out.env,
                "from_version": out.from_version,
                "to_version": out.to_version,
                "restored_from": out.source.id,
                "deployment": {
                    "id": out.deployment.id,
                    "seq": out.deployment.seq,
                    "by": out.deployment.by,
                    "ts": out.deployment.ts,
                },
                "gates": out.reused_gates,
            }
        )
    )


def unlock_text(holder: Holder, *, color: bool = False, **_: Any) -> str:
    return f"Released {holder.id} on {holder.env}, held by {holder.describe()}.\n"


def unlock_json(holder: Holder, *, color: bool = False, **_: Any) -> str:
    return dumps(envelope({"kind": "force-unlock", "released": asdict(holder)}))
