"""The rule registry: what a rule is, how one registers, how it reports a finding.

Apart from the package's __init__ so that rule modules import this and the package
imports them, without a cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from agentctl.findings import Finding, Severity
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
