from __future__ import annotations

from pathlib import Path

import typer

from agentctl.cli.common import RevOpt, WorkspaceOpt, format_option


def command(
    charter: str = typer.Argument(..., help="The charter to run (name or charter/name)."),
    input: str = typer.Option(
        "{}", "--input", "-i", help="The task input: JSON, or @FILE.json (@- for stdin)."
    ),
    workspace: Path = WorkspaceOpt,
    rev: str = RevOpt,
    env: str = typer.Option(
        None,
        "--env",
        "-e",
        help="Run the version deployed in this environment (its code from the "
        "deployment's commit); refused when not deployed or paused there.",
    ),
    ledger: Path = typer.Option(
        None, "--ledger", help="Ledger file (default: spec.ledger of agentctl.yaml)."
    ),
    format: str = format_option("run"),
    today: str = typer.Option(
        None,
        "--today",
        help="Judge credentials and contracts as of YYYY-MM-DD (not on a ledger of real runs).",
    ),
    now: str = typer.Option(
        None,
        "--now",
        help="Start the run's clock at this RFC 3339 instant (tests, replays; not on a "
        "ledger of real runs).",
    ),
) -> int:
    """Run a charter's agent under its limits; every step goes to the ledger.

    Prints the agent's output on stdout and a summary on stderr
    (or one JSON document with --format json). Exit 0 on success,
    1 when the agent failed or the guard stopped it, 2 on usage or
    configuration errors, 130 when interrupted.

    Without --env the working copy runs (recorded as undeployed); with --env ENV
    the version deployed there.

    Example: agentctl run support-tier1 --input '{"ticket_id": "T-310452"}'
    """
    import datetime as dt
    import os
    import sys

    from agentctl.cli.common import (
        check_format,
        emit,
        instant,
        ledger_file,
        load_for_running,
        note,
        render,
        workspace_root,
    )
    from agentctl.errors import ExitCode, UsageError
    from agentctl.ledger import Ledger, format_ts, new_trace_id
    from agentctl.ledger.clock import mark
    from agentctl.runtime.run import head_commit, run_charter
    from agentctl.runtime.summary import parse_input

    check_format(format, "run")
    payload = parse_input(input, sys.stdin)
    start = real = dt.datetime.now(dt.UTC)
    day = None
    if today is not None:
        try:
            day = dt.date.fromisoformat(today)
        except ValueError:
            raise UsageError(f"--today {today!r} is not a date", hint="write YYYY-MM-DD") from None
        start = dt.datetime.combine(day, start.time(), tzinfo=dt.UTC)
    if now is not None:
        start = instant(now)
    override = None
    if today is not None or now is not None:
        override = mark(
            format_ts(real), now=format_ts(start) if now is not None else None, today=today
        )
    root = workspace_root(workspace)
    ledger = ledger_file(root, ledger)
    trace_id = new_trace_id()
    if env is not None and rev is not None:
        raise UsageError(
            "--env runs the commit deployed there: --rev cannot be given with it",
            hint="drop --rev (or --env to run a revision undeployed)",
        )
    deployed = None
    if env is not None:
        from agentctl.deploy.running import deployed_charter

        if not ledger.is_file():
            raise UsageError(
                f"nothing is deployed in environment {env!r} (no ledger at {ledger})",
                hint=f"agentctl plan --env {env}, then agentctl apply --env {env}",
            )
        with Ledger.open(ledger, readonly=True) as led:
            deployed = deployed_charter(led, env, charter)
        rev = deployed.commit
    result = load_for_running(root, rev, "running")
    ws = result.workspace
    commit = ws.commit or head_commit(root)
    try:
        with Ledger.open(ledger) as led:
            res = run_charter(
                ws,
                root,
                charter,
                payload,
                ledger=led,
                start=start,
                today=day,
                commit=commit,
                environ=os.environ,
                rev=rev or None,
                log=note,
                trace_id=trace_id,
                clock_override=override,
                env=env,
                deployment=deployed,
            )
    except KeyboardInterrupt:
        # the run_end event is written and the ledger flushed before this point
        note(f"interrupted: run {trace_id} stopped; the ledger is flushed")
        return ExitCode.INTERRUPTED
    if format == "json":
        emit(render("run", format, res))
    else:  # the agent's output is the data (stdout); the summary is a diagnostic (stderr)
        if res.output is not None:
            from agentctl.runtime.summary import render_output

            emit(render_output(res.output))
        note(render("run", format, res))
    return ExitCode.OK if res.ok else ExitCode.FINDINGS
