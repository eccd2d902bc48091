"""Finding the scenarios to run: by name in the workspace, or a Scenario file anywhere."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentctl.errors import FindingsError, UsageError
from agentctl.findings import Finding, Location, Severity
from agentctl.model.index import Resource, Workspace
from agentctl.model.kinds import ScenarioDoc, ScenarioSpec
from agentctl.workspace.loader import too_large
from agentctl.workspace.paths import PathRefused, TooLarge, inside, named, read_capped
from agentctl.workspace.yamlload import MAX_FILE_BYTES


@dataclass
class Scenario:
    name: str
    file: str  # where it was defined (workspace-relative when inside the workspace)
    spec: ScenarioSpec
    events_path: Path
    events_display: str
    where: Callable[[int, str], Location]


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _refused(exc: PathRefused, at: Location) -> FindingsError:
    msg = f"{exc}: it is not read"
    hint = "a scenario's events file lies inside the workspace, named relative to the scenario"
    return FindingsError(
        f"the scenario's events file {exc.path!r} is outside the workspace",
        [Finding("path-outside", Severity.ERROR, msg, at, hint)],
    )


def from_resource(res: Resource[ScenarioDoc], root: Path) -> Scenario:
    rel = res.doc.spec.events
    try:
        full = inside(root, named(res.file, rel))
    except PathRefused as exc:
        raise _refused(exc, res.location("spec", "events")) from None

    def where(i: int, key: str) -> Location:
        return res.location("spec", "expect", i, key)

    return Scenario(res.name, res.file, res.doc.spec, full, named(res.file, rel), where)


def from_file(path: Path, root: Path) -> Scenario:
    """A Scenario document in a file the workspace does not hold (or excludes)."""
    from agentctl.model.validate import validate_document
    from agentctl.positions import position
    from agentctl.workspace.yamlload import parse_bytes

    display = _display(path, root)

    def problem(p: Any) -> Finding:
        return Finding(
            p.code, Severity(p.severity), p.message, Location(display, p.line, p.column), p.hint
        )

    try:
        data = read_capped(path, MAX_FILE_BYTES, display)
    except TooLarge as exc:
        too_big = [too_large(display, exc.limit)]
        raise FindingsError(f"{display} is not a valid Scenario", too_big) from None
    docs, problems = parse_bytes(data)
    findings = [problem(p) for p in problems]
    found: list[tuple[ScenarioDoc, Any]] = []
    for doc in docs:
        findings.extend(problem(p) for p in doc.problems)
        if doc.data is None:
            continue
        model, errs = validate_document(doc.data, display, None, doc.line)
        findings.extend(errs)
        if isinstance(model, ScenarioDoc):
            found.append((model, doc.data))
    if findings:
        raise FindingsError(f"{display} is not a valid Scenario", findings)
    if len(found) != 1:
        raise UsageError(
            f"{display} holds {len(found)} Scenario documents",
            hint="a scenario file holds exactly one 'kind: Scenario' document",
        )
    model, raw = found[0]

    def where(i: int, key: str) -> Location:
        pos = position(raw, ("spec", "expect", i, key)) or (1, 1)
        return Location(display, pos[0], pos[1])

    # The file itself was named on the command line, so it may be anywhere; the events path
    # it names may not leave the workspace, or, for a file outside it, the file's own folder.
    base = root.resolve()
    real = path.resolve()
    if not real.is_relative_to(base):
        base = real.parent
    try:
        rel = named(real.relative_to(base).as_posix(), model.spec.events)
        events = inside(base, rel)
    except PathRefused as exc:
        pos = position(raw, ("spec", "events")) or (1, 1)
        raise _refused(exc, Location(display, pos[0], pos[1])) from None
    return Scenario(model.metadata.name, display, model.spec, events, _display(events, root), where)


def select(ws: Workspace, root: Path, arg: str | None) -> list[Scenario]:
    """`arg` is a scenario name, `scenario/NAME`, or a file; None: every scenario."""
    if arg is None:
        found = sorted(ws.scenarios, key=lambda r: r.name)
        if not found:
            raise UsageError(
                "the workspace has no scenarios",
                hint="pass a scenario file, or --events FILE to replay a stream",
            )
        return [from_resource(r, root) for r in found]
    name = arg.removeprefix("scenario/")
    by_name = {r.name: r for r in ws.scenarios}
    if name in by_name:
        return [from_resource(by_name[name], root)]
    path = Path(arg)
    if path.is_file():
        rel = _display(path, root)
        for r in ws.scenarios:
            if r.file == rel:
                return [from_resource(r, root)]
        return [from_file(path, root)]
    from agentctl.model.validate import did_you_mean

    raise UsageError(
        f"no scenario or file {arg!r}",
        hint=did_you_mean(name, by_name) or "scenarios: " + (", ".join(sorted(by_name)) or "none"),
    )
