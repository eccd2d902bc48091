"""`agentctl run --env ENV`: what is deployed there is what runs.

The charter's entry in the environment's applied state (deploy/state.py) names its version
and the git commit it was deployed from; the run checks that commit out as `run --rev`
does, and refuses when the charter's version there is not the deployed one (a deployment
made from uncommitted changes cannot be run as deployed).
"""

from __future__ import annotations

from typing import Any

from agentctl.deploy.state import Deployed, applied
from agentctl.errors import ConfigError, UsageError
from agentctl.ledger import Ledger


def deployed_charter(ledger: Ledger, env: str, charter: str) -> Deployed:
    """The deployed version of `charter` (name or charter/name) in `env`; UsageError when
    it is not deployed there."""
    name = charter.partition("/")[2] if charter.startswith("charter/") else charter
    ref = f"charter/{name}"
    state = applied(ledger, env)
    plan = f"agentctl plan --env {env}, then agentctl apply --env {env}"
    if state.deployment is None:
        raise UsageError(f"nothing is deployed in environment {env!r}", hint=plan)
    got = state.resources.get(ref)
    if got is None:
        deployed = sorted(r for r in state.resources if r.startswith("charter/"))
        raise UsageError(
            f"{ref} is not deployed in environment {env!r}",
            hint=f"deployed there: {', '.join(deployed) or 'no charter'}; to deploy it: {plan}",
        )
    if got.commit is None:
        raise ConfigError(
            f"{ref} was deployed to {env!r} without a git commit: its code cannot be "
            "checked out as deployed",
            hint="deploy from a git repository",
        )
    return got


def run_attrs(env: str, got: Deployed) -> dict[str, Any]:
    """What run_start records of the deployment a run runs."""
    return {
        "env": env,
        "deployment": got.deployment,
        "deployed_version": got.version,
        "deployed_commit": got.commit,
    }


def check_version(ref: str, env: str, got: Deployed, version: str) -> None:
    """The version the run would run must be the deployed one."""
    if version != got.version:
        raise ConfigError(
            f"{ref} at commit {str(got.commit)[:12]} is version {version[:19]}…, not the "
            f"version deployed in {env!r} ({got.version[:19]}…): that deployment included "
            "changes that were never committed",
            hint="commit the change, then plan and apply again",
        )
