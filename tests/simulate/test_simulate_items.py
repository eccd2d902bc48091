"""Issue 8, items 17-18: a run with errors fails, a paused charter is never "fired", and
every action's computed input is checked against the invoked charter's input_schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sim_helpers import EVENTS, make_workspace
from support import write


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws")


def _events(cli: Any, ws: Path, *extra: str) -> Any:
    return cli("simulate", "--events", ws / "simulator/events.jsonl", "-w", ws, *extra)


def _break_condition(ws: Path) -> None:
    p = ws / "policies/stockout.yaml"
    p.write_text(p.read_text().replace("metrics.risk >= 0.8", "metrics.nope >= 0.8"))


def test_events_with_errors_exit_1(cli: Any, ws: Path) -> None:
    assert _events(cli, ws).exit_code == 0  # non-vacuous: the same events, clean
    _break_condition(ws)
    r = _events(cli, ws)
    assert r.exit_code == 1, r.stdout
    assert f"errors: {len(EVENTS)} decision(s) could not be made: the run fails" in r.stdout
    data = json.loads(_events(cli, ws, "-f", "json").stdout)
    assert data["runs"][0]["passed"] is False
    md = _events(cli, ws, "-f", "markdown")
    assert md.exit_code == 1
    assert f"**Errors:** {len(EVENTS)} decision(s) could not be made." in md.stdout


def test_a_scenario_may_expect_errors(cli: Any, ws: Path) -> None:
    """A scenario that pins the errors (outcome: error) is judged by its expectations."""
    _break_condition(ws)
    write(
        ws / "simulator/morning.yaml",
        "apiVersion: agentctl/v1\nkind: Scenario\nmetadata: {name: morning}\n"
        "spec:\n  events: events.jsonl\n  expect:\n"
        f"    - {{policy: stockout, outcome: error, count: {len(EVENTS)}}}\n",
    )
    r = cli("simulate", "morning", "-w", ws)
    assert r.exit_code == 0, r.stdout
    assert "could not be made" not in r.stdout


def _pause(ws: Path) -> None:
    p = ws / "charters/planner.yaml"
    p.write_text(p.read_text() + "  paused: true\n")


def test_a_paused_charter_is_never_fired(cli: Any, ws: Path) -> None:
    before = json.loads(_events(cli, ws, "-f", "json").stdout)["runs"][0]
    assert before["policies"][0]["fired"] >= 1
    _pause(ws)
    r = _events(cli, ws, "-f", "json")
    assert r.exit_code == 0
    run = json.loads(r.stdout)["runs"][0]
    (summary,) = run["policies"]
    assert summary["fired"] == summary["needs_approval"] == summary["escalated"] == 0
    assert summary["suppressed_by"]["paused"] > 0
    assert summary["spend_usd"] == 0
    paused = [e for e in run["timeline"] if e.get("code") == "paused"]
    assert (
        paused and paused[0]["reason"] == "charter/planner is paused: the action would be refused"
    )
    assert paused[0]["values"] == {"paused": "charter/planner"}
    # nothing ran, so no cooldown started: every event the condition held on says so
    assert not [e for e in run["timeline"] if e.get("code") == "cooldown"]
    text = _events(cli, ws).stdout
    assert "the charter invoked is paused" in text
    # a scenario can expect it by name
    write(
        ws / "simulator/morning.yaml",
        "apiVersion: agentctl/v1\nkind: Scenario\nmetadata: {name: morning}\n"
        "spec:\n  events: events.jsonl\n  expect:\n"
        "    - {policy: stockout, outcome: 'suppressed:paused', at: '2026-03-02T10:00:00Z'}\n"
        "    - {policy: stockout, outcome: fired, count: 0}\n",
    )
    r = cli("simulate", "morning", "-w", ws)
    assert r.exit_code == 0, r.stdout


SCHEMA = """\
  input_schema:
    type: object
    required: [sku]
    additionalProperties: false
    properties:
      sku: {type: string, pattern: "^SKU-[0-9]{4}$"}
"""


def test_action_input_is_checked_against_the_charter_schema(cli: Any, ws: Path) -> None:
    p = ws / "charters/planner.yaml"
    p.write_text(p.read_text() + SCHEMA.replace("SKU-", "A-").replace("{4}", "+"))
    assert _events(cli, ws).exit_code == 0  # non-vacuous: A-1 etc. fit this schema
    p.write_text(p.read_text().split("  input_schema:")[0] + SCHEMA)
    r = _events(cli, ws, "-f", "json")
    assert r.exit_code == 1
    run = json.loads(r.stdout)["runs"][0]
    (summary,) = run["policies"]
    assert summary["fired"] == 0 and summary["error"] > 0
    (first, *_) = [e for e in run["timeline"] if e["outcome"] == "error"]
    assert first["code"] == "input"
    assert first["reason"] == (
        "input: not accepted by charter/planner's input_schema: at 'sku': "
        "'A-1' does not match '^SKU-[0-9]{4}$'"
    )
    assert first["values"]["expression"] == "charter/planner spec.input_schema"


def test_compare_fails_when_the_new_revision_errors(cli: Any, git_repo: Path) -> None:
    from support import commit_all

    make_workspace(git_repo)
    commit_all(git_repo, "base")
    args = ("simulate", "--compare", "HEAD~1", "--rev", "HEAD", "-w", git_repo)
    _break_condition(git_repo)
    commit_all(git_repo, "a condition that fails on every event")
    r = cli(*args)
    assert r.exit_code == 1, r.stdout
    # the reverse (the base errs, the change fixes it) is not a failure of the change
    r = cli("simulate", "--compare", "HEAD", "--rev", "HEAD~1", "-w", git_repo)
    assert r.exit_code == 0, r.stdout


PLAIN = """\
apiVersion: agentctl/v1
kind: Policy
metadata: {name: plain, owner: role/store-manager}
spec:
  on: [pos.sale]
  condition: metrics.risk >= 0.9
  actions:
    - invoke: charter/planner
"""


def test_a_plain_policy_on_a_paused_charter_is_suppressed(cli: Any, ws: Path) -> None:
    """The engine's precomputed firing (no key, for:, cooldown, inputs or approvals) must
    not skip the pause."""
    write(ws / "policies/plain.yaml", PLAIN)
    args = ("--policy", "plain", "-f", "json")
    before = json.loads(_events(cli, ws, *args).stdout)["runs"][0]["policies"][0]
    assert before["fired"] > 0
    _pause(ws)
    (after,) = json.loads(_events(cli, ws, *args).stdout)["runs"][0]["policies"]
    assert after["fired"] == 0
    assert after["suppressed_by"]["paused"] == before["fired"]
