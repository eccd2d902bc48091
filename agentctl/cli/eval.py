from __future__ import annotations

from pathlib import Path

import typer

from agentctl.cli.common import RevOpt, WorkspaceOpt, format_option


def command(
    suites: list[str] = typer.Argument(
        None, help="Suites to run (name or evalsuite/name; default: every suite)."
    ),
    charter: str = typer.Option(None, "--charter", help="Only the suites of this charter."),
    case: str = typer.Option(None, "--case", help="Only the case with this id."),
    tag: str = typer.Option(None, "--tag", help="Only the cases with this tag."),
    workspace: Path = WorkspaceOpt,
    rev: str = RevOpt,
    ledger: Path = typer.Option(
        None, "--ledger", help="Ledger file (default: spec.ledger of agentctl.yaml)."
    ),
    format: str = format_option("eval"),
    now: str = typer.Option(
        None,
        "--now",
        help="Start every case's clock at this RFC 3339 instant (deterministic CI runs "
        "of dated fixtures and credentials; not on a ledger of real runs).",
    ),
    baseline: str = typer.Option(
        None,
        "--baseline",
        help="Compare each case with its result at this git revision (read from the "
        "ledger when recorded for the same versions, else run there): regressions, "
        "improvements, McNemar p-value, cost and p95 deltas.",
    ),
    max_regressions: int = typer.Option(
        None,
        "--max-regressions",
        min=0,
        help="Fail the gate when more than N cases regressed against --baseline.",
    ),
) -> int:
    """Run eval suites through the runtime and decide their gates.

    Each case runs its charter as `agentctl run` would (guard, budgets, contracts,
    ledger), then its assertions are judged over input, output and the run's trace
    (`agentctl help trace`). Results and verdicts are written to the ledger.
    Exit 0 when every gate passed, 1 when one failed (an errored case fails its
    gate and is reported apart), 2 on usage or configuration errors.

    With --baseline REV each case is paired with its own result at REV (McNemar's
    exact test on the cases that changed); --max-regressions N gates on it.

    Example: agentctl eval support-top-intents --format junit > eval.xml
    """
    import dataclasses
    import datetime as dt
    import os

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
    from agentctl.errors import ExitCode
    from agentctl.evals.runner import Runner, Selection
    from agentctl.ledger import Ledger
    from agentctl.runtime.run import head_commit

    check_format(format, "eval")
    if max_regressions is not None and baseline is None:
        from agentctl.errors import UsageError

        raise UsageError(
            "--max-regressions needs --baseline", hint="e.g. --baseline main --max-regressions 0"
        )
    real = dt.datetime.now(dt.UTC)  # the shell reads the clock
    fixed: dt.datetime | None = None
    override = None
    if now is not None:
        from agentctl.ledger import format_ts
        from agentctl.ledger.clock import mark

        fixed = instant(now)
        override = mark(format_ts(real), now=format_ts(fixed))

    def clock() -> dt.datetime:
        return fixed if fixed is not None else dt.datetime.now(dt.UTC)

    root = workspace_root(workspace)
    result = load_for_running(root, rev, "evaluating")
    ws = result.workspace
    ledger = ledger_file(root, ledger)
    sel = Selection(list(suites or []), charter, case, tag)
    with Ledger.open(ledger) as led:
        runner = Runner(
            ws,
            root,
            led,
            clock,
            commit=ws.commit or head_commit(root),
            rev=rev or None,
            environ=os.environ,
            log=note,
            clock_override=override,
        )
        found = None
        if baseline is not None:  # first, so that this run's results cannot be its own baseline
            from agentctl.evals import baseline_run

            base = load_for_running(root, baseline, "comparing").workspace
            base_runner = dataclasses.replace(
                runner, workspace=base, commit=base.commit, rev=baseline
            )
            found = baseline_run.gather(ws, base, root, baseline, sel, led, base_runner.run)
        report = runner.run(sel)
        if found is not None:
            report.baseline = baseline_run.compare(
                report, found, baseline, base.commit, max_regressions
            )
    emit(render("eval", format, report))
    return ExitCode.OK if report.passed else ExitCode.FINDINGS
