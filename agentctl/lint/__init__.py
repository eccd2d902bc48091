"""Lint: a registry of small rules over a Workspace. Each rule has an id, a doc line and an
explanation (`agentctl explain RULE`). Loader findings (YAML, schema) are rules too, with
no check function: the loader produces them, the registry documents them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from agentctl.findings import Finding, count, sort_findings
from agentctl.lint.registry import (
    RULES,
    Check,
    LintContext,
    Rule,
    finding,
    loader_rule,
    rule,
)
from agentctl.model.index import Workspace

__all__ = [
    "RULES",
    "Check",
    "LintContext",
    "LintReport",
    "Rule",
    "all_rules",
    "finding",
    "iter_refs",
    "loader_rule",
    "rule",
    "run_lint",
]


@dataclass
class LintReport:
    findings: list[Finding]
    workspace: Workspace
    files: int
    rules: dict[str, Rule] = field(default_factory=dict)
    # the workspace's folder relative to its git repository's root ("" at the root, or
    # "ops/agents/"): code scanning and annotations want repository-relative paths
    repo_prefix: str = ""

    @property
    def counts(self) -> dict[str, int]:
        return count(self.findings)

    def failed(self, strict: bool = False) -> bool:
        c = self.counts
        return c["error"] > 0 or (strict and c["warning"] > 0)


def _load_rules() -> None:
    # Importing registers. Kept in one place so `--list-rules` and lint agree.
    from agentctl.lint import (  # noqa: F401
        rules_budget,
        rules_cel,
        rules_hygiene,
        rules_load,
        rules_permissions,
        rules_refs,
        rules_schema,
        rules_time,
    )


def all_rules() -> dict[str, Rule]:
    _load_rules()
    return dict(sorted(RULES.items()))


def run_lint(
    workspace: Workspace,
    load_findings: Iterable[Finding],
    today: date,
    *,
    files: int = 0,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
) -> LintReport:
    """Every rule over the workspace, plus what the loader found. Pure."""
    rules = all_rules()
    ctx = LintContext(workspace, today)
    findings: list[Finding] = list(load_findings)
    for r in rules.values():
        if r.check is not None:
            findings.extend(r.check(ctx))
    sel, ign = set(select), set(ignore)
    if sel:
        findings = [f for f in findings if f.code in sel]
    if ign:
        findings = [f for f in findings if f.code not in ign]
    return LintReport(sort_findings(findings), workspace, files, rules)


def iter_refs(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from iter_refs(v)
