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
) -> int:
    """Run eval suites through the runtime and decide their gates.

    Each case runs its charter as `agentctl run` would (guard, budgets, contracts,
    ledger), then its assertions are judged over input, output and the run's trace
    (`agentctl help trace`). Results and verdicts are written to the ledger.
    Exit 0 when every gate passed, 1 when one failed (an errored case fails its
    gate and is reported apart), 2 on usage or configuration errors.

    Example: agentctl eval support-top-intents --format junit > eval.xml
    """
    import datetime as dt
    import os

    from agentctl.cli.common import check_format, emit, load, note, render, workspace_root
    from agentctl.errors import ExitCode
    from agentctl.evals.runner import Runner, Selection
    from agentctl.ledger import Ledger
    from agentctl.runtime.run import head_commit

    check_format(format, "eval")
    root = workspace_root(workspace)
    result = load(root, rev)
    ws = result.workspace
    errors = [f for f in result.findings if f.severity.value == "error"]
    if errors:
        note(
            f"agentctl: {len(errors)} error(s) while loading the workspace; "
            "run 'agentctl lint' (evaluating anyway)"
        )
    if ledger is None:
        from agentctl.ledger.location import ledger_path

        ledger = ledger_path(root)
    sel = Selection(list(suites or []), charter, case, tag)
    with Ledger.open(ledger) as led:
        runner = Runner(
            ws,
            root,
            led,
            lambda: dt.datetime.now(dt.UTC),
            commit=ws.commit or head_commit(root),
            rev=rev or None,
            environ=os.environ,
            log=note,
        )
        report = runner.run(sel)
    emit(render("eval", format, report))
    return ExitCode.OK if report.passed else ExitCode.FINDINGS
