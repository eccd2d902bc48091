"""One meaning of a grant: lint, the guard, contracts, inventory and diff agree on every
grant, over generated connectors, charters and contracts.

A grant is a scope (`c0.read`), one operation (`c0.op1`) or a wildcard (`c1.*`). For
every operation in the workspace: the guard lets the charter call it exactly when it is in
the charter's effective permissions, and `diff` from an empty workspace names exactly
those operations. For every contract: lint's contract-scope-not-held fires exactly when
the guard refuses the ask because the provider cannot reach what the contract covers.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentctl.diff import diff
from agentctl.lint import run_lint
from agentctl.model.permissions import effective_permissions
from agentctl.runtime.errors import Denied
from agentctl.runtime.guard import Guard
from agentctl.workspace.loader import Source, SourceFile, build_workspace

TODAY = dt.date(2026, 11, 25)
CONNECTORS = ["c0", "c1"]
OPS = ["op0", "op1", "op2"]
SCOPES = ["read", "write", "admin"]
EFFECTS = ["read", "write", "destructive"]

connector_ops = st.dictionaries(
    st.sampled_from(OPS),
    st.tuples(st.sampled_from(SCOPES), st.sampled_from(EFFECTS)),
    min_size=1,
    max_size=3,
)
grant = st.one_of(
    st.tuples(st.sampled_from(CONNECTORS), st.sampled_from(SCOPES)).map(".".join),
    st.tuples(st.sampled_from(CONNECTORS), st.sampled_from(OPS)).map(".".join),
    st.sampled_from(CONNECTORS).map(lambda c: f"{c}.*"),
)
grants = st.lists(grant, max_size=4, unique=True)


def _doc(kind: str, name: str, spec: dict[str, Any], owner: bool = True) -> str:
    meta: dict[str, Any] = {"name": name}
    if owner:
        meta["owner"] = "role/ops"
    return json.dumps({"apiVersion": "agentctl/v1", "kind": kind, "metadata": meta, "spec": spec})


def _workspace(conns: list[dict[str, tuple[str, str]]], a: list[str], b: list[str], c: list[str]):
    docs = [
        ("agentctl.yaml", _doc("Workspace", "w", {}, owner=False)),
        ("roles.yaml", _doc("Role", "ops", {"members": ["a@example.com"]}, owner=False)),
    ]
    for name, ops in zip(CONNECTORS, conns, strict=True):
        spec = {
            "transport": {"python": "x.y:z"},
            "operations": {op: {"scope": f"{name}.{s}", "effect": e} for op, (s, e) in ops.items()},
        }
        docs.append((f"{name}.yaml", _doc("Connector", name, spec)))
    for name, tools in (("consumer", a), ("provider", b)):
        spec = {"scope": "x", "runtime": {"python": "x.y:z"}, "tools": tools}
        docs.append((f"{name}.yaml", _doc("Charter", name, spec)))
    if c:
        spec = {"consumer": "charter/consumer", "provider": "charter/provider", "scopes": c}
        docs.append(("contract.yaml", _doc("Contract", "deal", spec)))
    files = [SourceFile(path, text.encode()) for path, text in docs]
    result = build_workspace(Source(files, frozenset(f.path for f in files)))
    return result.workspace


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(connector_ops, connector_ops, grants, grants, grants)
def test_lint_guard_contracts_and_diff_agree_on_every_grant(
    ops0: dict[str, tuple[str, str]],
    ops1: dict[str, tuple[str, str]],
    consumer_tools: list[str],
    provider_tools: list[str],
    contract_scopes: list[str],
) -> None:
    ws = _workspace([ops0, ops1], consumer_tools, provider_tools, contract_scopes)
    for charter in ws.charters:
        perms = effective_permissions(ws, charter.doc)
        guard = Guard(ws, charter, TODAY)
        every = [
            ref
            for conn in ws.connectors
            for name in conn.doc.spec.operations
            for ref in ws.operations_for(f"{conn.name}.{name}")
        ]
        for ref in every:
            denied = guard.check_call(ref, 0.0)
            scope_denied = isinstance(denied, Denied) and denied.rule == "scope"
            assert scope_denied == (ref.qualified not in perms), (charter.name, ref.qualified)
        # diff from a workspace without this charter names exactly its permissions
        before = _workspace([ops0, ops1], [], [], [])
        report = diff(before, ws, "base", "head")
        risks = [r for c in report.changes if c.ref == charter.ref for r in c.risks]
        named = {r.message.split(" ")[4] for r in risks if r.message.startswith("can now")}
        assert named == set(perms)
    if not contract_scopes:
        return
    consumer = ws.charter("charter/consumer")
    assert consumer is not None
    asked = Guard(ws, consumer, TODAY).check_ask("charter/provider", 0.0)
    guard_refuses = isinstance(asked, Denied) and asked.rule == "contract-scope"
    linted = run_lint(ws, [], TODAY, files=1)
    lint_refuses = any(f.code == "contract-scope-not-held" for f in linted.findings)
    assert guard_refuses == lint_refuses, (contract_scopes, provider_tools, ops0, ops1)
