"""`agentctl simulate` with a keyed policy: output in every format, expectations per key,
--compare between an unkeyed and a keyed revision, and lint of the key expression."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sim_helpers import make_workspace
from support import commit_all, write

KEYED = """\
apiVersion: agentctl/v1
kind: Policy
metadata: {name: stockout, owner: role/store-manager}
spec:
  on: [pos.sale]
  condition: event.data.risk >= 0.8
  KEY
  for: 1h
  cooldown: 2h
  actions:
    - invoke: charter/planner
      input: {sku: event.data.sku}
      value_usd: event.data.value
  bounds: {max_per_day: 3}
  approvals:
    - when: plan.value_usd > 1000
      require: role/store-manager
"""
KEY = 'key: event.data.store_id + "/" + event.data.sku'

SCENARIO = """\
apiVersion: agentctl/v1
kind: Scenario
metadata: {name: stores}
spec:
  events: stores.jsonl
  expect:
    - {policy: stockout, key: s-1/A-1, outcome: fired, at: "2026-03-02T10:00:00Z"}
    - {policy: stockout, key: s-2/A-1, outcome: needs_approval, at: "2026-03-02T10:30:00Z"}
    - {policy: stockout, key: s-1/A-1, outcome: "suppressed:cooldown", count: 1}
    - {policy: stockout, key: s-2/B-7, outcome: "suppressed:bound", count: 1}
    - {policy: stockout, key: s-2/B-7, outcome: fired, count: 0}
"""

# (time, store, sku, risk, value): two stores, the same SKU held in both at once
EVENTS = [
    ("2026-03-02T09:00:00Z", "s-1", "A-1", 0.9, 300),
    ("2026-03-02T09:30:00Z", "s-2", "A-1", 0.95, 2500),
    ("2026-03-02T09:45:00Z", "s-1", "C-3", 0.85, 200),
    ("2026-03-02T10:00:00Z", "s-1", "A-1", 0.9, 300),
    ("2026-03-02T10:20:00Z", "s-1", "A-1", 0.9, 300),
    ("2026-03-02T10:30:00Z", "s-2", "A-1", 0.93, 2500),
    ("2026-03-02T10:45:00Z", "s-1", "C-3", 0.86, 200),
    ("2026-03-02T11:00:00Z", "s-2", "B-7", 0.9, 400),
    ("2026-03-02T12:00:00Z", "s-2", "B-7", 0.9, 400),
    ("2026-03-02T12:10:00Z", "s-1", "C-3", 0.2, 200),
    ("2026-03-02T12:15:00Z", "s-2", "C-3", 0.2, 200),
]


def _events() -> str:
    return "".join(
        json.dumps(
            {
                "ts": ts,
                "type": "pos.sale",
                "data": {"store_id": store, "sku": sku, "risk": risk, "value": value},
            }
        )
        + "\n"
        for ts, store, sku, risk, value in EVENTS
    )


def _keyed(root: Path, key: str = KEY) -> None:
    write(root / "policies/stockout.yaml", KEYED.replace("KEY", key))


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = make_workspace(tmp_path / "ws")
    (root / "simulator/morning.yaml").unlink()
    _keyed(root)
    write(root / "simulator/stores.yaml", SCENARIO)
    write(root / "simulator/stores.jsonl", _events())
    return root


def test_keyed_scenario_text(cli: Any, ws: Path, snapshot: Any) -> None:
    r = cli("simulate", "-w", ws)
    assert r.exit_code == 0, r.stdout + r.stderr
    assert all(len(line) <= 80 for line in r.stdout.splitlines())
    assert "[s-2/A-1]" in r.stdout
    assert "expectations: 5 passed, 0 failed" in r.stdout
    assert "per key event.data.store_id" in r.stdout
    assert r.stdout == snapshot


def test_keyed_scenario_json(cli: Any, ws: Path, snapshot: Any) -> None:
    r = cli("simulate", "-w", ws, "-f", "json")
    assert r.exit_code == 0, r.stderr
    run = json.loads(r.stdout)["runs"][0]
    keys = [(e["ts"][11:16], e["key"], e["outcome"]) for e in run["timeline"]]
    assert keys == [
        ("10:00", "s-1/A-1", "fired"),
        ("10:20", "s-1/A-1", "suppressed"),
        ("10:30", "s-2/A-1", "needs_approval"),
        ("10:45", "s-1/C-3", "fired"),
        ("12:00", "s-2/B-7", "suppressed"),
    ]
    (summary,) = run["policies"]
    assert summary["key"] == {
        "expression": 'event.data.store_id + "/" + event.data.sku',
        "peak": 4,
        "evicted": 0,
    }
    assert run["expectations"][0]["key"] == "s-1/A-1"
    assert r.stdout == snapshot


def test_keyed_scenario_markdown(cli: Any, ws: Path, snapshot: Any) -> None:
    r = cli("simulate", "-w", ws, "-f", "markdown")
    assert r.exit_code == 0, r.stderr
    assert "| Time | Policy | Key | Decision |" in r.stdout
    assert r.stdout == snapshot


def test_failed_expectation_names_the_key(cli: Any, ws: Path) -> None:
    sc = ws / "simulator/stores.yaml"
    sc.write_text(
        sc.read_text().replace("key: s-2/B-7, outcome: fired", "key: s-2/B-7, outcome: suppressed")
    )
    r = cli("simulate", "-w", ws)
    assert r.exit_code == 1
    assert "FAIL stockout suppressed for key s-2/B-7 exactly 0x at any time" in r.stdout


def test_a_key_in_an_expectation_of_an_unkeyed_policy_is_a_finding(cli: Any, ws: Path) -> None:
    p = ws / "policies/stockout.yaml"
    p.write_text(p.read_text().replace(KEY, ""))
    r = cli("simulate", "-w", ws)
    assert r.exit_code == 1
    assert "simulator/stores.yaml:7:" in r.stderr
    assert "policy 'stockout' has no key: all its decisions share" in " ".join(r.stderr.split())


def test_runs_are_byte_identical(cli: Any, ws: Path) -> None:
    for fmt in ("text", "json", "markdown"):
        assert (
            cli("simulate", "-w", ws, "-f", fmt).stdout
            == cli("simulate", "-w", ws, "-f", fmt).stdout
        )


def test_lint_checks_the_key_expression(cli: Any, ws: Path) -> None:
    _keyed(ws, "key: evnt.data.sku")
    r = cli("lint", "-w", ws, "-f", "json")
    assert r.exit_code == 1
    (f,) = [f for f in json.loads(r.stdout)["findings"] if f["code"] == "cel-invalid"]
    assert f["location"]["file"] == "policies/stockout.yaml"
    assert (f["location"]["line"], f["location"]["column"]) == (7, 8)
    assert "spec.key: unknown variable 'evnt'" in f["message"]
    s = cli("simulate", "-w", ws)
    assert s.exit_code == 1
    assert "policies/stockout.yaml:7:8: cel-invalid error" in s.stderr


def test_a_key_error_at_run_time_is_an_error_decision(cli: Any, ws: Path) -> None:
    _keyed(ws, "key: event.data.region")
    r = cli("simulate", "--events", ws / "simulator/stores.jsonl", "-w", ws, "-f", "json")
    # errors are decisions, and a run with errors fails (issue 8, item 17)
    assert r.exit_code == 1
    (summary,) = json.loads(r.stdout)["runs"][0]["policies"]
    assert summary["error"] == len(EVENTS)
    assert "key: " in summary["first_error"] and "no such key" in summary["first_error"]


# --- --compare: the base judges the policy as one, the head per store and SKU -----------


@pytest.fixture
def repo(git_repo: Path) -> Path:
    root = make_workspace(git_repo)
    (root / "simulator/morning.yaml").unlink()
    _keyed(root, "")
    write(root / "simulator/stores.yaml", SCENARIO.split("  expect:")[0])
    write(root / "simulator/stores.jsonl", _events())
    commit_all(root, "one state for the policy")
    _keyed(root)
    commit_all(root, "judge stockout per store and SKU")
    return root


def test_compare_unkeyed_to_keyed(cli: Any, repo: Path, snapshot: Any) -> None:
    r = cli("simulate", "--compare", "HEAD~1", "--rev", "HEAD", "-w", repo, "-f", "json")
    assert r.exit_code == 0, r.stderr
    (cmp,) = json.loads(r.stdout)["runs"]
    (pol,) = cmp["policies"]
    assert pol["status"] == "modified"
    # one state: s-2/A-1 and s-1/C-3 inherit s-1/A-1's cooldown, and s-2/B-7 its hold and
    # the bound; per key, s-2/A-1 and s-1/C-3 act, and s-2/B-7 waits for its own hour
    assert (pol["changed"], pol["only_old"], pol["only_new"]) == (5, 1, 0)
    changed = pol["examples"]["changed"]
    assert [(f["ts"][11:16], f["old"]["outcome"], f["new"]["outcome"]) for f in changed] == [
        ("10:30", "suppressed", "needs_approval"),
        ("10:45", "suppressed", "fired"),
        ("12:00", "fired", "suppressed"),
    ]
    assert changed[0]["changes"][:2] == ["key", "outcome"]
    assert (changed[0]["old"]["key"], changed[0]["new"]["key"]) == (None, "s-2/A-1")
    # 10:00 and 10:20 decide the same as before, now for s-1/A-1: a change of key only,
    # counted, and shown only when there are too few other examples
    assert pol["changed_key_only"] == 2
    (gone,) = pol["examples"]["only_old"]
    assert (gone["ts"][11:16], gone["old"]["outcome"]) == ("11:00", "suppressed")
    text = cli("simulate", "--compare", "HEAD~1", "--rev", "HEAD", "-w", repo)
    assert all(len(line) <= 80 for line in text.stdout.splitlines())
    assert "(2 of the 5 changed decisions differ only in their key)" in text.stdout
    assert text.stdout == snapshot(name="text")
    md = cli("simulate", "--compare", "HEAD~1", "--rev", "HEAD", "-w", repo, "-f", "markdown")
    assert "| Flip | Time | Key | Decision | Detail |" in md.stdout
    assert "2 of the 5 changed decisions differ only in their key" in md.stdout
    assert md.stdout == snapshot(name="markdown")


def test_compare_the_same_keyed_policy_has_no_flips(cli: Any, repo: Path) -> None:
    r = cli("simulate", "--compare", "HEAD", "-w", repo, "--fail-on-flips", "-f", "json")
    assert r.exit_code == 0, r.stdout
    assert json.loads(r.stdout)["runs"][0]["flips"] == 0


def test_key_only_flips_give_way_to_other_examples_and_fill_in_after() -> None:
    from agentctl.engine import Decision
    from agentctl.simulate.compare import PolicyFlips, diff

    def d(seq: int, key: str | None, outcome: str = "fired") -> Decision:
        return Decision(seq, 1_772_445_600.0 + seq, "pos.sale", "p", outcome, "", "r", key=key)

    flips = PolicyFlips("p", "modified")
    for seq in range(1, 6):  # the same decision, now for a key
        for f in diff([d(seq, None)], [d(seq, "k")]):
            flips.add(f)
    for f in diff([d(9, None)], [d(9, "k", "escalated")]):
        flips.add(f)
    flips.finish()
    assert (flips.counts["changed"], flips.key_only) == (6, 5)
    shown = [(f.any.seq, f.changes) for f in flips.examples["changed"]]
    assert shown == [(9, ("key", "outcome")), (1, ("key",)), (2, ("key",))]
