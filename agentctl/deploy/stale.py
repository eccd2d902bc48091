"""Is a saved plan still what apply (or approve) would do? What changed, named."""

from __future__ import annotations

from agentctl.deploy.plan import Plan, SavedPlan
from agentctl.diff import short_version
from agentctl.errors import AgentctlError, ExitCode


class StalePlanError(AgentctlError):
    """The workspace or the environment's applied state moved since the plan was made."""

    exit_code = ExitCode.FINDINGS


def _v(version: str | None) -> str:
    return short_version(version) if version else "absent"


def differences(saved: SavedPlan, now: Plan, deployment_now: str | None) -> list[str]:
    """Why `saved` is not `now` (empty: the same plan)."""
    if saved.digest == now.digest:
        return []
    out: list[str] = []
    if saved.position != now.position:
        out.append(
            f"the applied state of {now.env} moved: deployment "
            f"{deployment_now or 'none'} (ledger seq {now.position.seq}) since the plan's "
            f"{saved.deployment or 'none'} (seq {saved.position.seq})"
        )
    moved = sorted(
        ref
        for ref in set(saved.versions) | set(now.versions)
        if saved.versions.get(ref) != now.versions.get(ref)
    )
    for ref in moved[:10]:
        out.append(f"{ref} changed: {_v(saved.versions.get(ref))} → {_v(now.versions.get(ref))}")
    if len(moved) > 10:
        out.append(f"and {len(moved) - 10} more resources changed")
    if saved.tree != now.tree and not moved:
        out.append(
            f"the workspace's files changed (tree {(saved.tree or 'none')[:12]} → "
            f"{(now.tree or 'none')[:12]})"
        )
    return out or ["the plan's content differs from the current plan"]


def refuse_stale(saved: SavedPlan, now: Plan, what: str = "apply") -> None:
    reasons = differences(saved, now, now.deployment)
    if reasons:
        raise StalePlanError(
            f"the plan is stale, refusing to {what} it: " + "; ".join(reasons),
            hint=f"make a new plan: agentctl plan --env {now.env} -o FILE",
        )
