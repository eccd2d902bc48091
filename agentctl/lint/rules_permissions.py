"""Grants: what a charter's `tools:` really opens (agentctl/model/permissions.py)."""

from __future__ import annotations

from collections.abc import Iterator

from agentctl.findings import Finding, Severity
from agentctl.lint.registry import LintContext, finding, rule
from agentctl.model.permissions import EFFECT_RANK, effective_permissions

W = Severity.WARNING


@rule(
    "wildcard-reaches-write",
    W,
    "A `connector.*` grant that reaches write or destructive operations.",
    """
`connector.*` grants every operation of the connector, today's and every one added later:
a pull request that adds a destructive operation to the connector gives it to this charter
with no change to the charter. Grant the scopes the agent needs (`billing.read`) or the
operations themselves (`billing.get_invoice`) instead, so that a new write or destructive
operation needs a reviewed change here.
""",
)
def wildcard_reaches_write(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    for res in ws.charters:
        perms = effective_permissions(ws, res.doc)
        for i, grant in enumerate(res.doc.spec.tools):
            if not grant.endswith(".*"):
                continue
            writes = [p for p in perms.values() if grant in p.grants and p.writes]
            if writes:
                named = ", ".join(f"{p.operation} ({p.effect})" for p in writes)
                yield finding(
                    "wildcard-reaches-write",
                    res,
                    ("spec", "tools", i),
                    f"{grant} reaches {named}",
                    "grant the scopes or operations the agent needs instead of the wildcard",
                )


@rule(
    "scope-mixed-effects",
    W,
    "One scope covers operations of different effects (a write under a read scope).",
    """
A scope is what charters are granted. When a connector puts a write or destructive
operation under a scope that also covers reads (`ticketing.read`), every charter granted
that scope for reading can also write or destroy, and its charter never says so. Give the
operation a scope of its own (`ticketing.refund`), so that granting it is a visible change.
""",
)
def scope_mixed_effects(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    by_scope: dict[str, list[tuple[str, str]]] = {}
    for conn in ws.connectors:
        for name, op in conn.doc.spec.operations.items():
            by_scope.setdefault(op.scope, []).append((f"{conn.name}.{name}", op.effect))
    for conn in ws.connectors:
        for name, op in conn.doc.spec.operations.items():
            peers = by_scope[op.scope]
            lowest = min(EFFECT_RANK[e] for _, e in peers)
            if EFFECT_RANK[op.effect] == lowest:
                continue
            milder = sorted(n for n, e in peers if EFFECT_RANK[e] < EFFECT_RANK[op.effect])
            yield finding(
                "scope-mixed-effects",
                conn,
                ("spec", "operations", name, "effect"),
                f"{conn.name}.{name} is {op.effect} under scope {op.scope!r}, which also "
                f"covers {', '.join(milder)}: whoever is granted the scope gets this {op.effect} "
                "operation too",
                f"give {conn.name}.{name} a scope of its own",
            )
