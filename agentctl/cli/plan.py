from __future__ import annotations

from pathlib import Path

import typer

from agentctl.cli.common import RevOpt, WorkspaceOpt, format_option

EnvOpt = typer.Option(None, "--env", "-e", help="Environment (default: the only one).")
LedgerOpt = typer.Option(None, "--ledger", help="Ledger file (default: the workspace's).")


def command(
    env: str = EnvOpt,
    rev: str = RevOpt,
    out: Path = typer.Option(
        None, "--out", "-o", help="Save the plan to this file, for agentctl apply."
    ),
    detailed_exitcode: bool = typer.Option(
        False, "--detailed-exitcode", help="Exit 0 no changes, 1 error, 2 changes present."
    ),
    summary: bool = typer.Option(False, "--summary", help="One line per change."),
    workspace: Path = WorkspaceOpt,
    ledger: Path = LedgerOpt,
    format: str = format_option("plan"),
) -> int:
    """What apply would change in an environment: desired against applied.

    Per resource: create, update or delete, with its semantic diff and risk, the
    gates it requires (lint, the eval suites of changed charters, the scenarios of
    changed policies) and the approvals it needs. Deletions first; the verdict on
    the first line. -o saves the plan with what it was made from (commit, tree,
    the environment's position in the ledger): apply refuses it once stale.

    Example: agentctl plan --env prod -o plan.json --detailed-exitcode
    """
    from agentctl.errors import AgentctlError, ExitCode

    try:
        return _plan(env, rev, out, detailed_exitcode, summary, workspace, ledger, format)
    except AgentctlError as exc:
        if detailed_exitcode:  # Terraform's convention: 1 is an error, 2 means changes
            exc.exit_code = ExitCode.FINDINGS
        raise


def _plan(
    env: str | None,
    rev: str | None,
    out: Path | None,
    detailed: bool,
    summary: bool,
    workspace: Path | None,
    ledger: Path | None,
    format: str,
) -> int:
    from agentctl.cli.common import check_format, emit, ledger_file, note, render, workspace_root
    from agentctl.deploy.plan import plan_data
    from agentctl.deploy.saved import write_plan
    from agentctl.deploy.session import plan_for
    from agentctl.errors import ExitCode

    check_format(format, "plan")
    root = workspace_root(workspace)
    planned = plan_for(root, env, rev, ledger_file(root, ledger))
    plan = planned.plan
    emit(render("plan", format, plan, summary=summary))
    if out is not None:
        write_plan(out, plan_data(plan))
        note(f"agentctl: plan saved to {out}; apply it with: agentctl apply {out}")
    if detailed:
        return 2 if plan.changes else ExitCode.OK
    return ExitCode.OK
