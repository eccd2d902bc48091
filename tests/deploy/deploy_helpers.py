"""A small deployable workspace in a real git repository: two roles (dev reports to
lead), a connector answering from a recorded fixture, a charter gated by an eval suite,
a policy replayed by a scenario. Commits carry the pinned author (author@example.com),
who is a member of both roles: separation of duties has someone to refuse."""

from __future__ import annotations

import json
from pathlib import Path

from support import commit_all, git, write

from agentctl.deploy import state
from agentctl.ledger.store import Ledger
from agentctl.ledger.verify import verify

AUTHOR = "author@example.com"  # support.GIT_ENV's author
LEAD = "lead@example.com"

SETTINGS = """\
apiVersion: agentctl/v1
kind: Workspace
metadata: {name: shop}
spec:
  ledger: .agentctl/ledger.db
  python_path: [lib]
"""

ROLES = """\
apiVersion: agentctl/v1
kind: Role
metadata: {name: lead}
spec:
  members: [lead@example.com, author@example.com]
  approves: {max_usd: 5000}
---
apiVersion: agentctl/v1
kind: Role
metadata: {name: dev}
spec:
  members: [dev@example.com, author@example.com]
  approves: {max_usd: 100}
  reports_to: role/lead
"""

CONNECTOR = """\
apiVersion: agentctl/v1
kind: Connector
metadata: {name: stock, owner: role/dev}
spec:
  transport: {fixture: fixtures/stock.jsonl}
  operations:
    get:
      scope: stock.read
      effect: read
      cost_usd: 0.001
"""

FIXTURE = json.dumps({"operation": "get", "input": {"sku": "a"}, "output": {"level": 3}}) + "\n"

CHARTER = """\
apiVersion: agentctl/v1
kind: Charter
metadata: {name: planner, owner: role/dev}
spec:
  scope: Checks the stock of one SKU.
  runtime: {python: "planner:run"}
  tools: [stock.read]
  budget:
    per_run: {usd: 0.10, steps: 5}
  gates:
    - suite: evalsuite/planner-core
"""

CODE = """\
def run(input, ctx):
    got = ctx.call("stock.get", {"sku": input["sku"]})
    return {"low": got["level"] < 5}
"""

SUITE = """\
apiVersion: agentctl/v1
kind: EvalSuite
metadata: {name: planner-core, owner: role/dev}
spec:
  charter: charter/planner
  cases:
    - id: low
      input: {sku: a}
      assert: ["output.low == true"]
  thresholds: {pass_rate: 1.0}
"""

POLICY = """\
apiVersion: agentctl/v1
kind: Policy
metadata: {name: restock, owner: role/dev}
spec:
  on: [stock.low]
  condition: event.data.level < 5
  actions:
    - invoke: charter/planner
      input:
        sku: event.data.sku
  bounds: {max_per_day: 10}
"""

SCENARIO = """\
apiVersion: agentctl/v1
kind: Scenario
metadata: {name: restock-day, owner: role/dev}
spec:
  events: events.jsonl
  policies: [restock]
  expect:
    - policy: restock
      outcome: fired
      at: "2026-11-01T10:00:00Z"
"""

EVENTS = (
    json.dumps(
        {"ts": "2026-11-01T10:00:00Z", "type": "stock.low", "data": {"sku": "a", "level": 3}}
    )
    + "\n"
)


def build(repo: Path, environments: str = "") -> Path:
    """Write the workspace into `repo` (a git repository) and commit it."""
    write(repo / "agentctl.yaml", SETTINGS + environments)
    write(repo / ".gitignore", ".agentctl/\n__pycache__/\n")
    write(repo / "charters" / "roles.yaml", ROLES)
    write(repo / "charters" / "stock.yaml", CONNECTOR)
    write(repo / "charters" / "fixtures" / "stock.jsonl", FIXTURE)
    write(repo / "charters" / "planner.yaml", CHARTER)
    write(repo / "lib" / "planner.py", CODE)
    write(repo / "evals" / "planner-core.yaml", SUITE)
    write(repo / "policies" / "restock.yaml", POLICY)
    write(repo / "simulator" / "restock-day.yaml", SCENARIO)
    write(repo / "simulator" / "events.jsonl", EVENTS)
    commit_all(repo, "the shop workspace")
    return repo


def ledger_of(repo: Path) -> Path:
    return repo / ".agentctl" / "ledger.db"


def applied(repo: Path, env: str = "default") -> dict[str, str]:
    path = ledger_of(repo)
    if not path.exists():
        return {}
    with Ledger.open(path, readonly=True) as ledger:
        return state.applied(ledger, env).versions()


def deployments(repo: Path) -> int:
    path = ledger_of(repo)
    if not path.exists():
        return 0
    with Ledger.open(path, readonly=True) as ledger:
        return int(
            ledger.conn.execute("SELECT count(*) FROM events WHERE kind = 'deployment'").fetchone()[
                0
            ]
        )


def verified(repo: Path) -> bool:
    with Ledger.open(ledger_of(repo), readonly=True) as ledger:
        return verify(ledger).ok


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


__all__ = ["AUTHOR", "LEAD", "applied", "build", "deployments", "edit", "git", "verified"]
