from __future__ import annotations

from pathlib import Path

import typer

from agentctl.cli.apply import AutoOpt, ByOpt
from agentctl.cli.common import WorkspaceOpt, format_option


def command(
    resource: str = typer.Argument(..., help="The resource to roll back (charter/NAME)."),
    to: str = typer.Option(
        None, "--to", help="The deployment whose version to restore (default: the previous)."
    ),
    env: str = typer.Option(None, "--env", "-e", help="Environment (default: the only one)."),
    auto_approve: bool = AutoOpt,
    by: str = ByOpt,
    workspace: Path = WorkspaceOpt,
    ledger: Path = typer.Option(None, "--ledger", help="Ledger file (default: the workspace's)."),
    format: str = format_option("rollback"),
) -> int:
    """Re-deploy a resource's previous version (or its version in --to DEPLOYMENT).

    Recorded as a deployment like any apply, under the same lock; the gate results
    recorded when that version was deployed are reused.

    Example: agentctl rollback charter/triage-agent --env prod
    """
    from agentctl.cli.apply import deploy_shell
    from agentctl.cli.common import emit, render
    from agentctl.deploy.apply import rollback
    from agentctl.errors import ExitCode

    shell = deploy_shell("rollback", format, auto_approve, by, workspace, ledger)
    out = rollback(shell, resource, env=env, to=to)
    emit(render("rollback", format, out))
    return ExitCode.OK
