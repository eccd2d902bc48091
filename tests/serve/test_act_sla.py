"""SLA breaches act (issue 14): the consumer is told the request escalated, a human task is
opened, and the claims example pends the claim for a human adjuster."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from rt_helpers import Ws, charter, ws_fixture  # noqa: F401 - ws_fixture
from support import REPO, contract

from agentctl.ledger import Ledger
from agentctl.ledger.verify import verify
from agentctl.serve.tasks import list_tasks

CONTRACT = contract(
    "c1",
    cost_ceiling={"per_request_usd": 0.015},
    sla={"latency": "1m", "field_coverage": 1.0, "fields": ["answer"]},
    on_breach={"escalate": "role/ops"},
)


def test_breach_tells_the_consumer_and_opens_a_task(ws: Ws) -> None:
    ws.add(charter("asker", tools="[sys.read]"), charter("helper", tools="[sys.read]"), CONTRACT)
    res = ws.run("asker", {"steps": [["ask", "charter/helper", {"steps": []}]]})
    (result,) = res.output["results"]
    assert "error" in result  # an Escalated is a ToolError: agents that only handle failures
    assert result["error"].startswith("charter/helper missed the SLA of contract/c1: field")
    assert "escalated to role/ops (task-" in result["error"]
    (opened,) = ws.events("task_opened")
    (req,) = ws.events("agent_request")
    assert opened["parent_span_id"] == req["span_id"] and opened["operation"] == "role/ops"
    with Ledger.open(ws.ledger_path) as led:
        (task,) = list_tasks(led, open_only=True)
    assert task.role == "role/ops" and task.severity == "high"
    assert task.detail["contract"] == "c1" and task.detail["consumer"] == "asker"
    assert task.id in result["error"]


def test_breach_without_escalate_is_only_counted(ws: Ws) -> None:
    quiet = contract("c1", sla={"fields": ["answer"]}, on_breach={"count_missed": True})
    ws.add(charter("asker", tools="[sys.read]"), charter("helper", tools="[sys.read]"), quiet)
    res = ws.run("asker", {"steps": [["ask", "charter/helper", {"steps": []}]]})
    assert "ok" in res.output["results"][0]
    assert ws.events("task_opened") == []


def test_claims_intake_pends_for_an_adjuster_on_a_breach(cli: Any, tmp_path: Path) -> None:
    """The example agent, run for real: the eligibility answer misses the SLA (a field the
    provider never gives is required), so the claim is pended, not approved."""
    root = tmp_path / "ws"
    shutil.copytree(REPO / "charters", root / "charters")
    shutil.copytree(REPO / "policies", root / "policies")
    shutil.copy(REPO / "agentctl.yaml", root / "agentctl.yaml")
    contracts = root / "policies" / "contracts.yaml"
    text = contracts.read_text()
    strict = text.replace(
        "fields: [eligible, coverage_code, reason]", "fields: [eligible, coverage_code, appeal]"
    )
    assert strict != text
    contracts.write_text(strict)
    db = tmp_path / "ledger.db"
    payload = json.dumps({"claim_id": "CLM-20261101"})
    args = ("run", "claims-intake", "-w", root, "--ledger", db, "--now", "2026-11-25T10:00:00Z")
    r = cli(*args, "--input", payload, "--format", "json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)["output"]
    assert out["decision"] == "pend" and "payable_usd" not in out
    assert out["reason"].startswith("Pended for a human adjuster: the eligibility answer")
    assert out["escalated_to"] == "role/claims-adjuster"
    with Ledger.open(db) as led:
        (task,) = list_tasks(led)
        assert task.role == "role/claims-adjuster" and task.open
        assert verify(led).ok
