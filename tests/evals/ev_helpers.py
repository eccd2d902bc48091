"""A small eval workspace in a temporary folder: one charter whose in-process agent
behaves as each case's input says (passes, fails, alternates, crashes on its first
attempts, or finds its connector down), counting its runs in files under state/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WORKSPACE = """\
apiVersion: agentctl/v1
kind: Workspace
metadata: {name: ev}
spec:
  python_path: [lib]
"""

RESOURCES = """\
apiVersion: agentctl/v1
kind: Role
metadata: {name: ops}
---
apiVersion: agentctl/v1
kind: Connector
metadata: {name: svc, owner: role/ops}
spec:
  transport: {python: "ev_tools:svc"}
  operations:
    get: {scope: svc.read, cost_usd: 0.01}
---
apiVersion: agentctl/v1
kind: Charter
metadata: {name: bot, owner: role/ops}
spec:
  scope: answers as its case says
  runtime: {python: "ev_agents:bot"}
  tools: [svc.read]
"""

TOOLS = """\
def svc(operation, payload):
    if payload.get("down"):
        raise ConnectionError("svc is down")
    return {"up": True}
"""

AGENTS = '''\
"""Behaves as task["mode"] says; task["key"] names its run counter."""
from pathlib import Path

STATE = Path(__file__).resolve().parent.parent / "state"


def _count(key):
    STATE.mkdir(exist_ok=True)
    f = STATE / key
    n = int(f.read_text()) + 1 if f.exists() else 1
    f.write_text(str(n))
    return n


def bot(task, ctx):
    mode = task.get("mode", "ok")
    n = _count(task.get("key", "default"))
    first = n <= task.get("n", 1)
    ctx.call("svc.get", {"down": mode == "down" or (mode == "down_first" and first)})
    if mode == "crash_first" and first:
        raise RuntimeError(f"crash on run {n}")
    if mode == "alternate":
        return {"ok": n % 2 == 1, "n": n}
    return {"ok": mode != "wrong", "n": n}
'''


def suite(name: str, cases: list[dict[str, Any]], **thresholds: Any) -> str:
    spec: dict[str, Any] = {"charter": "charter/bot", "cases": []}
    for c in cases:
        spec["cases"].append({"id": c.pop("id"), "input": c, "assert": ["output.ok == true"]})
    if thresholds:
        spec["thresholds"] = thresholds
    body = {
        "apiVersion": "agentctl/v1",
        "kind": "EvalSuite",
        "metadata": {"name": name, "owner": "role/ops"},
        "spec": spec,
    }
    return json.dumps(body) + "\n"


def make_eval_ws(root: Path, *suites: str) -> Path:
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "ev_tools.py").write_text(TOOLS)
    (root / "lib" / "ev_agents.py").write_text(AGENTS)
    (root / "agentctl.yaml").write_text(WORKSPACE)
    (root / "res.yaml").write_text(RESOURCES)
    for i, text in enumerate(suites):
        (root / f"suite{i}.yaml").write_text(text)
    return root
