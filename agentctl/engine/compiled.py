"""Policies compiled for a run: every CEL expression compiled once, costs and roles resolved."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from agentctl import expr
from agentctl.engine.fastpath import Fast
from agentctl.engine.fastpath import compile_fast as _compile_fast
from agentctl.findings import Finding
from agentctl.model.index import Resource, Workspace
from agentctl.model.kinds import PolicyDoc


@dataclass(frozen=True, slots=True)
class CompiledAction:
    type: str  # invoke | escalate | incident
    target: str  # charter/x, role/x, or the incident title
    input_fields: tuple[tuple[str, expr.Expr, Fast | None], ...]
    input_expr: expr.Expr | None  # one expression giving the whole map
    value_expr: expr.Expr | None
    value_fast: Fast | None
    cost: Decimal | None  # None: unknown (the charter has no per-run USD budget)
    # the invoked charter's input_schema (checked against the computed input) and whether
    # it is paused (a paused charter refuses every run: the action would be refused)
    schema: dict[str, Any] | None = None
    paused: bool = False


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    name: str
    on_exact: frozenset[str]
    on_prefixes: tuple[str, ...]
    condition: expr.Expr
    condition_fast: Fast | None  # agentctl/engine/fastpath.py; None: CEL only
    uses_state: bool
    key: expr.Expr | None  # the entity judged on its own: for: and cooldown per key value
    key_fast: Fast | None
    key_uses_state: bool
    for_s: float
    cooldown_s: float
    max_per_day: int | None
    max_per_hour: int | None
    per_day_usd: Decimal | None
    per_month_usd: Decimal | None
    actions: tuple[CompiledAction, ...]
    approvals: tuple[tuple[expr.Expr, Fast | None, str], ...]  # (when, fast, role ref)
    cost: Decimal  # one firing: the sum of the known action costs
    metric_names: tuple[str, ...]  # metrics the condition reads: reported with decisions
    # what a firing needs, known once here so the engine does per decision only that work
    fire_uses_state: bool  # an input, value or approval expression reads `state`
    calendar: bool  # bounds, a budget or `state` need the day/hour/month counters
    fired_reason: str  # the reason of a plain firing ("escalate role/x, ...")
    paused: tuple[str, ...] = ()  # the paused charters it invokes: it is suppressed, never fired

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


_EVENT_ROOTS = frozenset({"event", "metrics"})
_PLAN_ROOTS = frozenset({"event", "metrics", "plan"})


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


def compile_policy(ws: Workspace, res: Resource[PolicyDoc], fast: bool = True) -> CompiledPolicy:
    """Compile one policy whose expressions passed `expr.check`; with fast=False, CEL
    evaluates every expression (the reference the fast path is tested against)."""

    def compile_fast(source: str, roots: frozenset[str]) -> Fast | None:
        return _compile_fast(source, roots) if fast else None

    spec = res.doc.spec
    actions = []
    for a in spec.actions:
        fields: tuple[tuple[str, expr.Expr, Fast | None], ...] = ()
        whole = None
        if isinstance(a.input, dict):
            fields = tuple(
                (k, expr.compile(v), compile_fast(v, _EVENT_ROOTS)) for k, v in a.input.items()
            )
        elif isinstance(a.input, str):
            whole = expr.compile(a.input)
        target = a.invoke or a.escalate or (a.incident.title if a.incident else "")
        invoked = ws.get(a.invoke) if a.invoke else None
        actions.append(
            CompiledAction(
                a.type,
                target,
                fields,
                whole,
                expr.compile(a.value_usd) if a.value_usd else None,
                compile_fast(a.value_usd, _EVENT_ROOTS) if a.value_usd else None,
                ws.action_cost(a),
                invoked.doc.spec.input_schema if invoked is not None else None,
                invoked is not None and invoked.doc.spec.paused,
            )
        )
    cond = expr.compile(spec.condition)
    key = expr.compile(spec.key) if spec.key is not None else None
    approvals = tuple(
        (expr.compile(ap.when), compile_fast(ap.when, _PLAN_ROOTS), ap.require)
        for ap in spec.approvals
    )
    fire_exprs = [e for _k, e, _f in (f for c in actions for f in c.input_fields)]
    fire_exprs += [c.input_expr for c in actions if c.input_expr is not None]
    fire_exprs += [c.value_expr for c in actions if c.value_expr is not None]
    fire_exprs += [w for w, _f, _r in approvals]
    fire_uses_state = any("state" in e.variables for e in fire_exprs)
    uses_state = "state" in cond.variables
    key_uses_state = key is not None and "state" in key.variables
    bounded = spec.bounds.max_per_day is not None or spec.bounds.max_per_hour is not None
    budgeted = spec.budget.per_day_usd is not None or spec.budget.per_month_usd is not None
    return CompiledPolicy(
        name=res.name,
        on_exact=frozenset(t for t in spec.on if not t.endswith("*")),
        on_prefixes=tuple(sorted(t[:-1] for t in spec.on if t.endswith("*"))),
        condition=cond,
        condition_fast=compile_fast(spec.condition, _EVENT_ROOTS),
        uses_state=uses_state,
        key=key,
        key_fast=compile_fast(spec.key, _EVENT_ROOTS) if spec.key is not None else None,
        key_uses_state=key_uses_state,
        for_s=spec.for_.total_seconds() if spec.for_ else 0.0,
        cooldown_s=spec.cooldown.total_seconds() if spec.cooldown else 0.0,
        max_per_day=spec.bounds.max_per_day,
        max_per_hour=spec.bounds.max_per_hour,
        per_day_usd=spec.budget.per_day_usd,
        per_month_usd=spec.budget.per_month_usd,
        actions=tuple(actions),
        approvals=approvals,
        cost=sum((c.cost for c in actions if c.cost is not None), Decimal(0)),
        metric_names=metric_names(spec.condition),
        fire_uses_state=fire_uses_state,
        calendar=bounded or budgeted or uses_state or key_uses_state or fire_uses_state,
        fired_reason=", ".join(f"{c.type} {c.target}" for c in actions),
        paused=tuple(c.target for c in actions if c.paused),
    )


def compile_policies(
    ws: Workspace, only: list[str] | None = None, fast: bool = True
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
        compiled.append(compile_policy(ws, res, fast))
    return compiled, findings
