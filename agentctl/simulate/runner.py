"""A simulation of a workspace folder, start to end: the scenarios (or one event stream)
through one revision, or through two side by side. What `agentctl simulate` runs, callable
by any program: it reads files and git (the shell), returns a result, never prints.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentctl.errors import ExitCode, FindingsError
from agentctl.findings import Finding, Severity
from agentctl.model.index import Workspace
from agentctl.simulate import compare as compare_runs
from agentctl.simulate import simulate
from agentctl.simulate.compare import CompareRun
from agentctl.simulate.report import SimRun
from agentctl.simulate.stream import Progress

# what a simulation needs to load; a broken charter elsewhere does not stop it
RELEVANT = ("policy/", "role/", "charter/", "scenario/")

# label → a context whose value is told (done, total) as a stream is read: a progress bar
ProgressFactory = Callable[[str], AbstractContextManager[Progress]]


@dataclass
class Source:
    """One stream to replay: a scenario's events and expectations, or --events FILE."""

    title: str
    path: Path
    display: str  # the path findings name (workspace-relative when inside it)
    expect: list[Any] = field(default_factory=list)
    where: Any = None
    only: list[str] | None = None


@dataclass
class Simulation:
    """What a simulation found: runs (one revision) or comparisons (two revisions), or the
    reason it could not run (`problem`: a needed document or expression is broken)."""

    runs: list[SimRun] = field(default_factory=list)
    comparisons: list[CompareRun] | None = None
    problem: FindingsError | None = None

    def failed(self, fail_on_flips: bool = False) -> bool:
        """Expectations failed or errors found; with --compare, errors (or any flip)."""
        if self.problem is not None:
            return True
        if self.comparisons is not None:
            cmps = self.comparisons
            broken = any(f.severity is Severity.ERROR for c in cmps for f in c.findings)
            # decisions the revision under review cannot make fail the run, as in simulate
            broken = broken or any(c.head.unexpected_errors for c in cmps)
            # a scenario's expectations hold for the revision under review, or it fails
            broken = broken or any(c.head.failed_checks for c in cmps)
            return broken or (fail_on_flips and any(c.flips for c in cmps))
        return any(r.failed for r in self.runs)

    def exit_code(self, fail_on_flips: bool = False) -> int:
        return ExitCode.FINDINGS if self.failed(fail_on_flips) else ExitCode.OK


@contextlib.contextmanager
def _no_progress(_label: str) -> Iterator[Progress | None]:
    yield None


def run_simulation(
    root: Path,
    *,
    scenario: str | None = None,
    events: Path | None = None,
    policies: list[str] | None = None,
    rev: str | None = None,
    compare: str | None = None,
    window: float = 0.0,
    progress: ProgressFactory | None = None,
) -> Simulation:
    """Simulate the workspace at `root` (at `rev`, default the working tree).

    `scenario` (a name or a file), or `events` (a JSONL stream), or every scenario; with
    `compare` the same events also go through that base revision and flips are reported.
    Usage and configuration errors raise; findings that stop the run are `problem`.
    """
    from agentctl.simulate.stream import read_events
    from agentctl.workspace.loader import load_workspace

    bar: Any = progress or _no_progress
    try:
        head = _usable(load_workspace(root, rev))
        sources = _sources(head, root, scenario, events, policies or [])
        if compare is not None:
            base = _usable(load_workspace(root, compare))
            cmps = []
            for s in sources:
                with bar(s.display) as tell:
                    items = read_events(s.path, s.display, tell)
                    cmps.append(
                        compare_runs(
                            base,
                            head,
                            items,
                            title=s.title,
                            events_file=s.display,
                            only=s.only,
                            window=window,
                            expect=s.expect,
                            where=s.where,
                        )
                    )
            return Simulation(comparisons=cmps)
        runs = []
        for s in sources:
            with bar(s.display) as tell:
                items = read_events(s.path, s.display, tell)
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
        return Simulation(runs=runs)
    except FindingsError as exc:  # an outcome of the simulation, not a crash: report it
        return Simulation(problem=exc)


def _sources(
    head: Workspace, root: Path, scenario: str | None, events: Path | None, policies: list[str]
) -> list[Source]:
    from agentctl.simulate.scenario import select

    if events is not None:
        return [Source(events.name, events, _display(events, root), only=policies or None)]
    return [
        Source(
            sc.name,
            sc.events_path,
            sc.events_display,
            sc.spec.expect,
            sc.where,
            policies or sc.spec.policies or None,
        )
        for sc in select(head, root, scenario)
    ]


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _usable(result: Any) -> Workspace:
    """The workspace, unless a document the simulation needs failed to load."""
    ws: Workspace = result.workspace
    broken = sorted(r for r in ws.broken if r.startswith(RELEVANT))
    if broken:
        errors: list[Finding] = [f for f in result.findings if f.severity is Severity.ERROR]
        where = f" at {ws.rev}" if ws.rev else ""
        raise FindingsError(
            f"cannot simulate{where}: {', '.join(broken)} did not load",
            errors,
            hint="fix the findings above ('agentctl lint' shows them too)",
        )
    return ws
