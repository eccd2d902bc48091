"""Eval cases kept in JSONL beside their suite (`spec.cases_file`): parsed and validated
like inline cases, each with its own file:line:col. Pure: the shell hands in the bytes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from agentctl.engine.events import MAX_LINE_BYTES, too_deep
from agentctl.findings import Finding, Location, Severity
from agentctl.model.kinds import Case
from agentctl.model.validate import allowed_keys, did_you_mean
from agentctl.positions import key_path
from agentctl.workspace.paths import PathRefused, named
from agentctl.workspace.yamlload import MAX_DEPTH


@dataclass(frozen=True)
class CaseSite:
    """One case and how to find a key of it in its source."""

    case: Case
    locate: Callable[..., Location]  # locate(*keypath within the case) -> Location
    where: str  # "spec.cases[3]" or "cases.jsonl:4", for messages


def cases_path(suite_file: str, cases_file: str) -> str:
    """The workspace path of a suite's cases file; PathRefused if it leaves the workspace."""
    return named(suite_file, cases_file)


def _column(line: str, key: Any) -> int:
    if isinstance(key, str):
        idx = line.find(json.dumps(key))
        if idx >= 0:
            return idx + 1
    return 1


def _read_line(line: str) -> tuple[Any, tuple[str, int] | None]:
    """The line's JSON value, or (message, column) when it cannot be a case, within the
    caps a YAML document or an event has: at most MAX_LINE_BYTES, MAX_DEPTH levels."""
    if len(line) > MAX_LINE_BYTES:
        return None, (f"the line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB", 1)
    deep = f"the case nests deeper than {MAX_DEPTH} levels"
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, (f"not a JSON object: {exc.msg}", exc.colno)
    except RecursionError:
        return None, (deep, 1)
    except ValueError as exc:  # an integer of over 4300 digits
        return None, (f"not a JSON object: {exc}", 1)
    return (None, (deep, 1)) if too_deep(raw, MAX_DEPTH) else (raw, None)


def parse_cases(
    data: bytes, file: str, rev: str | None, ref: str
) -> tuple[list[CaseSite], list[Finding]]:
    """Each non-blank line one case (a JSON object). Bad lines are findings, not crashes."""
    sites: list[CaseSite] = []
    findings: list[Finding] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad_line = data[: exc.start].count(b"\n") + 1
        return [], [
            Finding(
                "yaml-encoding",
                Severity.ERROR,
                "not valid UTF-8",
                Location(file, bad_line, 1, rev),
                "save the file as UTF-8",
            )
        ]
    # "\n" only: str.splitlines also splits at U+2028 and friends, which JSON strings may hold
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        raw, problem = _read_line(line)
        if problem is not None:
            findings.append(
                Finding(
                    "schema",
                    Severity.ERROR,
                    problem[0],
                    Location(file, lineno, problem[1], rev),
                    "each line of a cases file is one case as a JSON object",
                    resource=ref,
                )
            )
            continue
        if not isinstance(raw, dict):
            findings.append(
                Finding(
                    "schema",
                    Severity.ERROR,
                    "a case must be a JSON object with 'id', 'input' and 'assert'",
                    Location(file, lineno, 1, rev),
                    resource=ref,
                )
            )
            continue

        def locate(*path: Any, _line: str = line, _n: int = lineno) -> Location:
            return Location(file, _n, _column(_line, path[0]) if path else 1, rev)

        try:
            case = Case.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = err["loc"]
                key = loc[0] if loc else None
                if err["type"] == "extra_forbidden":
                    msg = f"unknown field {key!r}"
                    hint = did_you_mean(str(key), allowed_keys(Case))
                    code = "unknown-field"
                elif err["type"] == "missing":
                    msg, hint, code = f"missing required field {key!r}", None, "missing-field"
                else:
                    where = key_path(loc)
                    msg, hint, code = f"{where}: {err['msg']}", None, "schema"
                findings.append(
                    Finding(code, Severity.ERROR, msg, locate(*loc), hint, resource=ref)
                )
            continue
        sites.append(CaseSite(case, locate, f"{file}:{lineno}"))
    return sites, findings


def needed_files(workspace: Any) -> Iterator[tuple[Any, str]]:
    """(suite resource, workspace path of its cases file) for every suite that has one."""
    for suite in workspace.suites:
        rel = suite.doc.spec.cases_file
        if rel:
            try:
                yield suite, cases_path(suite.file, rel)
            except PathRefused:
                continue  # lint's path-outside reports it; it is never read


def attach_cases(workspace: Any, files: Mapping[str, bytes]) -> list[Finding]:
    """Parse every suite's cases file found in `files`; store the sites on the workspace."""
    findings: list[Finding] = []
    for suite, path in needed_files(workspace):
        data = files.get(path)
        if data is None:
            continue  # lint's file-missing reports it
        sites, problems = parse_cases(data, path, workspace.rev, suite.ref)
        workspace.file_cases[suite.ref] = sites
        findings.extend(problems)
    return findings


def suite_cases(workspace: Any, suite: Any) -> list[CaseSite]:
    """Inline cases, then the cases file's, each able to say where it is."""
    sites = []
    for i, case in enumerate(suite.doc.spec.cases):

        def locate(*path: Any, _i: int = i) -> Location:
            return suite.location("spec", "cases", _i, *path)  # type: ignore[no-any-return]

        sites.append(CaseSite(case, locate, f"spec.cases[{i}]"))
    sites.extend(workspace.file_cases.get(suite.ref, []))
    return sites
