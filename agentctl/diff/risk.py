"""How much a change widens what agents may do: one table of rules, documented in
docs/diff.md ("Risk levels"), applied to field changes and to effective permissions.

Widening (more reach, more money, fewer checks) is high; the milder widenings (a new
read-only operation, a non-sensitive data class, a shorter cooldown) are medium; narrowing
and neutral edits are low.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from agentctl.diff.fields import MISSING, FieldChange, show
from agentctl.model.permissions import EFFECT_RANK, Permission, is_sensitive

LEVELS = ("high", "medium", "low")
RANK = {level: i for i, level in enumerate(LEVELS)}


@dataclass(frozen=True)
class Risk:
    level: str  # high | medium | low
    direction: str  # widening | narrowing | neutral
    message: str
    path: tuple[str | int, ...] = ()


def _num(v: Any) -> float | None:
    if isinstance(v, timedelta):
        return v.total_seconds()
    if isinstance(v, bool) or v is MISSING or v is None:
        return None
    if isinstance(v, int | float | Decimal):
        return float(v)
    return None


def _pct(old: float, new: float) -> str:
    return f" (+{(new - old) / old * 100:.0f}%)" if old else ""


def _limit(what: str, level: str = "high") -> Callable[[FieldChange], Risk | None]:
    """A cap where more (or none at all) is wider: budgets, ceilings, approval limits."""

    def rule(c: FieldChange) -> Risk | None:
        a, b = _num(c.old), _num(c.new)
        if c.removed:
            return Risk(level, "widening", f"{what} removed (was {show(c.old)}): no limit now")
        if c.added:
            return Risk("low", "narrowing", f"{what} set to {show(c.new)}")
        if a is None or b is None or a == b:
            return None
        if b > a:
            msg = f"{what} raised {show(c.old)} → {show(c.new)}{_pct(a, b)}"
            return Risk(level, "widening", msg)
        return Risk("low", "narrowing", f"{what} lowered {show(c.old)} → {show(c.new)}")

    return rule


def _floor(what: str, level: str = "high") -> Callable[[FieldChange], Risk | None]:
    """A requirement where less is looser: pass rates, success rates, coverage."""

    def rule(c: FieldChange) -> Risk | None:
        a, b = _num(c.old), _num(c.new)
        if c.removed:
            return Risk(level, "widening", f"{what} removed (was {show(c.old)})")
        if c.added:
            return Risk("low", "narrowing", f"{what} set to {show(c.new)}")
        if a is None or b is None or a == b:
            return None
        if b < a:
            return Risk(level, "widening", f"{what} lowered {show(c.old)} → {show(c.new)}")
        return Risk("low", "narrowing", f"{what} raised {show(c.old)} → {show(c.new)}")

    return rule


def _set(what: str, added: str, removed: str) -> Callable[[FieldChange], Risk | None]:
    """A list of names: `added`/`removed` are the levels of adding and removing one."""

    def rule(c: FieldChange) -> Risk | None:
        old = set(map(str, c.old)) if isinstance(c.old, list) else set()
        new = set(map(str, c.new)) if isinstance(c.new, list) else set()
        plus, minus = sorted(new - old), sorted(old - new)
        found: list[Risk] = []
        if plus:
            d = "widening" if added != "low" else "neutral"
            found.append(Risk(added, d, f"{what} added: {', '.join(plus)}"))
        if minus:
            d = "widening" if removed != "low" else "narrowing"
            found.append(Risk(removed, d, f"{what} removed: {', '.join(minus)}"))
        if not found:
            return None
        found.sort(key=lambda r: RANK[r.level])
        return Risk(found[0].level, found[0].direction, "; ".join(r.message for r in found))

    return rule


def _data_classes(c: FieldChange) -> Risk | None:
    old = set(c.old) if isinstance(c.old, list) else set()
    new = set(c.new) if isinstance(c.new, list) else set()
    plus = sorted(new - old)
    if plus:
        level = "high" if any(is_sensitive(d) for d in plus) else "medium"
        return Risk(level, "widening", f"may now touch data classes: {', '.join(plus)}")
    minus = sorted(old - new)
    return Risk("low", "narrowing", f"no longer touches {', '.join(minus)}") if minus else None


def _item(what: str, added: str, removed: str) -> Callable[[FieldChange], Risk | None]:
    """An item of a list of maps appears or disappears (a gate, an approval rule, a case)."""

    def rule(c: FieldChange) -> Risk | None:
        if c.removed:
            d = "widening" if removed != "low" else "narrowing"
            return Risk(removed, d, f"{what} removed: {show(c.old)}")
        if c.added:
            d = "narrowing" if added == "low" else "neutral"
            return Risk(added, d, f"{what} added: {show(c.new)}")
        return None

    return rule


def _flag_off(what: str) -> Callable[[FieldChange], Risk | None]:
    def rule(c: FieldChange) -> Risk | None:
        if c.old is True and c.new in (False, MISSING):
            return Risk("high", "widening", f"{what}: true → false")
        if c.new is True:
            return Risk("low", "narrowing", f"{what}: false → true")
        return None

    return rule


def _changed(level: str, what: str) -> Callable[[FieldChange], Risk | None]:
    def rule(c: FieldChange) -> Risk | None:
        return Risk(level, "neutral", f"{what}: {show(c.old)} → {show(c.new)}")

    return rule


# (kind, key path pattern, rule): the first matching rule decides; unmatched changes are
# low and neutral. Patterns match `FieldChange.key` with list indexes as [N].
RULES: list[tuple[str, str, Callable[[FieldChange], Risk | None]]] = [
    ("Charter", r"spec\.budget\.per_(run|day)\.\w+", _limit("budget")),
    ("Charter", r"spec\.data_classes", _data_classes),
    ("Charter", r"spec\.gates\[\d+\]", _item("gate", "low", "high")),
    ("Charter", r"spec\.gates\[\d+\]\.min_pass_rate", _floor("gate min_pass_rate")),
    ("Charter", r"spec\.gates\[\d+\]\.max_\w+", _limit("gate threshold")),
    ("Charter", r"spec\.escalation", _set("escalation", "low", "high")),
    ("Charter", r"spec\.credential\.lifetime", _limit("credential lifetime")),
    ("Charter", r"spec\.credential", _item("credential", "low", "high")),
    ("Charter", r"spec\.paused", _flag_off("paused")),
    ("Charter", r"spec\.runtime(\..*)?", _changed("medium", "runtime")),
    ("Charter", r"spec\.review_by", _limit("permission review date", "medium")),
    ("Charter", r"spec\.tools", _changed("low", "grants")),  # judged on permissions
    ("Role", r"spec\.approves\.max_usd", _limit("approval limit")),
    ("Role", r"spec\.approves", _item("approval limit", "low", "high")),
    ("Role", r"spec\.members", _set("members", "medium", "low")),
    ("Role", r"spec\.reports_to", _changed("medium", "reports_to")),
    ("Policy", r"spec\.condition", _changed("medium", "condition")),
    ("Policy", r"spec\.key", _changed("medium", "key")),
    ("Policy", r"spec\.approvals\[\d+\]", _item("approval rule", "low", "high")),
    ("Policy", r"spec\.approvals\[\d+\]\.\w+", _changed("high", "approval rule")),
    ("Policy", r"spec\.bounds\.\w+", _limit("bound")),
    ("Policy", r"spec\.budget\.\w+", _limit("policy budget")),
    ("Policy", r"spec\.(for|cooldown)", _floor("hold/cooldown", "medium")),
    ("Policy", r"spec\.(actions|on)(\[.*|\..*)?", _changed("medium", "actions/events")),
    ("Contract", r"spec\.cost_ceiling\.\w+", _limit("cost ceiling")),
    ("Contract", r"spec\.sla\.latency", _limit("SLA latency")),
    ("Contract", r"spec\.sla\.(success_rate|field_coverage)", _floor("SLA")),
    ("Contract", r"spec\.on_breach\.escalate", _item("breach escalation", "low", "high")),
    ("Contract", r"spec\.scopes", _set("contract scopes", "high", "low")),
    ("Contract", r"spec\.valid\.until", _limit("validity", "medium")),
    ("EvalSuite", r"spec\.thresholds\.pass_rate", _floor("suite pass_rate")),
    ("EvalSuite", r"spec\.thresholds\.\w+", _limit("suite threshold")),
    ("EvalSuite", r"spec\.cases\[\d+\]", _item("case", "low", "medium")),
    ("Connector", r"spec\.rate_limit(\..*)?", _changed("medium", "rate limit")),
    ("Connector", r"spec\.transport(\..*)?", _changed("medium", "transport")),
]
_COMPILED = [(k, re.compile(p + r"\Z"), f) for k, p, f in RULES]


def _operation(c: FieldChange) -> Risk | None:
    """A connector's operation added, removed or made more destructive. The charters it
    reaches carry the higher risk (permission_risks); here, what the connector changed."""
    name = str(c.path[2])
    if c.added and isinstance(c.new, dict):
        what = f"{c.new.get('effect', 'read')}, scope {c.new.get('scope')}"
        level = "medium" if c.new.get("effect", "read") != "read" else "low"
        return Risk(level, "widening", f"operation added: {name} ({what})")
    if c.removed:
        return Risk("low", "narrowing", f"operation removed: {name}")
    if len(c.path) == 4 and c.path[3] == "effect":
        up = EFFECT_RANK.get(str(c.new), 0) > EFFECT_RANK.get(str(c.old), 0)
        level, d = ("medium", "widening") if up else ("low", "narrowing")
        return Risk(level, d, f"operation {name}: effect {show(c.old)} → {show(c.new)}")
    if len(c.path) == 4 and c.path[3] == "scope":
        return Risk("medium", "neutral", f"operation {name} moved to scope {show(c.new)}")
    return None


def classify(kind: str, change: FieldChange) -> Risk:
    key = change.key
    if kind == "Connector" and key.startswith("spec.operations.") and len(change.path) >= 3:
        found = _operation(change)
        if found is not None:
            return Risk(found.level, found.direction, found.message, change.path)
    for k, pattern, rule in _COMPILED:
        if k == kind and pattern.match(key):
            found = rule(change)
            if found is not None:
                return Risk(found.level, found.direction, found.message, change.path)
            break
    return Risk("low", "neutral", f"{key}: {show(change.old)} → {show(change.new)}", change.path)


def permission_risks(old: dict[str, Permission], new: dict[str, Permission]) -> list[Risk]:
    """What a charter gains or loses in effective permissions (whatever file changed)."""
    out: list[Risk] = []
    for name, p in new.items():
        before = old.get(name)
        via = ", ".join(p.grants)
        if before is None:
            level = "high" if p.writes else "medium"
            classes = f" [{', '.join(p.data_classes)}]" if p.data_classes else ""
            out.append(
                Risk(level, "widening", f"can now reach {p.effect} {name}{classes} via {via}")
            )
        elif EFFECT_RANK[p.effect] > EFFECT_RANK[before.effect]:
            out.append(Risk("high", "widening", f"{name} is now {p.effect} (was {before.effect})"))
        elif set(p.data_classes) - set(before.data_classes):
            plus = sorted(set(p.data_classes) - set(before.data_classes))
            level = "high" if any(is_sensitive(d) for d in plus) else "medium"
            out.append(Risk(level, "widening", f"{name} now touches {', '.join(plus)}"))
    for name in sorted(set(old) - set(new)):
        out.append(Risk("low", "narrowing", f"can no longer reach {name}"))
    return out
