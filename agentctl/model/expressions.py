"""The CEL expressions of a resource and their compile-time problems, as findings.

One place for both lint (`cel-invalid`) and the engine (which refuses to run a policy whose
expressions do not check), so the two report the same error with the same key path and
the same column.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from agentctl import expr
from agentctl.findings import Finding, Location, Severity
from agentctl.model.index import Resource
from agentctl.positions import Span, YMap, key_path


def expressions(res: Resource[Any]) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    """(key path, source, context name) of every CEL expression in a resource."""
    spec = res.doc.spec
    if res.kind == "Policy":
        yield ("spec", "condition"), spec.condition, "condition"
        if spec.key is not None:
            yield ("spec", "key"), spec.key, "condition"
        for i, a in enumerate(spec.actions):
            if isinstance(a.input, str):
                yield ("spec", "actions", i, "input"), a.input, "action_input"
            elif isinstance(a.input, dict):
                for k, v in a.input.items():
                    yield ("spec", "actions", i, "input", k), v, "action_input"
            if a.value_usd is not None:
                yield ("spec", "actions", i, "value_usd"), a.value_usd, "action_input"
        for i, ap in enumerate(spec.approvals):
            yield ("spec", "approvals", i, "when"), ap.when, "approval"
    elif res.kind == "EvalSuite":
        for i, case in enumerate(spec.cases):
            for j, a in enumerate(case.assert_):
                yield ("spec", "cases", i, "assert", j), a, "assertion"


def _location(res: Resource[Any], path: tuple[str | int, ...], column: int | None) -> Location:
    """The place of the expression, moved to the column inside it: exactly on one line,
    through the loader's spans when the value spans lines (`|`, `>`, multi-line flow);
    the value's start when neither is exact, never a column past the line's end."""
    loc = res.location(*path)
    if column is None:
        return loc
    parent: Any = res.raw
    for p in path[:-1]:
        parent = parent[p]
    last = path[-1]
    if not isinstance(parent, YMap) or not isinstance(last, str):
        return loc
    text = parent.get(last)
    if not isinstance(text, str) or (loc.line, loc.column) != parent.vpos[last]:
        return loc
    if parent.block is not None and last in parent.block:
        return _in_spans(loc, parent.block[last], column - 1)
    if "\n" in text:
        return loc
    # the value starts at loc; a quote adds one column (escapes inside may shift it a little)
    shift = 1 if last in parent.quoted else 0
    return Location(loc.file, loc.line, loc.column + shift + column - 1, loc.rev)


def _in_spans(loc: Location, spans: tuple[Span, ...], offset: int) -> Location:
    for start, line, col, length in spans:
        if start <= offset < start + length:
            return Location(loc.file, line, col + offset - start, loc.rev)
    return loc


def cel_findings(res: Resource[Any]) -> Iterator[Finding]:
    """`cel-invalid` findings for every expression of `res` that does not check."""
    for path, source, where in expressions(res):
        for problem in expr.check(source, expr.CONTEXTS[where]):
            yield Finding(
                "cel-invalid",
                Severity.ERROR,
                f"{key_path(path)}: {problem.message}",
                _location(res, path, problem.column),
                problem.hint,
                key_path(path),
                res.ref,
            )
