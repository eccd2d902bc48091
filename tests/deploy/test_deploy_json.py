"""--format json of plan, apply, approve, deny, approvals, rollback and force-unlock:
the envelope first (tests/cli/test_json_everywhere.py defers these here: they need
deployments, requests and a lock built first)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deploy_helpers import LEAD, build, edit, ledger_of
from support import CliResult, commit_all

from agentctl import __version__
from agentctl.deploy.lock import locked

Cli = Callable[..., CliResult]


def _json(r: CliResult) -> dict[str, Any]:
    assert r.exit_code == 0, r.stderr
    data: dict[str, Any] = json.loads(r.stdout)
    assert list(data)[:2] == ["format_version", "tool"]
    assert data["format_version"] == 1
    assert data["tool"] == {"name": "agentctl", "version": __version__}
    return data


def test_every_deploy_command_has_the_json_envelope(git_repo: Path, cli: Cli) -> None:
    shop = build(git_repo)
    w = ["-w", str(shop), "--format", "json"]
    plan = _json(cli("plan", *w))
    assert plan["kind"] == "plan" and plan["counts"]["add"] == 7
    first = _json(cli("apply", *w, "--auto-approve"))
    assert first["applied"] and first["deployment"]["id"].startswith("dep-")
    edit(shop / "charters" / "planner.yaml", "per_run: {usd: 0.10", "per_run: {usd: 0.50")
    commit_all(shop, "raise")
    assert cli("apply", "-w", shop, "--auto-approve").exit_code == 1  # records the request
    pending = _json(cli("approvals", *w))["approvals"]
    assert [a["status"] for a in pending] == ["pending"]
    denied = _json(cli("deny", pending[0]["id"], *w, "--as", "role/lead", "--by", LEAD))
    assert denied["action"] == "denied" and denied["approvals"][0]["status"] == "denied"
    got = _json(cli("approve", "charter/planner", *w, "--as", "role/lead", "--by", LEAD))
    assert got["action"] == "approved" and got["approvals"][0]["status"] == "granted"
    second = _json(cli("apply", *w, "--auto-approve"))
    assert second["approvals"] == [got["approvals"][0]["id"]]
    back = _json(cli("rollback", "charter/planner", *w, "--auto-approve"))
    assert back["restored_from"] == first["deployment"]["id"]
    with locked(ledger_of(shop), "default", "x", "2026-11-01T10:00:00.000000Z") as holder:
        gone = _json(cli("force-unlock", holder.id, *w))
        assert gone["released"]["id"] == holder.id
