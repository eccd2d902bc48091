"""Lint: a registry of small rules over a Workspace. Each rule has an id, a doc line and an
explanation (`agentctl explain RULE`). Loader findings (YAML, schema) are rules too, with
no check function: the loader produces them, the registry documents them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from agentctl.findings import Finding, Location, Severity, count, sort_findings
from agentctl.model.index import Resource, Workspace
from agentctl.positions import key_path


@dataclass(frozen=True)
class LintContext:
    workspace: Workspace
    today: date


Check = Callable[[LintContext], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str  # one line
    explanation: str  # why it matters and how to fix it
    check: Check | None = None  # None: reported by the loader
    category: str = "semantics"


RULES: dict[str, Rule] = {}


def rule(
    id: str, severity: Severity, summary: str, explanation: str, category: str = "semantics"
) -> Callable[[Check], Check]:
    """Register a check function as a rule."""

    def register(fn: Check) -> Check:
        if id in RULES:
            raise ValueError(f"rule {id} registered twice")
        RULES[id] = Rule(id, severity, summary, explanation.strip(), fn, category)
        return fn

    return register


def loader_rule(id: str, severity: Severity, summary: str, explanation: str) -> None:
    RULES[id] = Rule(id, severity, summary, explanation.strip(), None, "load")


def finding(
    rule_id: str,
    res: Resource[Any],
    path: tuple[str | int, ...],
    message: str,
    hint: str | None = None,
    *,
    key: bool = False,
    severity: Severity | None = None,
) -> Finding:
    """A finding about `res` at the key `path` of its document."""
    sev = severity or RULES[rule_id].severity
    keypath = key_path(path) if path else None
    return Finding(rule_id, sev, message, res.location(*path, key=key), hint, keypath, res.ref)


def finding_at(rule_id: str, location: Location, message: str, hint: str | None = None) -> Finding:
    return Finding(rule_id, RULES[rule_id].severity, message, location, hint)


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
