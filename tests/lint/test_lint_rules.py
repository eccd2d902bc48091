"""Every lint rule, triggered from real files in a broken workspace, at an exact place.

The cases live in tests/lint/cases/<rule-id>[--<variant>]/ (see lintcases.py): the files
that break the clean base workspace, and the exact findings of that rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lintcases import BASE, CASES, build_case, case_names, line_of, lint_dir, read_case, rule_of

from agentctl.findings import Severity
from agentctl.lint import all_rules

CASE_NAMES = case_names()


def test_the_base_workspace_lints_cleanly() -> None:
    report = lint_dir(BASE)
    assert [line_of(f) for f in report.findings] == []
    assert report.workspace.summary() == {
        "Charter": 2,
        "Connector": 1,
        "Contract": 1,
        "EvalSuite": 1,
        "Policy": 1,
        "Role": 2,
    }


@pytest.mark.parametrize("name", CASE_NAMES)
def test_rule_case(name: str, tmp_path: Path) -> None:
    case = read_case(name)
    assert case.expected, f"{name}/expect.txt lists no finding"
    root = build_case(name, tmp_path)
    report = lint_dir(root)
    got = [line_of(f) for f in report.findings if f.code == case.rule]
    assert got == list(case.expected)
    for f in report.findings:
        if f.code == case.rule:
            # the place is real: the file exists (or is the missing settings file itself)
            assert (root / f.location.file).is_file() or case.rule == "missing-settings"
            assert f.location.line >= 1 and f.location.column >= 1


def test_every_registered_rule_has_a_case() -> None:
    covered = {rule_of(n) for n in CASE_NAMES}
    rules = set(all_rules())
    assert rules - covered == set(), "rules without a case folder in tests/lint/cases"
    assert covered - rules == set(), "case folders named after no rule"


def test_every_case_folder_has_expectations() -> None:
    folders = sorted(p.name for p in CASES.iterdir() if p.is_dir())
    assert folders == CASE_NAMES


@pytest.mark.parametrize("rule_id", sorted(all_rules()))
def test_every_rule_is_documented(rule_id: str) -> None:
    r = all_rules()[rule_id]
    assert r.id == rule_id
    assert r.summary and "\n" not in r.summary and r.summary.endswith(".")
    assert len(r.explanation) >= 40, "the explanation says why it matters and how to fix it"
    assert isinstance(r.severity, Severity)
    assert r.category


def test_rule_ids_are_kebab_case() -> None:
    for rid in all_rules():
        assert rid == rid.lower() and " " not in rid and "_" not in rid


def test_case_severity_matches_the_rule_default_unless_escalated() -> None:
    # policy-budget-exceeded is the one rule that raises its own severity (one firing over
    # the daily budget can never act); every other finding has its rule's severity.
    rules = all_rules()
    for name in CASE_NAMES:
        for line in read_case(name).expected:
            code, sev = line.split(": ", 1)[1].split(":", 1)[0].split(" ")
            if name != "policy-budget-exceeded--one-firing":
                assert rules[code].severity.value == sev, line
