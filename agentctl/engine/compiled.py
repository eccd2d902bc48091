"""Policies compiled for a run: every CEL expression compiled once, costs and roles resolved."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from agentctl import expr
from agentctl.findings import Finding
from agentctl.model.index import Resource, Workspace
from agentctl.model.kinds import PolicyDoc


@dataclass(frozen=True, slots=True)
class CompiledAction:
    type: str  # invoke | escalate | incident
    target: str  # charter/x, role/x, or the incident title
    input_fields: tuple[tuple[str, expr.Expr], ...]
    input_expr: expr.Expr | None  # one expression giving the whole map
    value_expr: expr.Expr | None
    cost: Decimal | None  # None: unknown (the charter has no per-run USD budget)


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    name: str
    on_exact: frozenset[str]
    on_prefixes: tuple[str, ...]
    condition: expr.Expr
    uses_state: bool
    key: expr.Expr | None  # the entity judged on its own: for: and cooldown per key value
    key_uses_state: bool
    for_s: float
    cooldown_s: float
    max_per_day: int | None
    max_per_hour: int | None
    per_day_usd: Decimal | None
    per_month_usd: Decimal | None
    actions: tuple[CompiledAction, ...]
    approvals: tuple[tuple[expr.Expr, str], ...]  # (when, required role ref)
    cost: Decimal  # one firing: the sum of the known action costs
    metric_names: tuple[str, ...]  # metrics the condition reads: reported with decisions

    def watches(self, event_type: str) -> bool:
        return event_type in self.on_exact or any(
            event_type.startswith(p) for p in self.on_prefixes
        )


@dataclass(frozen=True, slots=True)
class Role:
    ref: str
    max_usd: Decimal | None  # None: the role may not approve spending
    reports_to: str | None


_METRIC_DOT = re.compile(r"\bmetrics\.([A-Za-z_]\w*)")
_METRIC_IDX = re.compile(r"""\bmetrics\[\s*(?:"([^"]+)"|'([^']+)')\s*\]""")


def metric_names(source: str) -> tuple[str, ...]:
    names = set(_METRIC_DOT.findall(source))
    for a, b in _METRIC_IDX.findall(source):
        names.add(a or b)
    return tuple(sorted(names))


def roles_of(ws: Workspace) -> dict[str, Role]:
    out: dict[str, Role] = {}
    for res in ws.roles:
        spec = res.doc.spec
        out[res.ref] = Role(
            res.ref, spec.approves.max_usd if spec.approves else None, spec.reports_to
        )
    return out


def _check(res: Resource[Any]) -> list[Finding]:
    from agentctl.model.expressions import cel_findings

    return list(cel_findings(res))


def compile_policy(ws: Workspace, res: Resource[PolicyDoc]) -> CompiledPolicy:
    """Compile one policy whose expressions passed `expr.check`."""
    spec = res.doc.spec
    actions = []
    for a in spec.actions:
        fields: tuple[tuple[str, expr.Expr], ...] = ()
        whole = None
        if isinstance(a.input, dict):
            fields = tuple((k, expr.compile(v)) for k, v in a.input.items())
        elif isinstance(a.input, str):
            whole = expr.compile(a.input)
        target = a.invoke or a.escalate or (a.incident.title if a.incident else "")
        actions.append(
            CompiledAction(
                a.type,
                target,
                fields,
                whole,
                expr.compile(a.value_usd) if a.value_usd else None,
                ws.action_cost(a),
            )
        )
    cond = expr.compile(spec.condition)
    key = expr.compile(spec.key) if spec.key is not None else None
    return CompiledPolicy(
        name=res.name,
        on_exact=frozenset(t for t in spec.on if not t.endswith("*")),
        on_prefixes=tuple(sorted(t[:-1] for t in spec.on if t.endswith("*"))),
        condition=cond,
        uses_state="state" in cond.variables,
        key=key,
        key_uses_state=key is not None and "state" in key.variables,
        for_s=spec.for_.total_seconds() if spec.for_ else 0.0,
        cooldown_s=spec.cooldown.total_seconds() if spec.cooldown else 0.0,
        max_per_day=spec.bounds.max_per_day,
        max_per_hour=spec.bounds.max_per_hour,
        per_day_usd=spec.budget.per_day_usd,
        per_month_usd=spec.budget.per_month_usd,
        actions=tuple(actions),
        approvals=tuple((expr.compile(ap.when), ap.require) for ap in spec.approvals),
        cost=sum((c.cost for c in actions if c.cost is not None), Decimal(0)),
        metric_names=metric_names(spec.condition),
    )


def compile_policies(
    ws: Workspace, only: list[str] | None = None
) -> tuple[list[CompiledPolicy], list[Finding]]:
    """The workspace's policies (or `only` those names), sorted by name, and the findings
    that stop a policy from running (CEL that does not compile or uses unknown names)."""
    wanted = {n.removeprefix("policy/") for n in only} if only else None
    compiled: list[CompiledPolicy] = []
    findings: list[Finding] = []
    for res in sorted(ws.policies, key=lambda r: r.name):
        if wanted is not None and res.name not in wanted:
            continue
        problems = _check(res)
        if problems:
            findings.extend(problems)
            continue
        compiled.append(compile_policy(ws, res))
    return compiled, findings
