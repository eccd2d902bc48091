"""What a plan diffs each change against: the document as it was deployed."""

from __future__ import annotations

from pathlib import Path

from deploy_helpers import build, edit, ledger_of

from agentctl.deploy import state
from agentctl.deploy.session import plan_for
from agentctl.ledger.store import Ledger


def _record(shop: Path, commit: str | None, documents: bool = True) -> None:
    planned = plan_for(shop, None, None, ledger_of(shop))
    docs = {r.ref: r.digest for r in planned.desired.workspace.resources} if documents else {}
    with Ledger.open(ledger_of(shop)) as ledger:
        state.record(
            ledger,
            "default",
            state.Desired(planned.plan.versions, commit, None, docs),
            expected=planned.plan.position,
            ts="2026-11-01T10:00:00.000000Z",
            by="ops@example.com",
        )


def test_a_change_is_diffed_against_the_deployed_document(git_repo: Path) -> None:
    shop = build(git_repo)
    planned = plan_for(shop, None, None, ledger_of(shop))
    _record(shop, planned.desired.commit)
    edit(shop / "charters" / "planner.yaml", "per_run: {usd: 0.10", "per_run: {usd: 0.20")
    plan = plan_for(shop, None, None, ledger_of(shop)).plan
    [change] = plan.changes
    assert [f.key for f in change.fields] == ["spec.budget.per_run.usd"]
    assert plan.notes == []


def test_a_deployed_commit_this_clone_lacks_makes_the_change_unjudged(git_repo: Path) -> None:
    shop = build(git_repo)
    _record(shop, "0" * 40)
    edit(shop / "charters" / "planner.yaml", "per_run: {usd: 0.10", "per_run: {usd: 0.05")
    plan = plan_for(shop, None, None, ledger_of(shop)).plan
    [change] = plan.changes
    assert change.level == "high" and change.approver == "role/lead"
    assert "cannot be judged" in change.risks[0].message
    assert plan.notes and "commit 000000000000 are not in this repository" in plan.notes[0]


def test_a_document_deployed_from_edited_files_is_not_the_commits(git_repo: Path) -> None:
    shop = build(git_repo)
    edit(shop / "charters" / "planner.yaml", "Checks the stock", "Checks the stock now")
    head = plan_for(shop, None, None, ledger_of(shop)).desired.commit
    _record(shop, head)  # deployed: the edited document, HEAD's commit
    edit(shop / "charters" / "planner.yaml", "Checks the stock now", "Checks it")
    [change] = plan_for(shop, None, None, ledger_of(shop)).plan.changes
    assert change.level == "high" and "cannot be judged" in change.risks[0].message


def test_code_edited_in_the_working_copy_is_a_code_change(git_repo: Path) -> None:
    shop = build(git_repo)
    code = shop / "lib" / "planner.py"
    code.write_text(code.read_text() + "# deployed from an edited working copy\n")
    head = plan_for(shop, None, None, ledger_of(shop)).desired.commit
    _record(shop, head)
    code.write_text(code.read_text() + "# and edited again\n")
    [change] = plan_for(shop, None, None, ledger_of(shop)).plan.changes
    assert change.level == "medium" and change.risks[0].message.startswith("code changed")
