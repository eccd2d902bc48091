"""Build small workspaces from YAML text (pure: no disk) and run events through the engine."""

from __future__ import annotations

import json
from typing import Any

from support import APPROVAL_ROLES, docs, role

from agentctl.engine import Decision, Engine, build, parse_line
from agentctl.engine.events import Event
from agentctl.model.index import Workspace
from agentctl.workspace.loader import Source, SourceFile, build_workspace

ROLES = docs(APPROVAL_ROLES, role("clerk", reports_to="role/store-manager"))

CHARTER = """
apiVersion: agentctl/v1
kind: Charter
metadata: {name: planner, owner: role/store-manager}
spec:
  scope: plans restocks
  runtime: {python: "x.y:z"}
  budget: {per_run: {usd: 4}}
"""


def policy(name: str = "p", **spec: Any) -> str:
    body = {
        "on": ["pos.sale"],
        "condition": "metrics.risk > 0.8",
        "actions": [{"invoke": "charter/planner"}],
    }
    body.update(spec)
    doc = {
        "apiVersion": "agentctl/v1",
        "kind": "Policy",
        "metadata": {"name": name, "owner": "role/store-manager"},
        "spec": body,
    }
    return json.dumps(doc)  # JSON is YAML


def workspace(*docs: str, timezone: str = "UTC") -> Workspace:
    settings = (
        "apiVersion: agentctl/v1\nkind: Workspace\nmetadata: {name: t}\n"
        f"spec: {{defaults: {{timezone: {timezone}}}}}\n"
    )
    files = [
        SourceFile("agentctl.yaml", settings.encode()),
        SourceFile("roles.yaml", ROLES.encode()),
    ]
    files.append(SourceFile("charter.yaml", CHARTER.encode()))
    for i, d in enumerate(docs):
        files.append(SourceFile(f"p{i}.yaml", d.encode()))
    result = build_workspace(Source(files, frozenset(f.path for f in files)))
    errors = [f for f in result.findings if f.severity.value == "error"]
    assert not errors, errors
    return result.workspace


def ev(ts: str, type: str = "pos.sale", seq: int = 0, **metrics: Any) -> Event:
    obj: dict[str, Any] = {"ts": ts, "type": type, "data": metrics.pop("data", {})}
    if metrics:
        obj["metrics"] = metrics
    item = parse_line(json.dumps(obj), seq, "t.jsonl")
    assert isinstance(item, Event), item
    return item


def run(ws: Workspace, events: list[Event]) -> list[Decision]:
    engine, findings = build(ws)
    assert not findings, findings
    out: list[Decision] = []
    for e in events:
        out.extend(engine.feed(e))
    return out


def engine_for(ws: Workspace) -> Engine:
    engine, findings = build(ws)
    assert not findings, findings
    return engine


def labels(decisions: list[Decision]) -> list[tuple[str, str]]:
    return [(d.time, d.label) for d in decisions]
