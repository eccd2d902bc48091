from __future__ import annotations

from pathlib import Path

import typer

from agentctl.cli.common import WorkspaceOpt, format_option


def command(
    env: str = typer.Option(None, "--env", "-e", help="Only this environment."),
    unused_for: str = typer.Option(
        "30d", "--unused-for", help="The window for unused grants (e.g. 30d, 2w is 14d)."
    ),
    workspace: Path = WorkspaceOpt,
    ledger: Path = typer.Option(None, "--ledger", help="Ledger file (default: spec.ledger)."),
    now: str = typer.Option(
        None, "--now", help="Judge as of this RFC 3339 instant (default: the clock)."
    ),
    format: str = format_option("status"),
) -> int:
    """What is deployed where, and what needs attention.

    Per environment its last deployment and the drift from the workspace;
    paused charters; credentials expiring within 14 days; permission reviews
    due; grants unused for --unused-for (default 30d) from the ledger's tool
    calls, with the `tools:` entries to remove (file:line:col). Exit 0.

    Example: agentctl status --env prod --unused-for 30d
    """
    import datetime as dt
    from zoneinfo import ZoneInfo

    from agentctl.cli.common import (
        check_format,
        emit,
        instant,
        ledger_file,
        load,
        render,
        workspace_root,
    )
    from agentctl.deploy.desired import safe_reader
    from agentctl.deploy.state import environment
    from agentctl.deploy.status import gather
    from agentctl.errors import ExitCode, UsageError
    from agentctl.ledger import Ledger
    from agentctl.model.types import parse_duration
    from agentctl.model.versions import versions

    check_format(format, "status")
    try:
        window = parse_duration(unused_for)
    except ValueError:
        raise UsageError(
            f"--unused-for {unused_for!r} is not a duration", hint="e.g. 30d, 12h"
        ) from None
    moment = instant(now) if now is not None else dt.datetime.now(dt.UTC)
    root = workspace_root(workspace)
    result = load(root, None)
    ws = result.workspace
    if env is not None:
        env = environment(ws.settings, env).name
    today = moment.astimezone(ZoneInfo(ws.settings.defaults.timezone)).date()

    # the versions plan compares with the applied state (deploy/desired.py)
    desired = versions(ws, safe_reader(result.reader))
    path = ledger_file(root, ledger)
    if path.is_file():
        with Ledger.open(path, readonly=True) as led:
            report = gather(ws, led, desired, env=env, now=moment, today=today, window=window)
    else:
        report = gather(ws, None, desired, env=env, now=moment, today=today, window=window)
    emit(render("status", format, report))
    return ExitCode.OK
