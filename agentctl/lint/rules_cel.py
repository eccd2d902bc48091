"""CEL: every expression compiles and uses only the variables its place provides."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from agentctl import expr
from agentctl.findings import Finding, Severity
from agentctl.lint.registry import LintContext, rule
from agentctl.model.expressions import cel_findings
from agentctl.model.index import Resource


@rule(
    "cel-invalid",
    Severity.ERROR,
    "A CEL expression that does not compile or uses unknown names.",
    """
Conditions, computed inputs, approval rules and eval assertions are CEL. Each place has its
own variables: conditions and inputs see `event`, `metrics`, `state`; approval rules also
`plan`; assertions see `output`, `trace`, `input`. Numbers are doubles (`2` means `2.0`), so
`event.units * 0.9 > 2` works. An expression that fails here would fail on the first event.
""",
    "cel",
)
def cel_invalid(ctx: LintContext) -> Iterator[Finding]:
    for res in ctx.workspace.resources:
        if res.kind not in ("Policy", "EvalSuite"):
            continue
        yield from cel_findings(res)
        if res.kind == "EvalSuite":
            yield from _file_case_problems(ctx, res)


def _file_case_problems(ctx: LintContext, res: Resource[Any]) -> Iterator[Finding]:
    """Assertions of cases kept in a JSONL cases file, located in that file."""
    for site in ctx.workspace.file_cases.get(res.ref, []):
        for j, source in enumerate(site.case.assert_):
            for problem in expr.check(source, expr.CONTEXTS["assertion"]):
                yield Finding(
                    "cel-invalid",
                    Severity.ERROR,
                    f"case {site.case.id!r} assert[{j}]: {problem.message}",
                    site.locate("assert"),
                    problem.hint,
                    f"assert[{j}]",
                    res.ref,
                )
