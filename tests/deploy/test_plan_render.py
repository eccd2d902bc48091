"""The plan's text, pinned whole (syrupy): the verdict first, deletions first, each change
with its risk, diff, versions, gates and approval; and --summary."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from deploy_helpers import build, edit, ledger_of
from support import commit_all

from agentctl.deploy import state
from agentctl.deploy.session import plan_for
from agentctl.ledger.store import Ledger
from agentctl.render.plan_text import render as render_plan


def render(plan: Any, **options: Any) -> str:
    """The text with the commit hash masked: any edit of the helper's files moves it."""
    return re.sub(r"\(([0-9a-f]{12})\)", "(COMMIT)", render_plan(plan, **options), count=1)


@pytest.fixture
def shop(git_repo: Path) -> Path:
    return build(git_repo)


def _deploy_as_is(shop: Path) -> None:
    """Record the workspace as deployed (gates are not what this file tests)."""
    planned = plan_for(shop, None, None, ledger_of(shop))
    with Ledger.open(ledger_of(shop)) as ledger:
        state.record(
            ledger,
            "default",
            state.Desired(
                planned.plan.versions,
                planned.desired.commit,
                planned.desired.tree,
                {r.ref: r.digest for r in planned.desired.workspace.resources},
            ),
            expected=planned.plan.position,
            ts="2026-11-01T10:00:00.000000Z",
            by="ops@example.com",
            dep_id="dep-00000001",
        )


def test_the_first_plan_text(shop: Path, snapshot: Any) -> None:
    plan = plan_for(shop, None, None, ledger_of(shop)).plan
    assert render(plan) == snapshot
    assert render(plan, summary=True) == snapshot


def test_an_update_plan_text(shop: Path, snapshot: Any) -> None:
    _deploy_as_is(shop)
    edit(shop / "charters" / "planner.yaml", "per_run: {usd: 0.10", "per_run: {usd: 0.50")
    (shop / "lib" / "planner.py").write_text(
        (shop / "lib" / "planner.py").read_text() + "# changed\n"
    )
    (shop / "simulator" / "restock-day.yaml").unlink()
    edit(shop / "policies" / "restock.yaml", "level < 5", "level < 4")
    commit_all(shop, "a mixed change")
    plan = plan_for(shop, None, None, ledger_of(shop)).plan
    text = render(plan)
    assert text.startswith("Plan: 0 to add, 2 to change, 1 to destroy.\n")
    assert text == snapshot
    lines = [ln for ln in text.splitlines()]
    assert max(len(ln) for ln in lines) <= 80
