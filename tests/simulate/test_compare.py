"""`agentctl simulate --compare`: the same events through two commits of a real git repo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sim_helpers import make_workspace
from support import commit_all


def _tighten(root: Path) -> None:
    """The change under review: a higher risk threshold and a higher approval threshold."""
    p = root / "policies/stockout.yaml"
    text = p.read_text().replace("metrics.risk >= 0.8", "metrics.risk >= 0.9")
    p.write_text(text.replace("plan.value_usd > 1000", "plan.value_usd > 3000"))


@pytest.fixture
def repo(git_repo: Path) -> Path:
    make_workspace(git_repo)
    commit_all(git_repo, "base")
    _tighten(git_repo)
    commit_all(git_repo, "tighten the stockout policy")
    return git_repo


def test_compare_two_commits_reports_flips(cli: Any, repo: Path) -> None:
    """The tightened policy no longer does what the scenario expects: the comparison
    shows the flips and fails on the expectations (it used to exit 0)."""
    r = cli("simulate", "--compare", "HEAD~1", "--rev", "HEAD", "-w", repo, "-f", "json")
    assert r.exit_code == 1, r.stderr
    data = json.loads(r.stdout)
    assert data["kind"] == "comparison"
    (cmp,) = data["runs"]
    assert cmp["base"]["rev"] == "HEAD~1"
    assert cmp["head"]["rev"] == "HEAD"
    assert cmp["totals"] == {"only_old": 1, "only_new": 0, "changed": 1}
    (pol,) = cmp["policies"]
    assert pol["status"] == "modified"
    (gone,) = pol["examples"]["only_old"]
    assert (gone["ts"], gone["old"]["outcome"], gone["new"]) == (
        "2026-03-02T15:00:00Z",
        "escalated",
        None,
    )
    (changed,) = pol["examples"]["changed"]
    assert changed["ts"] == "2026-03-02T12:30:00Z"
    assert changed["changes"] == ["outcome", "approvals"]
    assert (changed["old"]["outcome"], changed["new"]["outcome"]) == ("needs_approval", "fired")
    base, head = cmp["summary"]["base"][0], cmp["summary"]["head"][0]
    assert (base["escalated"], head["escalated"]) == (1, 0)
    assert cmp["passed"] is False
    assert [e["passed"] for e in cmp["expectations"]].count(False) >= 1


def test_compare_passes_when_the_new_revision_keeps_the_expectations(cli: Any, repo: Path) -> None:
    r = cli("simulate", "--compare", "HEAD~1", "--rev", "HEAD~1", "-w", repo, "-f", "json")
    assert r.exit_code == 0, r.stdout
    cmp = json.loads(r.stdout)["runs"][0]
    assert cmp["passed"] is True and cmp["expectations"]


def test_compare_text_and_markdown(cli: Any, repo: Path, snapshot: Any) -> None:
    text = cli("simulate", "--compare", "HEAD~1", "--rev", "HEAD", "-w", repo)
    assert text.exit_code == 1  # expectations fail at HEAD
    assert all(len(line) <= 80 for line in text.stdout.splitlines())
    assert "2 decision flips: 1 only in old, 0 only in new, 1 changed" in text.stdout
    assert text.stdout == snapshot(name="text")
    md = cli("simulate", "--compare", "HEAD~1", "--rev", "HEAD", "-w", repo, "-f", "markdown")
    assert md.exit_code == 1
    assert len(md.stdout) < 65_536
    assert md.stdout == snapshot(name="markdown")


def test_working_tree_against_head_and_fail_on_flips(cli: Any, repo: Path) -> None:
    events = ["--events", str(repo / "simulator/events.jsonl")]  # no expectations
    same = cli(
        "simulate", "--compare", "HEAD", "-w", repo, "--fail-on-flips", "-f", "json", *events
    )
    assert same.exit_code == 0
    assert json.loads(same.stdout)["runs"][0]["flips"] == 0
    p = repo / "policies/stockout.yaml"
    p.write_text(p.read_text().replace("cooldown: 2h", "cooldown: 30m"))
    r = cli("simulate", "--compare", "HEAD", "-w", repo, "--fail-on-flips", "-f", "json", *events)
    assert r.exit_code == 1
    cmp = json.loads(r.stdout)["runs"][0]
    assert cmp["head"]["rev"] is None  # the working tree
    assert cmp["totals"]["changed"] >= 1  # a suppressed decision now fires


def test_policy_added_in_the_new_revision(cli: Any, repo: Path) -> None:
    src = (repo / "policies/stockout.yaml").read_text()
    (repo / "policies/second.yaml").write_text(src.replace("name: stockout", "name: second"))
    r = cli(
        "simulate",
        "--compare",
        "HEAD",
        "-w",
        repo,
        "-f",
        "json",
        "--events",
        repo / "simulator/events.jsonl",
    )
    cmp = json.loads(r.stdout)["runs"][0]
    statuses = {p["policy"]: p["status"] for p in cmp["policies"]}
    assert statuses == {"second": "added", "stockout": "same"}
    second = next(p for p in cmp["policies"] if p["policy"] == "second")
    assert second["only_new"] > 0 and second["only_old"] == 0


def test_unknown_base_revision(cli: Any, repo: Path) -> None:
    r = cli("simulate", "--compare", "no-such-branch", "-w", repo)
    assert r.exit_code == 2
    assert "unknown git revision 'no-such-branch'" in r.stderr


def test_compare_decides_the_same_without_the_engine_fast_path(git_repo: Path) -> None:
    """agentctl/engine/fastpath.py changes no flip: CEL alone gives the same bytes."""
    from agentctl.render.simulate_json import render_compare
    from agentctl.simulate import compare
    from agentctl.simulate.stream import read_events
    from agentctl.workspace.loader import load_workspace

    make_workspace(git_repo)
    commit_all(git_repo, "base")
    p = git_repo / "policies/stockout.yaml"
    p.write_text(p.read_text().replace("metrics.risk >= 0.8", "metrics.risk >= 0.9"))
    commit_all(git_repo, "tighten")
    old = load_workspace(git_repo, rev="HEAD~1").workspace
    new = load_workspace(git_repo, rev="HEAD").workspace
    events = sorted((git_repo / "simulator").rglob("*.jsonl"))
    assert events
    outs = [
        render_compare(
            [
                compare(
                    old,
                    new,
                    read_events(events[0], "events.jsonl"),
                    title="t",
                    events_file="events.jsonl",
                    fast=fast,
                )
            ]
        )
        for fast in (True, False)
    ]
    assert outs[0] == outs[1]
    assert '"changed": 1' in outs[0] or '"only_old": 1' in outs[0]
