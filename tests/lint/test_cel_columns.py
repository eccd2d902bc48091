"""A CEL error points at its token, however the expression is written in YAML: one line,
quoted, a literal (`|`) or folded (`>`) block, a multi-line flow scalar. Where the place
cannot be exact the finding falls back to the value's start, and never names a column
past the end of its line (issue 8, item 17: `condition: >-` gave 17:143 on a 15-char line).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import write

HEAD = """\
apiVersion: agentctl/v1
kind: Policy
metadata: {name: p, owner: role/ops}
spec:
  on: [ticket.opened]
"""
TAIL = """\
  actions:
    - escalate: role/ops
"""
ROLE = "apiVersion: agentctl/v1\nkind: Role\nmetadata: {name: ops}\n"

# (id, the condition as written, whether the place is exact)
EXACT = [
    ("plain", "  condition: event.data.x > 1 && nope.y\n"),
    ("double-quoted", '  condition: "event.data.x > 1 && nope.y"\n'),
    ("single-quoted", "  condition: 'event.data.x > 1 && nope.y'\n"),
    (
        "folded-strip",
        "  condition: >-\n"
        "    event.data.status != 'closed' && (event.data.waiting_minutes >= 240 ||\n"
        "    (has(event.data.wants_human) && event.data.wants_human == true) ||\n"
        "    event.data.tier == 'gold' && nope.y)\n",
    ),
    (
        "folded-clip-blank-line",
        "  condition: >\n    event.data.x > 1 &&\n\n    event.data.y > 2 &&\n    nope.y\n",
    ),
    (
        "folded-more-indented",
        "  condition: >-\n    event.data.x > 1 &&\n      event.data.y > 2 &&\n    nope.y\n",
    ),
    (
        "literal",
        "  condition: |\n    event.data.x > 1 &&\n      event.data.y > 2 &&\n    nope.y\n",
    ),
    ("literal-keep", "  condition: |+\n    event.data.x > 1 &&\n    nope.y\n\n"),
    (
        "literal-leading-blank",
        "  condition: |-\n\n    event.data.x > 1 &&\n    nope.y\n",
    ),
    ("plain-multi-line", "  condition: event.data.x > 1 &&\n    event.data.y > 2 && nope.y\n"),
    ("double-quoted-multi-line", '  condition: "event.data.x > 1 &&\n    nope.y"\n'),
    ("block-with-comment", "  condition: >- # why\n    event.data.x > 1 &&\n    nope.y\n"),
]
FALLBACK = [
    ("explicit-indent", "  condition: >2-\n      event.data.x > 1 &&\n    nope.y\n"),
    ("escaped-line-break", '  condition: "event.data.x > 1 \\\n    && nope.y"\n'),
]


def _lint(cli: Any, root: Path, condition: str) -> tuple[dict[str, Any], list[str]]:
    text = HEAD + condition + TAIL
    write(root / "agentctl.yaml", "apiVersion: agentctl/v1\nkind: Workspace\nmetadata: {name: c}\n")
    write(root / "roles.yaml", ROLE)
    write(root / "p.yaml", text)
    res = cli("lint", "-w", root, "--format", "json", "--select", "cel-invalid")
    (f,) = [f for f in json.loads(res.stdout)["findings"] if f["code"] == "cel-invalid"]
    return f["location"], text.split("\n")


def _token(lines: list[str]) -> tuple[int, int]:
    (n,) = [i for i, line in enumerate(lines) if "nope" in line]
    return n + 1, lines[n].index("nope") + 1


@pytest.mark.parametrize(("name", "condition"), EXACT, ids=[c[0] for c in EXACT])
def test_the_column_is_the_token(cli: Any, tmp_path: Path, name: str, condition: str) -> None:
    loc, lines = _lint(cli, tmp_path, condition)
    assert (loc["line"], loc["column"]) == _token(lines), name


@pytest.mark.parametrize(("name", "condition"), FALLBACK, ids=[c[0] for c in FALLBACK])
def test_not_exact_falls_back_to_the_value(
    cli: Any, tmp_path: Path, name: str, condition: str
) -> None:
    loc, lines = _lint(cli, tmp_path, condition)
    start = HEAD.count("\n") + 1
    assert (loc["line"], loc["column"]) == (start, lines[start - 1].index(":") + 3), name


def test_the_example_policy_as_the_issue_reported_it(cli: Any, tmp_path: Path) -> None:
    """ticket-sla's condition (a folded block) with an unknown name on its third line."""
    condition = (
        "  condition: >-\n"
        "    event.data.status != 'closed' && (event.data.waiting_minutes >= 240 ||\n"
        "    (has(event.data.wants_human) && event.data.wants_human == true)) && nope\n"
    )
    loc, lines = _lint(cli, tmp_path, condition)
    line, col = _token(lines)
    assert (loc["line"], loc["column"]) == (line, col)
    assert col <= len(lines[line - 1])


def test_engine_reports_the_same_place(cli: Any, tmp_path: Path) -> None:
    """simulate refuses the policy with the same finding, at the same line and column."""
    condition = "  condition: >-\n    event.data.x > 1 &&\n    nope.y\n"
    loc, lines = _lint(cli, tmp_path, condition)
    write(tmp_path / "e.jsonl", '{"ts": "2026-11-02T00:00:00Z", "type": "ticket.opened"}\n')
    r = cli("simulate", "--events", tmp_path / "e.jsonl", "-w", tmp_path)
    assert r.exit_code == 1
    assert f"p.yaml:{loc['line']}:{loc['column']}: cel-invalid" in r.stderr
    assert (loc["line"], loc["column"]) == _token(lines)
