"""The engine on a guardrail-shaped workload, where most events decide something.

Scale 1.0 = 100,000 `tool.call` events (agent, tool_name, scope, cost_usd, token_count,
data_class drawn uniformly with a fixed seed) through five one-condition policies with
one `escalate` or `incident` action each (no for:, cooldown, bounds, budget or key);
about 1.3 policies fire per event.

Rows:
- the engine alone (events already parsed) in events/s, µs per event and per decision;
- the Microsoft Agent Governance Toolkit's `PolicyEvaluator` (AGT 5.0.0) on the same
  events and the same five rules (first match by priority: fair as events/s), when AGT is
  installed in the virtualenv whose python $AGT_PYTHON names, else in ./.bench-agt
  (`make bench-agt` makes it): skipped otherwise;
- `agentctl simulate --events` end to end (a subprocess: start-up, load, parse, engine,
  report) beside AGT's policy CLI `test` on the same events as scenarios.
"""

from __future__ import annotations

import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import Row

AGENTS = ("planner", "refunder", "support")
TOOLS = ("search", "refund", "read_record", "email", "create_order")
SCOPES = ("refunds:write", "orders:read", "none")
CLASSES = ("none", "pii.ssn", "pii.email", "public")

# (name, CEL over event.data, action, AGT field, AGT operator, AGT value)
RULES = (
    ("ssn-touch", 'event.data.data_class == "pii.ssn"', "incident", "data_class", "eq", "pii.ssn"),
    ("big-spend", "event.data.cost_usd > 80", "escalate", "cost_usd", "gt", 80),
    ("token-heavy", "event.data.token_count >= 8000", "escalate", "token_count", "gte", 8000),
    (
        "refund-scope",
        'event.data.scope == "refunds:write"',
        "incident",
        "scope",
        "eq",
        "refunds:write",
    ),
    (
        "money-tools",
        'event.data.tool_name in ["refund", "create_order"]',
        "escalate",
        "tool_name",
        "in",
        ["refund", "create_order"],
    ),
)
TARGET_ENGINE = 2.0  # engine events/s >= 2x AGT's PolicyEvaluator
TARGET_DECISION_US = 10.0

AGT_SCRIPT = r"""
import json, sys, time, gc
from agent_os.policies.evaluator import PolicyEvaluator
from agent_os.policies.schema import PolicyDocument
doc = PolicyDocument.model_validate(json.loads(sys.argv[1]))
ev = PolicyEvaluator([doc])
contexts = [json.loads(l)["data"] for l in open(sys.argv[2], "rb")]
gc.collect()
t = time.perf_counter()
for c in contexts:
    ev.evaluate(c)
print(time.perf_counter() - t)
"""


def generate(path: Path, n: int) -> None:
    rnd = random.Random(10)
    t0 = 1_772_323_200  # 2026-03-01T00:00:00Z
    lines = []
    for i in range(n):
        ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + i))
        data = {
            "agent": rnd.choice(AGENTS),
            "tool_name": rnd.choice(TOOLS),
            "scope": rnd.choice(SCOPES),
            "cost_usd": round(rnd.uniform(0, 100), 2),
            "token_count": rnd.randint(0, 9000),
            "data_class": rnd.choice(CLASSES),
        }
        lines.append(json.dumps({"ts": ts, "type": "tool.call", "data": data}))
    path.write_text("\n".join(lines) + "\n")


def workspace_files(root: Path) -> None:
    (root / "agentctl.yaml").write_text(
        "apiVersion: agentctl/v1\nkind: Workspace\nmetadata: {name: guardrail}\n"
    )
    docs = [
        "apiVersion: agentctl/v1\nkind: Role\nmetadata: {name: security}\n"
        "spec: {members: [sec@example.com]}\n"
    ]
    for name, cond, action, *_ in RULES:
        act = (
            "{escalate: role/security}"
            if action == "escalate"
            else f"{{incident: {{title: {name}, severity: high}}}}"
        )
        docs.append(
            "apiVersion: agentctl/v1\nkind: Policy\n"
            f"metadata: {{name: {name}, owner: role/security}}\n"
            f"spec:\n  on: [tool.call]\n  condition: {json.dumps(cond)}\n  actions: [{act}]\n"
        )
    (root / "policies.yaml").write_text("---\n".join(docs))


def _workspace(root: Path):  # type: ignore[no-untyped-def]
    from agentctl.workspace.loader import load_workspace

    result = load_workspace(root)
    errors = [f for f in result.findings if f.severity.value == "error"]
    assert not errors, errors
    return result.workspace


def _engine_only(root: Path, events: Path) -> tuple[float, int, int]:
    from agentctl.engine import Event, build
    from agentctl.simulate.stream import read_events

    engine, findings = build(_workspace(root))
    assert not findings, findings
    items = [e for e in read_events(events) if isinstance(e, Event)]
    gc.collect()
    feed = engine.feed
    decisions = 0
    start = time.perf_counter()
    for ev in items:
        decisions += len(feed(ev))
    return time.perf_counter() - start, len(items), decisions


def _agt_python() -> str | None:
    env = os.environ.get("AGT_PYTHON")
    if env:
        return env if Path(env).exists() else None
    local = Path(__file__).resolve().parent.parent / ".bench-agt" / "bin" / "python"
    return str(local) if local.exists() else None


def _agt_doc() -> dict[str, object]:
    return {
        "version": "1.0",
        "name": "guardrail",
        "rules": [
            {
                "name": name,
                "condition": {"field": field, "operator": op, "value": value},
                "action": "deny" if action == "incident" else "audit",
                "priority": len(RULES) - i,
            }
            for i, (name, _cond, action, field, op, value) in enumerate(RULES)
        ],
        "defaults": {"action": "allow"},
    }


def _agt_engine(py: str, events: Path) -> float:
    out = subprocess.run(
        [py, "-c", AGT_SCRIPT, json.dumps(_agt_doc()), str(events)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(out.strip().splitlines()[-1])


def _timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
    return time.perf_counter() - start


def _agt_cli(py: str, tmp: Path, events: Path) -> float:
    """AGT's `test` command (agent_os.policies.cli) on the events as scenarios, in JSON
    (its YAML reader is pure Python: 100,000 scenarios take minutes, so JSON is the fair
    and faster peer); the files are written outside the timing."""
    with events.open("rb") as fh:
        rows = [{"name": str(i), "context": json.loads(line)["data"]} for i, line in enumerate(fh)]
    policy = tmp / "agt-policy.json"
    scenarios = tmp / "agt-scenarios.json"
    policy.write_text(json.dumps(_agt_doc()))
    scenarios.write_text(json.dumps({"scenarios": rows}))
    cmd = [py, "-m", "agent_os.policies.cli", "test", str(policy), str(scenarios)]
    return _timed(cmd, tmp)


def run(scale: float) -> list[Row]:
    n = max(2_000, int(100_000 * scale))
    label = f"guardrail {n:,} events x 5 policies"
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ws = tmp / "ws"
        ws.mkdir()
        workspace_files(ws)
        events = tmp / "events.jsonl"
        generate(events, n)
        secs, count, decisions = _engine_only(ws, events)
        eps = count / secs
        per_decision = secs / max(1, decisions) * 1e6
        rows += [
            Row(label, "decisions per event", f"{decisions / count:.2f}"),
            Row(label, "engine events/s", f"{eps:,.0f}"),
            Row(label, "engine µs per event", f"{secs / count * 1e6:.1f}"),
            Row(
                label,
                "engine µs per decision",
                f"{per_decision:.1f}",
                f"<= {TARGET_DECISION_US:.0f}",
                per_decision <= TARGET_DECISION_US,
            ),
        ]
        agentctl = str(Path(sys.executable).with_name("agentctl"))
        sim = _timed([agentctl, "simulate", "--events", str(events)], ws)
        rows.append(Row(label, "agentctl simulate --events, end to end", f"{sim:.2f} s"))
        py = _agt_python()
        if py is None:
            rows.append(Row(label, "AGT 5.0.0 PolicyEvaluator", "skipped (not installed)"))
            return rows
        agt = _agt_engine(py, events)
        agt_eps = n / agt
        ratio = eps / agt_eps
        rows += [
            Row(label, "AGT PolicyEvaluator events/s", f"{agt_eps:,.0f}"),
            Row(
                label,
                "engine / AGT (events/s)",
                f"{ratio:.2f}x",
                f">= {TARGET_ENGINE:.0f}x",
                ratio >= TARGET_ENGINE,
            ),
        ]
        agt_cli = _agt_cli(py, tmp, events)
        speed = agt_cli / sim
        rows += [
            Row(label, "AGT policy CLI test, end to end", f"{agt_cli:.2f} s"),
            Row(label, "simulate speed / AGT test", f"{speed:.2f}x", "> 1.00x", speed > 1),
        ]
    return rows
