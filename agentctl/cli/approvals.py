from __future__ import annotations

from pathlib import Path

import typer

from agentctl.cli.common import WorkspaceOpt, format_option


def command(
    env: str = typer.Option(None, "--env", "-e", help="Only this environment's requests."),
    all_: bool = typer.Option(False, "--all", help="Also used, denied and expired ones."),
    workspace: Path = WorkspaceOpt,
    ledger: Path = typer.Option(None, "--ledger", help="Ledger file (default: the workspace's)."),
    format: str = format_option("approvals"),
) -> int:
    """Approval requests: pending and given (not yet used); --all for every one.

    Deployment approvals (from plan and apply) and serve's decisions share them.

    Example: agentctl approvals --env prod
    """
    from agentctl.approvals import Listing, store
    from agentctl.cli.common import check_format, clock, emit, ledger_file, render, workspace_root
    from agentctl.deploy.session import reading
    from agentctl.errors import ExitCode

    check_format(format, "approvals")
    root = workspace_root(workspace)
    now = clock()
    with reading(ledger_file(root, ledger)) as led:
        items = store.every(led.conn) if led is not None else []
    if env is not None:
        items = [a for a in items if a.request.env == env]
    if not all_:
        items = [a for a in items if a.status(now) in ("pending", "granted")]
    emit(render("approvals", format, Listing(items, now)))
    return ExitCode.OK
