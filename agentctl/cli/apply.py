from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from agentctl.cli.common import WorkspaceOpt, format_option

if TYPE_CHECKING:
    from agentctl.deploy.apply import Shell

AutoOpt = typer.Option(
    False, "--auto-approve", help="Skip the confirmation (never a required approval)."
)
ByOpt = typer.Option(None, "--by", help="Who applies (default: $GITHUB_ACTOR in CI, git email).")


def confirmer(auto: bool, format: str) -> Callable[[Any], bool]:
    """The question before anything is recorded: `yes` on a terminal, or --auto-approve.
    Without a terminal (CI) and without --auto-approve, refuse up front."""
    from agentctl.cli.common import emit, note, render
    from agentctl.deploy.plan import Plan
    from agentctl.errors import UsageError

    def show(subject: Any) -> None:
        if isinstance(subject, Plan) and format == "text":
            emit(render("plan", "text", subject))

    if auto:

        def yes(subject: Any) -> bool:
            show(subject)
            return True

        return yes
    if not sys.stdin.isatty():
        raise UsageError(
            "no terminal to confirm on (stdin is not a TTY)",
            hint="pass --auto-approve to skip the confirmation (required approvals are "
            "still checked)",
        )

    def ask(subject: Any) -> bool:
        show(subject)
        question = subject if isinstance(subject, str) else "Apply these changes?"
        note(f"{question} Only 'yes' is accepted.")
        sys.stderr.write("  Enter a value: ")
        sys.stderr.flush()
        return sys.stdin.readline().strip() == "yes"

    return ask


def command(
    plan_file: Path = typer.Argument(None, help="A saved plan (agentctl plan -o FILE)."),
    env: str = typer.Option(None, "--env", "-e", help="Environment (default: the only one)."),
    auto_approve: bool = AutoOpt,
    by: str = ByOpt,
    workspace: Path = WorkspaceOpt,
    ledger: Path = typer.Option(None, "--ledger", help="Ledger file (default: the workspace's)."),
    format: str = format_option("apply"),
) -> int:
    """Deploy a plan: check it is current, run its gates, record it in the ledger.

    Refuses a stale plan (the workspace or the environment moved since it was
    made), an environment whose predecessor in the promotion order lacks these
    versions, and missing approvals (it records the requests: see agentctl
    approvals). Gates: lint, each eval suite (a passing result already in the
    ledger for exactly these versions counts), each policy scenario. One ledger
    transaction records the deployment and uses the approvals; a lock keeps a
    second apply to the same environment out.

    Example: agentctl apply plan.json
    """
    from agentctl.cli.common import emit, render
    from agentctl.deploy.apply import apply
    from agentctl.errors import ExitCode

    shell = deploy_shell("apply", format, auto_approve, by, workspace, ledger)
    out = apply(shell, env=env, plan_file=plan_file)
    emit(render("apply", format, out))
    return ExitCode.OK


def deploy_shell(
    report: str, format: str, auto_approve: bool, by: str | None, workspace: Path, ledger: Path
) -> Shell:
    """What apply and rollback get from the shell: the workspace, the ledger, who you are,
    the clock, the confirmation and the notes (agentctl.deploy.apply.Shell)."""
    import os

    from agentctl.approvals.identity import identity
    from agentctl.cli.common import check_format, clock, ledger_file, note, workspace_root
    from agentctl.deploy.apply import Shell

    check_format(format, report)
    confirm = confirmer(auto_approve, format)
    root = workspace_root(workspace)
    return Shell(
        root, ledger_file(root, ledger), identity(by, os.environ, root), clock, confirm, note
    )
