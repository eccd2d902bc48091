"""`agentctl diff` on real git repositories: a copy of the example workspace, committed,
then changed the way pull requests change it."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import REPO, agentctl_bin, commit_all, git

EXAMPLE = ["agentctl.yaml", "charters", "policies", "evals", "simulator"]


@pytest.fixture
def repo(git_repo: Path) -> Path:
    """The example workspace as the first commit of a fresh repository, on main."""
    archive = subprocess.run(
        ["git", "archive", "HEAD", *EXAMPLE], cwd=REPO, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(git_repo)], input=archive, check=True)
    commit_all(git_repo, "the example workspace")
    return git_repo


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def diff_json(cli: Any, repo: Path, *args: str) -> dict[str, Any]:
    r = cli("diff", *args, "-w", repo, "-f", "json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def by_ref(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["ref"]: c for c in data["changes"]}


def test_no_change_and_comment_only_changes_are_no_change(cli: Any, repo: Path) -> None:
    assert diff_json(cli, repo, "HEAD")["changes"] == []
    p = repo / "charters/claims-payout.yaml"
    text = p.read_text()
    # comments, key order inside a flow map, quoting and blank lines
    text = text.replace("data_classes: [financial]", 'data_classes: ["financial"]  # money')
    p.write_text("# a new comment\n\n" + text)
    commit_all(repo, "reformat")
    data = diff_json(cli, repo, "HEAD~1", "HEAD")
    assert data["changes"] == []
    assert data["verdict"] == "No changes."


def test_a_connector_operation_under_a_granted_scope_names_every_charter(
    cli: Any, repo: Path
) -> None:
    """The attack: a pull request adds a destructive operation under the existing read
    scope. No charter file changes, yet every charter granted that scope gains it."""
    edit(
        repo / "charters/connectors/ticketing.yaml",
        "  operations:\n",
        "  operations:\n    wire_transfer:\n      scope: ticketing.read\n"
        "      effect: destructive\n      data_classes: [financial]\n",
    )
    commit_all(repo, "add wire_transfer")
    data = diff_json(cli, repo, "HEAD~1", "HEAD")
    changes = by_ref(data)
    granted = sorted(
        ref
        for ref, c in changes.items()
        if any("wire_transfer" in r["message"] for r in c["risks"]) and ref.startswith("charter/")
    )
    assert granted == ["charter/support-handoff", "charter/support-tier1"]
    for ref in granted:
        c = changes[ref]
        assert c["risk"] == "high"
        assert c["approver"] == "role/support-lead"
        assert c["fields"] == []  # no charter diff at all
    assert changes["connector/ticketing"]["risk"] == "medium"
    assert data["max_risk"] == "high"
    r = cli("diff", "HEAD~1", "HEAD", "-w", repo, "--fail-on", "high")
    assert r.exit_code == 1
    assert r.stdout.startswith(
        "3 changes: 2 high, 1 medium; approval needed from role/support-lead"
    )


def test_a_wildcard_and_a_new_ssn_data_class_are_high(cli: Any, repo: Path) -> None:
    charter = repo / "charters/claims-payout.yaml"
    edit(charter, "tools: [payments.write]", "tools: [payments.write, claims.*]")
    edit(charter, "data_classes: [financial]", "data_classes: [financial, pii.ssn]")
    edit(charter, "per_day: {usd: 100,", "per_day: {usd: 250,")
    commit_all(repo, "widen claims-payout")
    c = by_ref(diff_json(cli, repo, "HEAD~1", "HEAD"))["charter/claims-payout"]
    messages = [r["message"] for r in c["risks"] if r["level"] == "high"]
    assert "may now touch data classes: pii.ssn" in messages
    assert "budget raised 100 → 250 (+150%)" in messages
    assert any(m.startswith("can now reach write claims.record_decision") for m in messages)
    assert c["approver"] == "role/claims-director"
    assert {f["path"] for f in c["fields"]} == {
        "spec.tools",
        "spec.data_classes",
        "spec.budget.per_day.usd",
    }


def test_narrowing_is_low(cli: Any, repo: Path) -> None:
    edit(repo / "charters/claims-payout.yaml", "per_day: {usd: 100,", "per_day: {usd: 50,")
    commit_all(repo, "tighten")
    data = diff_json(cli, repo, "HEAD~1", "HEAD")
    (c,) = data["changes"]
    assert (c["risk"], c["approver"]) == ("low", None)
    assert c["risks"][0]["direction"] == "narrowing"
    assert cli("diff", "HEAD~1", "HEAD", "-w", repo, "--fail-on", "medium").exit_code == 0


def test_a_moved_file_is_a_move_and_a_renamed_resource_a_rename(cli: Any, repo: Path) -> None:
    (repo / "charters/claims").mkdir()
    git(repo, "mv", "charters/claims-policy.yaml", "charters/claims/policy.yaml")
    role = repo / "policies/claim-high-value.yaml"
    edit(role, "name: claim-high-value", "name: claim-over-5k")
    commit_all(repo, "reorganise")
    changes = by_ref(diff_json(cli, repo, "HEAD~1", "HEAD"))
    moved = changes["charter/claims-policy"]
    assert (moved["action"], moved["old_file"], moved["file"]) == (
        "move",
        "charters/claims-policy.yaml",
        "charters/claims/policy.yaml",
    )
    renamed = changes["policy/claim-over-5k"]
    assert (renamed["action"], renamed["old_ref"]) == ("rename", "policy/claim-high-value")
    assert "policy/claim-high-value" not in changes


def test_a_policy_change_shows_flips_and_the_expectations_it_breaks(cli: Any, repo: Path) -> None:
    edit(
        repo / "policies/stockout-risk.yaml",
        "event.data.stockout_risk >= 0.8",
        "event.data.stockout_risk >= 0.9",
    )
    r = cli("diff", "HEAD", "-w", repo)  # HEAD against the working tree
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("1 change: 1 high; approval needed from role/finance-director")
    assert "scenario expectation(s) now fail:" in r.stdout
    data = diff_json(cli, repo, "HEAD")
    (c,) = data["changes"]
    assert len(c["failed_expectations"]) >= 5
    assert c["flips"] and c["flips"][0].startswith("scenario retail-three-weeks: ")


def test_base_defaults_to_the_merge_base_with_main(cli: Any, repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    edit(repo / "charters/claims-payout.yaml", "per_day: {usd: 100,", "per_day: {usd: 101,")
    commit_all(repo, "feature work")
    data = diff_json(cli, repo)
    assert re.fullmatch(r"[0-9a-f]{12} \(merge base\)", data["base"])
    assert [c["ref"] for c in data["changes"]] == ["charter/claims-payout"]


def test_a_shallow_clone_says_which_fetch_is_needed(cli: Any, repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    edit(repo / "charters/claims-payout.yaml", "per_day: {usd: 100,", "per_day: {usd: 101,")
    commit_all(repo, "feature work")
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--branch", "feature", repo.as_uri(), str(clone)],
        check=True,
        capture_output=True,
    )
    r = cli("diff", "-w", clone)
    assert r.exit_code == 2
    assert "shallow clone" in r.stderr
    assert "git fetch" in r.stderr
    assert "Traceback" not in r.stderr


def test_github_output_and_annotations(
    cli: Any, repo: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    edit(repo / "charters/claims-payout.yaml", "data_classes: [financial]", "data_classes: [phi]")
    commit_all(repo, "phi")
    out = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    r = cli("diff", "HEAD~1", "HEAD", "-w", repo, "-f", "github")
    assert r.exit_code == 0
    assert out.read_text() == "has_changes=true\nmax_risk=high\napprovers=role/claims-director\n"
    line = next(ln for ln in r.stdout.splitlines() if "phi" in ln)
    assert line.startswith("::error file=charters/claims-payout.yaml,line=")
    assert "may now touch data classes: phi" in line


def test_markdown_stays_under_githubs_comment_limit() -> None:
    from agentctl.diff import DiffReport, ResourceChange
    from agentctl.diff.fields import FieldChange
    from agentctl.diff.risk import Risk
    from agentctl.render import diff_markdown

    report = DiffReport("main", "HEAD")
    for i in range(5000):
        c = ResourceChange(f"charter/agent-{i:04d}", "Charter", "update", f"charters/a{i}.yaml")
        c.fields = [FieldChange(("spec", "budget", "per_run", "usd"), 1.0, 2.0 + i)]
        c.risks = [Risk("high", "widening", f"budget raised 1 → {2 + i}")]
        c.approver = "role/lead"
        report.changes.append(c)
    text = diff_markdown.render(report)
    assert len(text) < 65_536
    assert text.startswith("<!-- agentctl:diff -->\n### agentctl diff: 5000 changes: 5000 high")
    assert "run `agentctl diff`" in text


def test_diff_text_of_the_example_change(cli: Any, repo: Path, snapshot: Any) -> None:
    edit(repo / "charters/claims-payout.yaml", "per_day: {usd: 100,", "per_day: {usd: 250,")
    edit(repo / "charters/support-tier1.yaml", "tools: [", "tools: [ticketing.*, ")
    commit_all(repo, "widen")
    r = cli("diff", "HEAD~1", "HEAD", "-w", repo)
    assert r.exit_code == 0, r.stderr
    assert all(len(line) <= 80 for line in r.stdout.splitlines())
    assert r.stdout == snapshot
    md = cli("diff", "HEAD~1", "HEAD", "-w", repo, "-f", "markdown")
    assert md.stdout == snapshot


def test_the_installed_agentctl_diff_runs_end_to_end(repo: Path) -> None:
    edit(repo / "charters/claims-payout.yaml", "per_day: {usd: 100,", "per_day: {usd: 250,")
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [agentctl_bin(), "diff", "HEAD", "--fail-on", "high"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("1 change: 1 high; approval needed from role/claims-director")
