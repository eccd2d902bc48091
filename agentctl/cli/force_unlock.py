from __future__ import annotations

from pathlib import Path

import typer

from agentctl.cli.common import WorkspaceOpt, format_option


def command(
    lock_id: str = typer.Argument(..., help="The lock's id (lock-XXXXXXXX), as apply names it."),
    workspace: Path = WorkspaceOpt,
    ledger: Path = typer.Option(None, "--ledger", help="Ledger file (default: the workspace's)."),
    format: str = format_option("force-unlock"),
) -> int:
    """Release an environment's deploy lock left by a crashed apply.

    Only for a lock whose holder is gone: a running apply loses its protection.
    A deployment is one ledger transaction, so a crashed apply left either the
    previous deployment or the new one, never a mix.

    Example: agentctl force-unlock lock-1a2b3c4d
    """
    from agentctl.cli.common import check_format, emit, ledger_file, render, workspace_root
    from agentctl.deploy.lock import force_unlock
    from agentctl.errors import ExitCode

    check_format(format, "force-unlock")
    root = workspace_root(workspace)
    holder = force_unlock(ledger_file(root, ledger), lock_id)
    emit(render("force-unlock", format, holder))
    return ExitCode.OK
