"""A small workspace with one retail policy, its events and a scenario, written to disk."""

from __future__ import annotations

import json
from pathlib import Path

from support import APPROVAL_ROLES

SETTINGS = """\
apiVersion: agentctl/v1
kind: Workspace
metadata: {name: sim-test, owner: role/store-manager}
"""

ROLES = APPROVAL_ROLES

CHARTER = """\
apiVersion: agentctl/v1
kind: Charter
metadata: {name: planner, owner: role/store-manager}
spec:
  scope: drafts restock plans
  runtime: {python: "x.y:z"}
  budget: {per_run: {usd: 0.5}, per_day: {usd: 10}}
"""

POLICY = """\
apiVersion: agentctl/v1
kind: Policy
metadata: {name: stockout, owner: role/store-manager}
spec:
  on: [pos.sale]
  condition: metrics.risk >= THRESHOLD
  for: 1h
  cooldown: 2h
  actions:
    - invoke: charter/planner
      input: {sku: event.data.sku}
      value_usd: metrics.value
  bounds: {max_per_day: 3}
  approvals:
    - when: plan.value_usd > 1000
      require: role/store-manager
"""

SCENARIO = """\
apiVersion: agentctl/v1
kind: Scenario
metadata: {name: morning}
spec:
  events: events.jsonl
  expect:
    - {policy: stockout, outcome: fired, at: "2026-03-02T10:00:00Z"}
    - {policy: stockout, outcome: "suppressed:cooldown", count: 2,
       between: ["2026-03-02T10:00:01Z", "2026-03-02T11:59:59Z"]}
    - {policy: stockout, outcome: needs_approval, at: "2026-03-02T12:30:00Z"}
    - {policy: stockout, outcome: escalated, at: "2026-03-02T15:00:00Z"}
"""

# (time, sku, risk, plan value)
EVENTS = [
    ("2026-03-02T08:30:00Z", "A-1", 0.5, 300),
    ("2026-03-02T09:00:00Z", "A-1", 0.9, 300),
    ("2026-03-02T09:30:00Z", "A-2", 0.92, 300),
    ("2026-03-02T10:00:00Z", "A-1", 0.93, 300),
    ("2026-03-02T10:30:00Z", "A-3", 0.95, 300),
    ("2026-03-02T11:30:00Z", "A-1", 0.94, 300),
    ("2026-03-02T12:30:00Z", "A-2", 0.96, 2500),
    ("2026-03-02T13:00:00Z", "A-2", 0.4, 2500),
    ("2026-03-02T14:00:00Z", "A-4", 0.85, 9000),
    ("2026-03-02T15:00:00Z", "A-4", 0.86, 9000),
]


def events_jsonl(events: list[tuple[str, str, float, int]] = EVENTS) -> str:
    return "".join(
        json.dumps(
            {
                "ts": ts,
                "type": "pos.sale",
                "data": {"store_id": "s-1", "sku": sku, "units": 2},
                "metrics": {"risk": risk, "value": value},
            }
        )
        + "\n"
        for ts, sku, risk, value in events
    )


def make_workspace(root: Path, threshold: str = "0.8") -> Path:
    files = {
        "agentctl.yaml": SETTINGS,
        "charters/roles.yaml": ROLES,
        "charters/planner.yaml": CHARTER,
        "policies/stockout.yaml": POLICY.replace("THRESHOLD", threshold),
        "simulator/morning.yaml": SCENARIO,
        "simulator/events.jsonl": events_jsonl(),
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
