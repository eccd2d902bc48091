from __future__ import annotations

from pathlib import Path

import typer

from agentctl.cli.common import RevOpt, WorkspaceOpt, format_option

AsOpt = typer.Option(..., "--as", help="The role you act as (role/NAME or NAME).")
ByOpt = typer.Option(None, "--by", help="Who you are (default: $GITHUB_ACTOR in CI, git email).")
ReasonOpt = typer.Option("", "--reason", help="Why, recorded with the answer.")


def command(
    target: str = typer.Argument(
        ...,
        help="A saved plan file, a resource of the current plan (charter/NAME), or a "
        "request id (apr-XXXXXXXX).",
    ),
    as_role: str = AsOpt,
    by: str = ByOpt,
    reason: str = ReasonOpt,
    env: str = typer.Option(None, "--env", "-e", help="Environment of a resource's plan."),
    rev: str = RevOpt,
    workspace: Path = WorkspaceOpt,
    ledger: Path = typer.Option(None, "--ledger", help="Ledger file (default: the workspace's)."),
    format: str = format_option("approvals"),
) -> int:
    """Approve a plan's high-risk changes, one resource's, or a pending request.

    Bound to the exact versions approved (stale once they change) and used once.
    Only members of the role (or of a role it reports to) may approve, and never
    the author of the change. Recorded in the ledger with your identity: --by, else
    $GITHUB_ACTOR in CI, else git's user.email.

    Example: agentctl approve plan.json --as role/cto --reason "reviewed in #42"
    """
    import os

    from agentctl.approvals import Listing
    from agentctl.approvals.identity import identity
    from agentctl.cli.common import check_format, clock, emit, ledger_file, render, workspace_root
    from agentctl.deploy.approve import Answer, approve, role_ref
    from agentctl.errors import ExitCode

    check_format(format, "approvals")
    root = workspace_root(workspace)
    now = clock()
    ans = Answer(identity(by, os.environ, root), role_ref(as_role), reason, now)
    got = approve(root, ledger_file(root, ledger), target, ans, env=env, rev=rev)
    emit(render("approvals", format, Listing(got, now, "approved")))
    return ExitCode.OK
