"""Money and limits: budgets that hold together, ratios that are ratios."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from agentctl.findings import Finding, Severity
from agentctl.lint.registry import LintContext, finding, rule
from agentctl.model.index import Resource
from agentctl.model.kinds import Limits
from agentctl.positions import key_path

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
LIMIT_FIELDS = ("usd", "tokens", "steps", "tool_calls", "wall_time")


@rule(
    "budget-inconsistent",
    E,
    "A per-run limit larger than the per-day limit.",
    """
A single run can never spend more than a day allows, so a per-run limit above the per-day
one is a typo (a missing zero, a wrong unit) that leaves one of the two meaningless.
""",
)
def budget_inconsistent(ctx: LintContext) -> Iterator[Finding]:
    for res in ctx.workspace.charters:
        budget = res.doc.spec.budget
        for name in LIMIT_FIELDS:
            run, day = getattr(budget.per_run, name), getattr(budget.per_day, name)
            if run is not None and day is not None and run > day:
                yield finding(
                    "budget-inconsistent",
                    res,
                    ("spec", "budget", "per_run", name),
                    f"per-run {name} ({_fmt(run)}) exceeds per-day {name} ({_fmt(day)})",
                    "per_run must be at most per_day",
                )


def _fmt(v: Any) -> str:
    from datetime import timedelta

    from agentctl.model.types import format_duration

    if isinstance(v, timedelta):
        return format_duration(v)
    if isinstance(v, Decimal):
        from agentctl.model.types import format_usd

        return format_usd(v)
    return str(v)


def _positive(v: Any) -> bool:
    from datetime import timedelta

    if isinstance(v, timedelta):
        return v.total_seconds() > 0
    return bool(v > 0)


@rule(
    "budget-non-positive",
    E,
    "A budget, limit or cost ceiling that is zero or negative.",
    """
Budgets are hard stops: a zero limit stops every run at its first step, and a negative one
is meaningless. To stop an agent, set `paused: true` on its charter instead.
""",
)
def budget_non_positive(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    for res in ws.charters:
        for period in ("per_run", "per_day"):
            limits: Limits = getattr(res.doc.spec.budget, period)
            for name in LIMIT_FIELDS:
                v = getattr(limits, name)
                if v is not None and not _positive(v):
                    yield finding(
                        "budget-non-positive",
                        res,
                        ("spec", "budget", period, name),
                        f"{period}.{name} is {_fmt(v)}: limits must be positive",
                        "to stop the agent, set paused: true",
                    )
    for pol in ws.policies:
        for name in ("per_day_usd", "per_month_usd"):
            v = getattr(pol.doc.spec.budget, name)
            if v is not None and v <= 0:
                yield finding(
                    "budget-non-positive",
                    pol,
                    ("spec", "budget", name),
                    f"budget.{name} is {_fmt(v)}: limits must be positive",
                )
        for name in ("max_per_day", "max_per_hour"):
            v = getattr(pol.doc.spec.bounds, name)
            if v is not None and v <= 0:
                yield finding(
                    "budget-non-positive",
                    pol,
                    ("spec", "bounds", name),
                    f"bounds.{name} is {v}: the policy could never act",
                    "remove the policy, or allow at least one action",
                )
    for con in ws.contracts:
        for name in ("per_request_usd", "per_day_usd"):
            v = getattr(con.doc.spec.cost_ceiling, name)
            if v is not None and v <= 0:
                yield finding(
                    "budget-non-positive",
                    con,
                    ("spec", "cost_ceiling", name),
                    f"cost_ceiling.{name} is {_fmt(v)}: ceilings must be positive",
                )


def _ratio_fields(res: Resource[Any]) -> Iterator[tuple[tuple[str | int, ...], float]]:
    spec = res.doc.spec
    if res.kind == "Contract":
        for name in ("success_rate", "field_coverage"):
            v = getattr(spec.sla, name)
            if v is not None:
                yield ("spec", "sla", name), v
    elif res.kind == "Charter":
        for i, gate in enumerate(spec.gates):
            if gate.min_pass_rate is not None:
                yield ("spec", "gates", i, "min_pass_rate"), gate.min_pass_rate
    elif res.kind == "EvalSuite":
        yield ("spec", "thresholds", "pass_rate"), spec.thresholds.pass_rate
        if spec.thresholds.pass_rate_lower_bound is not None:
            yield (
                ("spec", "thresholds", "pass_rate_lower_bound"),
                spec.thresholds.pass_rate_lower_bound,
            )


@rule(
    "ratio-out-of-range",
    E,
    "An SLA ratio or pass rate outside [0, 1].",
    """
Success rates, field coverage and pass rates are ratios between 0 and 1: write 0.99, not
99 (a percentage) — a ratio above 1 can never be met.
""",
)
def ratio_range(ctx: LintContext) -> Iterator[Finding]:
    for res in ctx.workspace.resources:
        if res.kind not in ("Contract", "Charter", "EvalSuite"):
            continue
        for path, v in _ratio_fields(res):
            if not 0 <= v <= 1:
                hint = f"write {v / 100:g} for {v:g}%" if 1 < v <= 100 else "use 0..1"
                yield finding(
                    "ratio-out-of-range",
                    res,
                    path,
                    f"{key_path(path[1:])} is {v:g}: ratios lie in [0, 1]",
                    hint,
                )


@rule(
    "contract-cost-exceeds-budget",
    W,
    "A contract allows more spend than its consumer's budget.",
    """
A contract's cost ceiling is what the consumer agrees to pay the provider per request or
per day. A ceiling above the consumer's own budget can never be honoured: the consumer's
guard stops first.
""",
)
def contract_cost(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    for res in ws.contracts:
        consumer = ws.charter(res.doc.spec.consumer)
        if consumer is None:
            continue
        budget = consumer.doc.spec.budget
        pairs = (
            ("per_request_usd", budget.per_run.usd, "per-run"),
            ("per_day_usd", budget.per_day.usd, "per-day"),
        )
        for name, limit, label in pairs:
            ceiling = getattr(res.doc.spec.cost_ceiling, name)
            if ceiling is not None and limit is not None and ceiling > limit:
                yield finding(
                    "contract-cost-exceeds-budget",
                    res,
                    ("spec", "cost_ceiling", name),
                    f"{name} {_fmt(ceiling)} exceeds {consumer.ref}'s {label} budget {_fmt(limit)}",
                    "lower the ceiling or raise the consumer's budget",
                )


@rule(
    "policy-budget-exceeded",
    W,
    "A policy whose actions can spend more than its own budget.",
    """
The cost of one firing is the sum of its actions' estimates (`cost_usd`, or the invoked
charter's per-run budget). If one firing costs more than the daily budget the policy can
never act (error); if `bounds.max_per_day` firings cost more, the budget, not the bound,
will stop it (warning) — usually not what the author meant.
""",
)
def policy_budget(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    for res in ws.policies:
        spec = res.doc.spec
        limit = spec.budget.per_day_usd
        if limit is None or limit <= 0:  # a non-positive budget is budget-non-positive's
            continue
        costs = [ws.action_cost(a) for a in spec.actions]
        if any(c is None for c in costs):
            continue
        per_firing = sum((c for c in costs if c is not None), Decimal(0))
        if per_firing > limit:
            yield finding(
                "policy-budget-exceeded",
                res,
                ("spec", "budget", "per_day_usd"),
                f"one firing costs up to {_fmt(per_firing)}, more than the daily budget "
                f"{_fmt(limit)}: the policy can never act",
                "raise budget.per_day_usd or lower the actions' cost",
                severity=E,
            )
        elif spec.bounds.max_per_day and per_firing * spec.bounds.max_per_day > limit:
            yield finding(
                "policy-budget-exceeded",
                res,
                ("spec", "bounds", "max_per_day"),
                f"{spec.bounds.max_per_day} firings a day cost up to "
                f"{_fmt(per_firing * spec.bounds.max_per_day)}, more than the daily budget "
                f"{_fmt(limit)}",
                "lower bounds.max_per_day or raise budget.per_day_usd",
            )


@rule(
    "policy-unbounded",
    W,
    "A policy that invokes agents with no bound, cooldown or budget.",
    """
Without `bounds.max_per_day`, a `cooldown` or a `budget`, a policy whose condition holds
fires on every matching event: a burst of events becomes a burst of agent runs. A policy
with a `key:` keeps its cooldown per key, so a cooldown does not bound it: a thousand
stores can fire at once. Keyed policies need a bound or a budget.
""",
)
def policy_unbounded(ctx: LintContext) -> Iterator[Finding]:
    for res in ctx.workspace.policies:
        spec = res.doc.spec
        if not any(a.invoke for a in spec.actions):
            continue
        keyed = spec.key is not None
        bounded = (
            spec.bounds.max_per_day
            or spec.bounds.max_per_hour
            or (spec.cooldown and not keyed)
            or spec.budget.per_day_usd
            or spec.budget.per_month_usd
        )
        if not bounded:
            yield finding(
                "policy-unbounded",
                res,
                ("spec",),
                f"{res.ref} can invoke agents on every matching event"
                + (" of every key (its cooldown is per key)" if keyed and spec.cooldown else ""),
                "add bounds.max_per_day or budget.per_day_usd"
                + ("" if keyed else ", or a cooldown"),
                key=True,  # the key line: the mapping as a whole is at fault
            )
