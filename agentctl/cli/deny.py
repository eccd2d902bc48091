from __future__ import annotations

from pathlib import Path

import typer

from agentctl.cli.approve import AsOpt, ByOpt, ReasonOpt
from agentctl.cli.common import RevOpt, WorkspaceOpt, format_option


def command(
    request: str = typer.Argument(..., help="The request id (apr-XXXXXXXX)."),
    as_role: str = AsOpt,
    by: str = ByOpt,
    reason: str = ReasonOpt,
    rev: str = RevOpt,
    workspace: Path = WorkspaceOpt,
    ledger: Path = typer.Option(None, "--ledger", help="Ledger file (default: the workspace's)."),
    format: str = format_option("approvals"),
) -> int:
    """Deny a pending approval request (members of the role only; recorded).

    A denied request stays denied: the deployment or action it was for cannot use
    it. Your identity: --by, else $GITHUB_ACTOR in CI, else git's user.email.

    Example: agentctl deny apr-1a2b3c4d --as role/cto --reason "not this week"
    """
    import os

    from agentctl.approvals import Listing
    from agentctl.approvals.identity import identity
    from agentctl.cli.common import check_format, clock, emit, ledger_file, render, workspace_root
    from agentctl.deploy.approve import Answer, deny, role_ref
    from agentctl.errors import ExitCode

    check_format(format, "approvals")
    root = workspace_root(workspace)
    now = clock()
    ans = Answer(identity(by, os.environ, root), role_ref(as_role), reason, now)
    got = deny(root, ledger_file(root, ledger), request, ans, rev)
    emit(render("approvals", format, Listing([got], now, "denied")))
    return ExitCode.OK
