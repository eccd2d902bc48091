from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from agentctl.cli.common import RevOpt, WorkspaceOpt, format_option

if TYPE_CHECKING:
    from agentctl.model.index import Workspace


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
    repeat: int = typer.Option(
        1, "--repeat", help="Run each case N independent times (pass rate, flaky cases)."
    ),
    retries: int = typer.Option(
        2, "--retries", help="Retry an errored case up to N times (never a failed one)."
    ),
    retry_budget: float = typer.Option(
        30.0, "--retry-budget", help="Seconds all retries of this run may take in total."
    ),
    max_cost: float = typer.Option(
        None, "--max-cost", help="Stop starting cases once this many USD are spent."
    ),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Run N cases at a time."),
    shard: str = typer.Option(
        None, "--shard", help="Run only shard i of n (i/n); join them with: eval merge."
    ),
    record: bool = typer.Option(
        False,
        "--record",
        help="Run live and write each case's cassette (model and connector answers) to "
        "its suite's recording.dir.",
    ),
    live: bool = typer.Option(
        False, "--live", help="Ignore cassettes: every case runs against the live systems."
    ),
    from_ledger: bool = typer.Option(
        False,
        "--from-ledger",
        help="Judge the suites' invariants (trace assertions of cases tagged 'invariant') "
        "over the charters' real runs in the ledger; report the violating runs.",
    ),
    since: str = typer.Option(
        None, "--since", help="With --from-ledger: only runs since then (7d, 24h, a date)."
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

    Errored cases are retried (--retries, --retry-budget); --max-cost stops the
    run, the cases not run reported as skipped. `agentctl eval merge A.json B.json`
    joins the JSON results of shards (--shard i/n) into one report and verdict.

    Example: agentctl eval support-top-intents --format junit > eval.xml

    With --from-ledger nothing runs: the invariants are judged over the runs already in
    the ledger (eval's own excluded). Example: agentctl eval --from-ledger --since 7d
    """
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
    from agentctl.cli.eval_merge import progress_bar
    from agentctl.errors import ExitCode, UsageError
    from agentctl.evals.runner import Runner, Selection
    from agentctl.ledger import Ledger
    from agentctl.runtime.run import head_commit

    check_format(format, "eval-ledger" if from_ledger else "eval")
    if suites and suites[0] == "merge":  # `eval merge FILE…` (a suite named merge: evalsuite/merge)
        from agentctl.cli.eval_merge import merge

        return merge([Path(f) for f in suites[1:]], format)
    from agentctl.evals.schedule import RunOptions, parse_shard

    options = RunOptions(
        repeat, retries, retry_budget, max_cost, jobs, parse_shard(shard) if shard else None
    )
    options.check()
    if max_regressions is not None and baseline is None:
        raise UsageError(
            "--max-regressions needs --baseline", hint="e.g. --baseline main --max-regressions 0"
        )
    if from_ledger and baseline is not None:
        raise UsageError("--from-ledger judges runs already recorded: no --baseline")
    if record and live:
        raise UsageError("--record and --live cannot be used together")
    if record and baseline is not None:
        raise UsageError(
            "--record cannot be used with --baseline",
            hint="record first (agentctl eval --record), then compare with --baseline",
        )
    given = {
        "--record": record,
        "--live": live,
        "--repeat": repeat > 1,
        "--jobs": jobs > 1,
        "--shard": shard is not None,
        "--max-cost": max_cost is not None,
    }
    ran = [option for option, on in given.items() if on]  # options of a run, not a reading
    if from_ledger and ran:
        raise UsageError(f"--from-ledger judges runs already recorded: no {', '.join(ran)}")
    if since is not None and not from_ledger:
        raise UsageError(
            "--since needs --from-ledger", hint="agentctl eval --from-ledger --since 7d"
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
    if from_ledger:
        from agentctl.evals.production import check_ledger
        from agentctl.evals.runner import select
        from agentctl.ledger.query import resolve_when

        try:  # relative to the shell's clock (--now when given)
            after = resolve_when(since, clock()) if since is not None else None
        except ValueError as exc:
            raise UsageError(f"--since: {exc}") from None
        chosen = select(ws, sel)
        with Ledger.open(ledger, readonly=True) as led:
            found = check_ledger(ws, chosen, led, after)
        emit(render("eval-ledger", format, found))
        return ExitCode.OK if found.passed else ExitCode.FINDINGS
    base = None if baseline is None else _baseline_workspace(root, baseline)
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
            options=options,
            recording="record" if record else "live" if live else None,
        )
        with progress_bar() as runner.progress:
            if base is None or baseline is None:
                report = runner.run(sel)
            else:
                from agentctl.evals.baseline_run import run_compared

                report = run_compared(runner, base, baseline, sel, max_regressions)
    emit(render("eval", format, report))
    return ExitCode.OK if report.passed else ExitCode.FINDINGS


def _baseline_workspace(root: Path, rev: str) -> Workspace:
    from agentctl.cli.common import load_for_running
    from agentctl.errors import GitError

    try:
        return load_for_running(root, rev, "comparing").workspace
    except GitError as exc:  # its hint speaks of --rev
        raise GitError(
            f"--baseline {rev}: {exc.message}",
            hint="name a branch, a tag or a commit of this repository, or drop --baseline",
        ) from None
