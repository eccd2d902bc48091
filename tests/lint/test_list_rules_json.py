"""`lint --list-rules --format json` is JSON with a format_version, like every command's
--format json (issue 8, item 17: it printed the text table)."""

from __future__ import annotations

import json
from typing import Any


def test_list_rules_json(cli: Any) -> None:
    from agentctl.lint import all_rules

    r = cli("lint", "--list-rules", "--format", "json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["format_version"] == 1
    assert data["kind"] == "rules"
    rules = all_rules()
    assert [x["id"] for x in data["rules"]] == list(rules)
    first = data["rules"][0]
    rule = rules[first["id"]]
    assert first == {
        "id": rule.id,
        "severity": rule.severity.value,
        "category": rule.category,
        "summary": rule.summary,
    }
    assert {"schema-invalid", "action-input-mismatch"} <= set(rules)


def test_list_rules_text_is_unchanged(cli: Any) -> None:
    r = cli("lint", "--list-rules")
    assert r.stdout.startswith("action-input-mismatch  (error)\n")
    assert not r.stdout.lstrip().startswith("{")
