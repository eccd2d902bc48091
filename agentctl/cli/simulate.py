from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import typer

from agentctl.cli.common import RevOpt, WorkspaceOpt, check_format, emit, format_option, render


def command(
    scenario: str = typer.Argument(
        None, help="A scenario name or file (default: every scenario in the workspace)."
    ),
    events: Path = typer.Option(
        None,
        "--events",
        "-e",
        help="Replay this JSONL (or .jsonl.gz) stream instead.",
        dir_okay=False,
    ),
    policy: list[str] = typer.Option(
        [], "--policy", "-p", help="Only these policies (repeatable)."
    ),
    workspace: Path = WorkspaceOpt,
    rev: str = RevOpt,
    compare: str = typer.Option(
        None, "--compare", help="Base git revision: report decision flips from it to --rev."
    ),
    reorder_window: str = typer.Option(
        "0s", "--reorder-window", help="Put events up to this late back in order, e.g. 5m."
    ),
    limit: int = typer.Option(40, "--limit", help="Timeline entries shown as text (0: all)."),
    fail_on_flips: bool = typer.Option(
        False, "--fail-on-flips", help="With --compare: exit 1 when any decision flips."
    ),
    format: str = format_option("simulation"),
) -> int:
    """Replay recorded events through the policies: what would they have decided?

    Runs a scenario (events and expected decisions; exit 1 if one
    fails), every scenario in the workspace, or --events FILE, and
    shows a timeline and a summary per policy.

    With --compare BASE the same events go through two git revisions
    (BASE and --rev, default the working tree) and the decision flips
    are reported.

    Example: agentctl simulate --compare main --format markdown
    """
    from agentctl.cli.common import workspace_root
    from agentctl.errors import UsageError
    from agentctl.model.types import parse_duration
    from agentctl.simulate.runner import run_simulation

    check_format(format, "simulation")
    if events is not None and scenario is not None:
        raise UsageError("give a scenario or --events, not both")
    try:
        window = parse_duration(reorder_window).total_seconds()
    except ValueError as exc:
        raise UsageError(f"--reorder-window: {exc}") from None
    sim = run_simulation(
        workspace_root(workspace),
        scenario=scenario,
        events=events,
        policies=policy,
        rev=rev,
        compare=compare,
        window=window,
        progress=_Bar,
    )
    if sim.problem is not None and format != "json":
        raise sim.problem  # the findings and the reason, on stderr (cli/main.py)
    emit(render("simulation", format, sim, limit=limit))
    return sim.exit_code(fail_on_flips)


class _Bar:
    """A progress bar on stderr, only on a TTY and only once a stream has run a second."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty()
        self.start = time.monotonic()
        self.progress: Any = None
        self.task: Any = None

    def __enter__(self) -> _Bar:
        return self

    def __call__(self, done: int, total: int) -> None:
        self.update(done, total)

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.progress is None:
            if time.monotonic() - self.start < 1.0:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TimeRemainingColumn

            self.progress = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                "[progress.percentage]{task.percentage:>3.0f}%",
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=total)
        self.progress.update(self.task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
