"""`agentctl pause` and `agentctl resume`: the emergency brake (agentctl/deploy/pause.py)."""

from __future__ import annotations

from pathlib import Path

import typer

from agentctl.cli.common import WorkspaceOpt, format_option

EnvOpt = typer.Option(
    None, "--env", "-e", help="The environment (default: the workspace's only or default one)."
)
ReasonOpt = typer.Option(..., "--reason", help="Why (recorded in the ledger).")
ByOpt = typer.Option(None, "--by", help="Who (default: $GITHUB_ACTOR in CI, else git user.email).")
WriteOpt = typer.Option(
    None,
    "--write/--no-write",
    help="Also edit the charter's YAML (spec.paused), changing that one line "
    "(default: ask on a terminal, else no).",
)
LedgerOpt = typer.Option(None, "--ledger", help="Ledger file (default: spec.ledger).")


def command(
    charter: str = typer.Argument(..., help="The charter to pause (name or charter/name)."),
    env: str = EnvOpt,
    reason: str = ReasonOpt,
    by: str = ByOpt,
    write: bool = WriteOpt,
    workspace: Path = WorkspaceOpt,
    ledger: Path = LedgerOpt,
    format: str = format_option("pause"),
) -> int:
    """Pause a charter in an environment at once: its runs are refused from now on.

    Recorded in the ledger (who, when, why) before anything else; every run,
    eval case and nested ask of the charter in that environment is then refused
    by the guard, naming who paused it, when and why. Offers to write
    `paused: true` into the charter's YAML (so the next deployment carries it).

    Example: agentctl pause support-tier1 --env prod --reason "refunds loop"
    """
    return _brake(charter, env, reason, by, write, workspace, ledger, format, paused=True)


def resume(
    charter: str = typer.Argument(..., help="The charter to resume (name or charter/name)."),
    env: str = EnvOpt,
    reason: str = ReasonOpt,
    by: str = ByOpt,
    write: bool = WriteOpt,
    workspace: Path = WorkspaceOpt,
    ledger: Path = LedgerOpt,
    format: str = format_option("pause"),
) -> int:
    """Lift a pause: the charter's runs in that environment are allowed again.

    Recorded in the ledger (who, when, why). Offers to remove `paused` from the
    charter's YAML, changing that one line.

    Example: agentctl resume support-tier1 --env prod --reason "fix deployed"
    """
    return _brake(charter, env, reason, by, write, workspace, ledger, format, paused=False)


def _brake(
    charter: str,
    env: str | None,
    reason: str,
    by: str | None,
    write: bool | None,
    workspace: Path | None,
    ledger: Path | None,
    format: str,
    *,
    paused: bool,
) -> int:
    import datetime as dt
    import os
    import sys

    from agentctl.approvals.identity import identity
    from agentctl.cli.common import (
        check_format,
        emit,
        ledger_file,
        load,
        note,
        render,
        workspace_root,
    )
    from agentctl.deploy.pause import BrakeReport, set_paused, write_paused
    from agentctl.deploy.state import environment
    from agentctl.errors import ExitCode
    from agentctl.ledger import Ledger, format_ts
    from agentctl.runtime.run import find_charter

    check_format(format, "pause")
    root = workspace_root(workspace)
    ws = load(root, None).workspace
    res = find_charter(ws, charter)
    env = environment(ws.settings, env).name
    who = identity(by, os.environ, root)
    ts = format_ts(dt.datetime.now(dt.UTC))  # the shell reads the clock
    with Ledger.open(ledger_file(root, ledger)) as led:
        change = set_paused(led, res.name, env, paused=paused, by=who, reason=reason, ts=ts)
    report = BrakeReport(res.name, env, paused, change)
    if write is None and sys.stdin.isatty() and sys.stderr.isatty():  # never asks a pipe
        note(report.headline())
        if bool(res.doc.spec.paused) != paused:
            what = "write `paused: true` into" if paused else "remove `paused` from"
            write = typer.confirm(f"Also {what} {res.file}?", default=False, err=True)
    if write:
        report.yaml = write_paused(root, res.file, res.index, paused)
    emit(render("pause", format, report))
    return ExitCode.OK
