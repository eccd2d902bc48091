from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from agentctl.cli.common import RevOpt, WorkspaceOpt, check_format, emit, format_option, use_color

FORMATS = ["text", "json", "markdown"]
RELEVANT = ("policy/", "role/", "charter/", "scenario/")


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
    format: str = format_option(FORMATS),
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
    from agentctl.errors import ExitCode, FindingsError, UsageError

    check_format(format, FORMATS)
    if events is not None and scenario is not None:
        raise UsageError("give a scenario or --events, not both")
    try:
        return _run(
            scenario,
            events,
            policy,
            workspace,
            rev,
            compare,
            reorder_window,
            limit,
            fail_on_flips,
            format,
        )
    except FindingsError as exc:
        _findings(exc, format)
        return ExitCode.FINDINGS


def _findings(exc: Any, format: str) -> None:
    from agentctl.findings import sort_findings

    findings = sort_findings(exc.findings)
    if format == "json":
        from agentctl import FORMAT_VERSION
        from agentctl.render.json import dumps

        emit(
            dumps(
                {
                    "format_version": FORMAT_VERSION,
                    "kind": "simulation",
                    "error": exc.message,
                    "findings": [f.to_dict() for f in findings],
                }
            )
        )
        return
    from agentctl.render.text import render_findings

    sys.stderr.write(render_findings(findings, color=use_color(sys.stderr)))
    sys.stderr.write(f"agentctl: error: {exc.message}\n")
    if exc.hint:
        sys.stderr.write(f"  hint: {exc.hint}\n")


@dataclass
class _Source:
    title: str
    path: Path
    display: str
    expect: list[Any]
    where: Any
    only: list[str] | None


def _run(
    scenario: str | None,
    events: Path | None,
    policy: list[str],
    workspace: Path | None,
    rev: str | None,
    compare: str | None,
    reorder_window: str,
    limit: int,
    fail_on_flips: bool,
    format: str,
) -> int:
    from agentctl.cli.common import workspace_root
    from agentctl.errors import ExitCode, UsageError
    from agentctl.model.types import parse_duration
    from agentctl.render import simulate_json, simulate_markdown, simulate_text
    from agentctl.simulate import compare as compare_runs
    from agentctl.simulate import simulate
    from agentctl.simulate.scenario import select
    from agentctl.simulate.stream import read_events
    from agentctl.workspace.loader import load_workspace

    try:
        window = parse_duration(reorder_window).total_seconds()
    except ValueError as exc:
        raise UsageError(f"--reorder-window: {exc}") from None
    root = workspace_root(workspace)
    head = _usable(load_workspace(root, rev))
    sources: list[_Source] = []
    if events is not None:
        display = _display(events, root)
        sources.append(_Source(events.name, events, display, [], None, policy or None))
    else:
        for sc in select(head, root, scenario):
            only = policy or sc.spec.policies or None
            sources.append(
                _Source(sc.name, sc.events_path, sc.events_display, sc.spec.expect, sc.where, only)
            )
    renderer: Any = {"text": simulate_text, "json": simulate_json, "markdown": simulate_markdown}[
        format
    ]
    color = use_color()
    if compare is not None:
        base = _usable(load_workspace(root, compare))
        cmps = []
        for s in sources:
            with _Bar(s.display) as bar:
                items = read_events(s.path, s.display, bar.update)
                cmps.append(
                    compare_runs(
                        base,
                        head,
                        items,
                        title=s.title,
                        events_file=s.display,
                        only=s.only,
                        window=window,
                    )
                )
        emit(renderer.render_compare(cmps, color=color))
        from agentctl.findings import Severity

        broken = any(f.severity is Severity.ERROR for c in cmps for f in c.findings)
        # decisions the revision under review cannot make fail the run, as in simulate
        broken = broken or any(c.head.unexpected_errors for c in cmps)
        failed = broken or (fail_on_flips and any(c.flips for c in cmps))
        return ExitCode.FINDINGS if failed else ExitCode.OK
    runs = []
    for s in sources:
        with _Bar(s.display) as bar:
            items = read_events(s.path, s.display, bar.update)
            runs.append(
                simulate(
                    head,
                    items,
                    title=s.title,
                    events_file=s.display,
                    only=s.only,
                    expect=s.expect,
                    where=s.where,
                    window=window,
                )
            )
    emit(renderer.render(runs, color=color, limit=limit))
    return ExitCode.FINDINGS if any(r.failed for r in runs) else ExitCode.OK


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _usable(result: Any) -> Any:
    """The workspace, unless a document the simulation needs failed to load."""
    from agentctl.errors import FindingsError
    from agentctl.findings import Severity

    ws = result.workspace
    broken = sorted(r for r in ws.broken if r.startswith(RELEVANT))
    if broken:
        errors = [f for f in result.findings if f.severity is Severity.ERROR]
        where = f" at {ws.rev}" if ws.rev else ""
        raise FindingsError(
            f"cannot simulate{where}: {', '.join(broken)} did not load",
            errors,
            hint="fix the findings above ('agentctl lint' shows them too)",
        )
    return ws


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
