"""plan → approve → apply → edit → plan → stale plan refused → rollback, on a real git
repository, with the ledger verifying throughout; and each refusal recording nothing as
deployed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from deploy_helpers import AUTHOR, LEAD, applied, build, deployments, edit, verified
from support import CliResult, commit_all

Cli = Callable[..., CliResult]


@pytest.fixture
def shop(git_repo: Path) -> Path:
    return build(git_repo)


def _raise_budget(repo: Path) -> None:
    edit(repo / "charters" / "planner.yaml", "per_run: {usd: 0.10", "per_run: {usd: 0.50")
    commit_all(repo, "raise the planner's budget")


def test_plan_approve_apply_edit_stale_rollback(shop: Path, cli: Cli, tmp_path: Path) -> None:
    plan1 = tmp_path / "plan1.json"
    r = cli("plan", "-w", shop, "-o", plan1)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("Plan: 7 to add, 0 to change, 0 to destroy.\n")
    assert applied(shop) == {}
    # nothing high-risk in the first deployment: no approval needed
    r = cli("apply", plan1, "-w", shop, "--auto-approve")
    assert r.exit_code == 0, r.stderr
    assert "Apply complete: 7 added, 0 changed, 0 destroyed." in r.stdout
    first = applied(shop)
    assert first == json.loads(plan1.read_text())["versions"]
    assert verified(shop)
    assert "gate evalsuite/planner-core: passed (ran" in r.stderr
    assert "gate scenario/restock-day: passed" in r.stderr
    r = cli("plan", "-w", shop, "--detailed-exitcode")
    assert r.exit_code == 0 and r.stdout.startswith("No changes.")

    # an edit: the plan shows the update, its risk and who must approve it
    _raise_budget(shop)
    plan2 = tmp_path / "plan2.json"
    r = cli("plan", "-w", shop, "-o", plan2, "--detailed-exitcode")
    assert r.exit_code == 2, r.stderr
    assert r.stdout.startswith("Plan: 0 to add, 1 to change, 0 to destroy.\n")
    assert "~ charter/planner  [HIGH]  update" in r.stdout
    assert "budget.per_run.usd" in r.stdout and "approval: role/lead" in r.stdout
    # the old plan is stale: apply refuses it, naming what changed
    r = cli("apply", plan1, "-w", shop, "--auto-approve")
    assert r.exit_code == 1
    assert "the plan is stale" in r.stderr and "charter/planner changed" in r.stderr
    # missing approval: refused, the request recorded for approvers
    r = cli("apply", plan2, "-w", shop, "--auto-approve")
    assert r.exit_code == 1 and "1 approval(s) missing" in r.stderr
    assert applied(shop) == first and deployments(shop) == 1
    r = cli("approvals", "-w", shop, "--format", "json")
    pending = json.loads(r.stdout)["approvals"]
    assert [(a["status"], a["role"], a["authors"]) for a in pending] == [
        ("pending", "role/lead", [AUTHOR])
    ]
    # the author of the change cannot approve it, a non-member neither
    r = cli("approve", plan2, "-w", shop, "--as", "role/lead", "--by", AUTHOR)
    assert r.exit_code == 1 and "separation of duties" in r.stderr
    r = cli("approve", plan2, "-w", shop, "--as", "role/lead", "--by", "eve@example.com")
    assert r.exit_code == 1 and "is not a member of role/lead" in r.stderr
    assert applied(shop) == first and deployments(shop) == 1  # refusals record nothing
    r = cli("approve", plan2, "-w", shop, "--as", "lead", "--by", LEAD, "--reason", "ok")
    assert r.exit_code == 0, r.stderr
    assert "approved by lead@example.com as role/lead" in r.stdout
    r = cli("apply", plan2, "-w", shop, "--auto-approve")
    assert r.exit_code == 0, r.stderr
    second = applied(shop)
    assert second["charter/planner"] != first["charter/planner"]
    assert verified(shop)
    # the approval is used: listed as such, and not usable again
    r = cli("approvals", "-w", shop, "--all", "--format", "json")
    assert [a["status"] for a in json.loads(r.stdout)["approvals"]] == ["used"]
    apr = json.loads(r.stdout)["approvals"][0]["id"]
    r = cli("approve", apr, "-w", shop, "--as", "role/lead", "--by", LEAD)
    assert r.exit_code == 1 and "already used" in r.stderr

    # rollback restores the first version, reusing its recorded gate results
    r = cli("rollback", "charter/planner", "-w", shop, "--auto-approve")
    assert r.exit_code == 0, r.stderr
    assert "gate evalsuite/planner-core: reused" in r.stdout
    assert applied(shop) == first
    assert deployments(shop) == 3 and verified(shop)
    r = cli("plan", "-w", shop, "--summary")
    assert "~ charter/planner  [HIGH]" in r.stdout
    # the same change again (first → second version): its approval was used, once
    r = cli("apply", "-w", shop, "--auto-approve")
    assert r.exit_code == 1 and "1 approval(s) missing" in r.stderr
    assert applied(shop) == first and deployments(shop) == 3
    # deployments and approvals are no agent's steps: the agents' report leaves them out
    r = cli("ledger", "report", "-w", shop)
    assert r.exit_code == 0 and "charter/planner" in r.stdout
    assert "env/" not in r.stdout and "apr-" not in r.stdout


def test_a_code_only_change_is_an_update_with_code_changed(shop: Path, cli: Cli) -> None:
    assert cli("apply", "-w", shop, "--auto-approve").exit_code == 0
    (shop / "lib" / "planner.py").write_text(
        (shop / "lib" / "planner.py").read_text() + "\n# a comment is code too\n"
    )
    r = cli("plan", "-w", shop)
    assert r.stdout.startswith("Plan: 0 to add, 1 to change, 0 to destroy.\n"), r.stdout
    assert "~ charter/planner  [MEDIUM]  update" in r.stdout
    assert "code changed: version sha256:" in r.stdout
    assert "gates: lint, evalsuite/planner-core" in r.stdout


def test_a_deleted_resource_is_planned_first(shop: Path, cli: Cli) -> None:
    assert cli("apply", "-w", shop, "--auto-approve").exit_code == 0
    (shop / "simulator" / "restock-day.yaml").unlink()
    edit(shop / "charters" / "planner.yaml", "Checks the stock", "Checks the stock level")
    r = cli("plan", "-w", shop, "--format", "json")
    data = json.loads(r.stdout)
    assert data["format_version"] == 1 and data["kind"] == "plan"
    assert [(c["action"], c["ref"]) for c in data["changes"]] == [
        ("delete", "scenario/restock-day"),
        ("update", "charter/planner"),
    ]
    assert data["counts"] == {"add": 0, "change": 1, "destroy": 1, "unchanged": 5}


def test_a_failed_gate_deploys_nothing(shop: Path, cli: Cli) -> None:
    assert cli("apply", "-w", shop, "--auto-approve").exit_code == 0
    before = applied(shop)
    edit(shop / "lib" / "planner.py", "< 5}", "> 5}")  # the suite's case now fails
    r = cli("apply", "-w", shop, "--auto-approve")
    assert r.exit_code == 1
    assert "gate evalsuite/planner-core failed" in r.stderr and "nothing was deployed" in r.stderr
    assert applied(shop) == before and deployments(shop) == 1 and verified(shop)


def test_a_passing_suite_in_the_ledger_for_these_versions_is_not_run_again(
    shop: Path, cli: Cli
) -> None:
    assert cli("eval", "-w", shop).exit_code == 0
    r = cli("apply", "-w", shop, "--auto-approve")
    assert r.exit_code == 0, r.stderr
    assert "gate evalsuite/planner-core: passed (recorded" in r.stderr


def test_approving_an_older_version_is_refused(shop: Path, cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", "-w", shop, "--auto-approve").exit_code == 0
    _raise_budget(shop)
    plan = tmp_path / "plan.json"
    assert cli("plan", "-w", shop, "-o", plan).exit_code == 0
    assert cli("apply", plan, "-w", shop, "--auto-approve").exit_code == 1  # requests it
    r = cli("approvals", "-w", shop, "--format", "json")
    apr = json.loads(r.stdout)["approvals"][0]["id"]
    edit(shop / "charters" / "planner.yaml", "per_run: {usd: 0.50", "per_run: {usd: 0.90")
    commit_all(shop, "raise it more")
    r = cli("approve", apr, "-w", shop, "--as", "role/lead", "--by", LEAD)
    assert r.exit_code == 1 and "approves an older version of charter/planner" in r.stderr
    r = cli("approve", plan, "-w", shop, "--as", "role/lead", "--by", LEAD)
    assert r.exit_code == 1 and "the plan is stale" in r.stderr
    assert deployments(shop) == 1


def test_a_deny_stops_the_deployment(shop: Path, cli: Cli) -> None:
    assert cli("apply", "-w", shop, "--auto-approve").exit_code == 0
    _raise_budget(shop)
    assert cli("apply", "-w", shop, "--auto-approve").exit_code == 1
    apr = json.loads(cli("approvals", "-w", shop, "--format", "json").stdout)["approvals"][0]
    r = cli("deny", apr["id"], "-w", shop, "--as", "role/lead", "--by", LEAD, "--reason", "no")
    assert r.exit_code == 0 and "denied by lead@example.com" in r.stdout
    r = cli("apply", "-w", shop, "--auto-approve")
    assert r.exit_code == 1 and "approval(s) missing" in r.stderr
    assert deployments(shop) == 1


def test_apply_without_a_terminal_needs_auto_approve(shop: Path, cli: Cli) -> None:
    r = cli("apply", "-w", shop)
    assert r.exit_code == 2
    assert "no terminal to confirm on" in r.stderr and "--auto-approve" in r.stderr
    assert deployments(shop) == 0


def test_detailed_exitcode_makes_an_error_1(shop: Path, cli: Cli) -> None:
    r = cli("plan", "-w", shop, "--env", "nowhere", "--detailed-exitcode")
    assert r.exit_code == 1 and "no environment 'nowhere'" in r.stderr
    r = cli("plan", "-w", shop, "--env", "nowhere")
    assert r.exit_code == 2


def test_a_broken_document_stops_the_plan(shop: Path, cli: Cli) -> None:
    edit(shop / "charters" / "planner.yaml", "scope:", "scop:")
    r = cli("plan", "-w", shop)
    assert r.exit_code == 1
    assert "charters/planner.yaml:" in r.stderr and "would be planned as deleted" in r.stderr


def test_a_plan_saved_inside_the_workspace_does_not_make_itself_stale(shop: Path, cli: Cli) -> None:
    r = cli("plan", "-w", shop, "-o", shop / "plan.json")
    assert r.exit_code == 0, r.stderr
    r = cli("apply", shop / "plan.json", "-w", shop, "--auto-approve")
    assert r.exit_code == 0, r.stderr


def test_a_changed_file_outside_any_version_makes_the_plan_stale(
    shop: Path, cli: Cli, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.json"
    assert cli("plan", "-w", shop, "-o", plan).exit_code == 0
    # the scenario's recorded events: read by a gate, in no resource's version
    events = shop / "simulator" / "events.jsonl"
    events.write_text(events.read_text() * 2)
    r = cli("apply", plan, "-w", shop, "--auto-approve")
    assert r.exit_code == 1
    assert "the plan is stale" in r.stderr and "the workspace's files changed (tree" in r.stderr
    assert deployments(shop) == 0


def test_plan_and_apply_work_outside_git(tmp_path: Path, cli: Cli) -> None:
    from deploy_helpers import CHARTER, CODE, CONNECTOR, FIXTURE, ROLES, SETTINGS, SUITE
    from support import write

    ws = tmp_path / "plain"
    write(ws / "agentctl.yaml", SETTINGS)
    write(ws / "charters" / "roles.yaml", ROLES)
    write(ws / "charters" / "stock.yaml", CONNECTOR)
    write(ws / "charters" / "fixtures" / "stock.jsonl", FIXTURE)
    write(ws / "charters" / "planner.yaml", CHARTER)
    write(ws / "lib" / "planner.py", CODE)
    write(ws / "evals" / "planner-core.yaml", SUITE)
    r = cli("plan", "-w", ws, "--format", "json")
    assert r.exit_code == 0, r.stderr
    made = json.loads(r.stdout)["made_from"]
    assert made["commit"] is None and made["tree"] is None
    r = cli("apply", "-w", ws, "--auto-approve")
    assert r.exit_code == 2 and "cannot tell who you are" in r.stderr  # no git identity
    r = cli("apply", "-w", ws, "--auto-approve", "--by", "ops@example.com")
    assert r.exit_code == 0, r.stderr
    assert cli("plan", "-w", ws, "--detailed-exitcode").exit_code == 0


def test_rollback_to_a_named_deployment(shop: Path, cli: Cli) -> None:
    from deploy_helpers import ledger_of

    from agentctl.deploy import state
    from agentctl.deploy.session import plan_for
    from agentctl.ledger.store import Ledger

    planned = plan_for(shop, None, None, ledger_of(shop))
    versions = planned.plan.versions
    with Ledger.open(ledger_of(shop)) as ledger:
        one = state.record(
            ledger,
            "default",
            state.Desired(versions, planned.desired.commit),
            expected=state.Position(),
            ts="2026-11-01T10:00:00.000000Z",
            by="ops@example.com",
        )
        newer = {**versions, "charter/planner": "sha256:" + "f" * 64}
        two = state.record(
            ledger,
            "default",
            state.Desired(newer, planned.desired.commit),
            expected=one.position,
            ts="2026-11-02T10:00:00.000000Z",
            by="ops@example.com",
        )
    r = cli("rollback", "charter/planner", "--to", "dep-00000000", "-w", shop, "--auto-approve")
    assert r.exit_code == 2 and f"{two.id}, {one.id}" in r.stderr
    r = cli("rollback", "charter/planner", "--to", two.id, "-w", shop, "--auto-approve")
    assert r.exit_code == 2 and "is already at sha256:ffffffffffff" in r.stderr
    r = cli("rollback", "charter/planner", "--to", one.id, "-w", shop, "--auto-approve")
    assert r.exit_code == 0, r.stderr
    assert applied(shop) == versions and verified(shop)


def test_a_commit_outside_the_workspace_leaves_a_plan_current(git_repo: Path, cli: Cli) -> None:
    from support import write

    shop = git_repo / "governance"
    shop.mkdir()
    build(shop)
    plan = git_repo / "plan.json"
    assert cli("plan", "-w", shop, "-o", plan).exit_code == 0
    write(git_repo / "service" / "main.py", "print('elsewhere in the monorepo')\n")
    commit_all(git_repo, "an unrelated commit")
    r = cli("apply", plan, "-w", shop, "--auto-approve")
    assert r.exit_code == 0, r.stderr


class _Terminal:
    """A terminal whose user types `answer` (the prompt reads one line)."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return self.answer


def test_only_yes_confirms_on_a_terminal(
    shop: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setattr(sys, "stdin", _Terminal("y\n"))
    r = cli("apply", "-w", shop)
    assert r.exit_code == 1 and "apply cancelled: nothing was deployed" in r.stderr
    assert "Only 'yes' is accepted." in r.stderr and r.stdout.startswith("Plan: 7 to add")
    assert deployments(shop) == 0
    monkeypatch.setattr(sys, "stdin", _Terminal("yes\n"))
    r = cli("apply", "-w", shop)
    assert r.exit_code == 0, r.stderr
    assert deployments(shop) == 1
