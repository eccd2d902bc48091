"""`agentctl tasks`: the human tasks that policies, SLA breaches and interrupted actions
opened (ledger events), and closing one with a reason."""

from __future__ import annotations

from pathlib import Path

import typer

from agentctl.cli.common import WorkspaceOpt, check_format, emit, format_option, render

app = typer.Typer(
    help=(
        "Human tasks opened by policies (escalate, incident), SLA breaches and interrupted "
        "actions.\n\nExample: agentctl tasks --open"
    ),
    invoke_without_command=True,
)

LedgerOpt = typer.Option(
    None,
    "--ledger",
    "-l",
    help="The ledger file (default: spec.ledger of the workspace, .agentctl/ledger.db).",
    dir_okay=False,
)


def _path(ledger: Path | None, workspace: Path | None) -> Path:
    if ledger is not None:
        return ledger
    from agentctl.cli.common import ledger_file, workspace_root

    return ledger_file(workspace_root(workspace), None)


@app.callback()
def tasks(
    ctx: typer.Context,
    open_only: bool = typer.Option(False, "--open", help="Only the tasks still open."),
    ledger: Path = LedgerOpt,
    workspace: Path = WorkspaceOpt,
    format: str = format_option("tasks"),
) -> int:
    """List human tasks, oldest first.

    Example: agentctl tasks --open --format json
    """
    if ctx.invoked_subcommand is not None:
        return 0
    from agentctl.ledger import Ledger
    from agentctl.serve.tasks import list_tasks

    check_format(format, "tasks")
    with Ledger.open(_path(ledger, workspace), readonly=True) as led:
        found = list_tasks(led, open_only)
    emit(render("tasks", format, found))
    return 0


@app.command()
def close(
    task: str = typer.Argument(..., help="The task id (task-…), as `agentctl tasks` lists it."),
    reason: str = typer.Option(..., "--reason", "-r", help="What was done (recorded)."),
    by: str = typer.Option(
        None, "--by", help="Who closes it (default: $GITHUB_ACTOR, else git user.email)."
    ),
    ledger: Path = LedgerOpt,
    workspace: Path = WorkspaceOpt,
    format: str = format_option("tasks"),
) -> int:
    """Close an open task with a reason (a `task_closed` ledger event).

    Example: agentctl tasks close task-1a2b3c4d5e --reason "called the member back"
    """
    import datetime as dt

    from agentctl.ledger import Ledger
    from agentctl.ledger.erasure import actor
    from agentctl.serve.tasks import close_task

    check_format(format, "tasks")
    path = _path(ledger, workspace)
    Ledger.open(path, readonly=True).close()  # refuse a missing file before creating one
    with Ledger.open(path) as led:
        done = close_task(led, task, reason, actor(by), dt.datetime.now(dt.UTC))
    emit(render("tasks", format, [done]))
    return 0
