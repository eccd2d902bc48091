"""What a workspace holds: per kind, each resource's name, owner, place and key fact.

`build` turns a Workspace into an Inventory (pure); `render_text` lays it out in 80
columns; `render_json` gives the same with structured details for machines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from agentctl.model.index import Resource, Workspace
from agentctl.model.kinds import REGISTRY, RESOURCE_KINDS
from agentctl.model.kinds import kind_named as parse_kind
from agentctl.model.types import format_duration, format_usd
from agentctl.render.ansi import style
from agentctl.render.envelope import envelope

WIDTH = 80
ORDER = RESOURCE_KINDS  # settings (agentctl.yaml) are not a resource
PLURAL = {k: REGISTRY[k].plural_name for k in ORDER}


def kind_named(text: str) -> str | None:
    """`charter`, `Charters`, `suites` → the resource kind; None when nothing matches."""
    return parse_kind(text, ORDER)


@dataclass(frozen=True)
class Entry:
    kind: str
    name: str
    owner: str | None
    file: str
    line: int
    fact: str  # one line for people
    details: dict[str, Any]  # the same, structured, for machines

    @property
    def ref(self) -> str:
        return f"{self.kind.lower()}/{self.name}"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Inventory:
    name: str | None
    rev: str | None
    commit: str | None
    entries: dict[str, list[Entry]] = field(default_factory=dict)  # kind → by name
    load_errors: int = 0
    kinds: list[str] = field(default_factory=lambda: list(ORDER))  # what was asked for

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.entries.values())

    @property
    def files(self) -> int:
        return len({e.file for v in self.entries.values() for e in v})


def build(
    ws: Workspace,
    *,
    kinds: list[str] | None = None,
    load_errors: int = 0,
) -> Inventory:
    """The resources of `kinds` (default: all), sorted by name within each kind."""
    wanted = kinds or list(ORDER)
    inv = Inventory(ws.name, ws.rev, ws.commit, load_errors=load_errors, kinds=wanted)
    for kind in wanted:
        table = ws.by_kind.get(kind, {})
        rows = [_entry(table[n], ws) for n in sorted(table)]
        if rows:
            inv.entries[kind] = rows
    return inv


# --- facts ---------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


usd = format_usd


def _name(ref: str) -> str:
    return ref.split("/", 1)[1] if "/" in ref else ref


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, timedelta):
        return format_duration(value)
    return value


def _entry(res: Resource[Any], ws: Workspace) -> Entry:
    fact, details = FACTS[res.kind](res, ws)
    loc = res.location()
    return Entry(res.kind, res.name, res.doc.metadata.owner, res.file, loc.line, fact, details)


def _role(res: Resource[Any], ws: Workspace) -> tuple[str, dict[str, Any]]:
    spec = res.doc.spec
    parts = []
    max_usd = spec.approves.max_usd if spec.approves else None
    parts.append(f"approves {usd(max_usd)}" if max_usd is not None else "approves nothing")
    if spec.reports_to:
        parts.append(f"reports to {_name(spec.reports_to)}")
    parts.append(_plural(len(spec.members), "member"))
    details = {
        "approves_max_usd": _jsonable(max_usd),
        "reports_to": spec.reports_to,
        "members": len(spec.members),
    }
    return " · ".join(parts), details


def _connector(res: Resource[Any], ws: Workspace) -> tuple[str, dict[str, Any]]:
    spec = res.doc.spec
    ops = spec.operations
    effects = [op.effect for op in ops.values()]
    risky = [f"{effects.count(e)} {e}" for e in ("write", "destructive") if e in effects]
    fact = f"{spec.transport.type} · {_plural(len(ops), 'operation')}"
    if risky:
        fact += f" ({', '.join(risky)})"
    details = {
        "transport": spec.transport.type,
        "operations": [
            {
                "name": name,
                "scope": op.scope,
                "effect": op.effect,
                "data_classes": list(op.data_classes),
                "cost_usd": _jsonable(op.cost_usd),
            }
            for name, op in ops.items()
        ],
    }
    return fact, details


def _charter(res: Resource[Any], ws: Workspace) -> tuple[str, dict[str, Any]]:
    spec = res.doc.spec
    per_run = spec.budget.per_run
    budget = f"{usd(per_run.usd)}/run" if per_run.usd is not None else "no USD limit per run"
    parts = [spec.runtime.type, _plural(len(spec.tools), "scope"), budget]
    if spec.paused:
        parts.append("PAUSED")
    limits = {
        k: _jsonable(getattr(per_run, k))
        for k in ("usd", "tokens", "steps", "tool_calls", "wall_time")
        if getattr(per_run, k) is not None
    }
    details = {
        "runtime": spec.runtime.type,
        "scopes": list(spec.tools),
        "data_classes": list(spec.data_classes),
        "budget_per_run": limits,
        "gates": [g.suite for g in spec.gates],
        "paused": spec.paused,
    }
    return " · ".join(parts), details


def _policy(res: Resource[Any], ws: Workspace) -> tuple[str, dict[str, Any]]:
    spec = res.doc.spec
    events = list(spec.on)
    shown = ", ".join(events[:2]) + (f" +{len(events) - 2}" if len(events) > 2 else "")
    fact = f"on {shown}"
    fact += f" · for {format_duration(spec.for_)}" if spec.for_ is not None else " · at once"
    if spec.key is not None:
        fact += " · per key"
    details = {
        "on": events,
        "key": spec.key,
        "for": _jsonable(spec.for_),
        "cooldown": _jsonable(spec.cooldown),
        "actions": [
            {"type": a.type, "target": a.invoke or a.escalate or (a.incident and a.incident.title)}
            for a in spec.actions
        ],
        "approvals": len(spec.approvals),
    }
    return fact, details


def _contract(res: Resource[Any], ws: Workspace) -> tuple[str, dict[str, Any]]:
    spec = res.doc.spec
    fact = f"{_name(spec.consumer)} → {_name(spec.provider)}"
    details = {
        "consumer": spec.consumer,
        "provider": spec.provider,
        "scopes": list(spec.scopes),
        "valid": (
            {"from": spec.valid.from_.isoformat(), "until": spec.valid.until.isoformat()}
            if spec.valid
            else None
        ),
    }
    return fact, details


def _suite(res: Resource[Any], ws: Workspace) -> tuple[str, dict[str, Any]]:
    spec = res.doc.spec
    inline = len(spec.cases)
    # the loader parses the cases file; a missing one is lint's file-missing finding
    from_file = ws.file_cases.get(res.ref) if spec.cases_file else []
    if from_file is None:
        cases = None
        count = f"{_plural(inline, 'case')} + missing {spec.cases_file}"
    else:
        cases = inline + len(from_file)
        count = _plural(cases, "case")
    details = {
        "charter": spec.charter,
        "cases": cases,
        "cases_inline": inline,
        "cases_file": spec.cases_file,
    }
    return f"{_name(spec.charter)} · {count}", details


def _scenario(res: Resource[Any], ws: Workspace) -> tuple[str, dict[str, Any]]:
    spec = res.doc.spec
    policies = "all policies" if not spec.policies else _plural(len(spec.policies), "policy")
    policies = policies.replace("policys", "policies")
    fact = f"{spec.events} · {policies} · {_plural(len(spec.expect), 'expectation')}"
    details = {"events": spec.events, "policies": list(spec.policies), "expect": len(spec.expect)}
    return fact, details


FACTS = {
    "Role": _role,
    "Connector": _connector,
    "Charter": _charter,
    "Policy": _policy,
    "Contract": _contract,
    "EvalSuite": _suite,
    "Scenario": _scenario,
}


# --- text ----------------------------------------------------------------------------


def _clip(text: str, width: int, *, left: bool = False) -> str:
    """Cut to `width` columns with an ellipsis; file paths lose their start, not their end."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    return "…" + text[-(width - 1) :] if left else text[: width - 1] + "…"


@dataclass(frozen=True)
class _Widths:
    name: int
    owner: int
    where: int
    fact: int

    @property
    def one_line(self) -> bool:
        return 2 + self.name + 2 + self.owner + 2 + self.where + 2 + self.fact <= WIDTH


def _owner(e: Entry) -> str:
    return _name(e.owner) if e.owner else "-"


def _widths(rows: list[Entry]) -> _Widths:
    return _Widths(
        name=min(max(4, *(len(e.name) for e in rows)), 32),
        owner=min(max(5, *(len(_owner(e)) for e in rows)), 24),
        where=max(9, *(len(e.where) for e in rows)),
        fact=max(4, *(len(e.fact) for e in rows)),
    )


def _table(rows: list[Entry], w: _Widths, one_line: bool, color: bool) -> list[str]:
    """One line a resource when every table fits 80 columns so; else the fact goes below."""
    where_w = min(w.where, WIDTH - (2 + w.name + 2 + w.owner + 2))
    head = f"  {'NAME':<{w.name}}  {'OWNER':<{w.owner}}  {'FILE:LINE':<{where_w}}"
    head += "  FACT" if one_line else ""
    lines = [style(head.rstrip(), "dim", color)]
    for e in rows:
        name = style(f"{_clip(e.name, w.name):<{w.name}}", "bold", color)
        where = _clip(e.where, where_w, left=True)
        line = f"  {name}  {_clip(_owner(e), w.owner):<{w.owner}}  "
        if one_line:
            lines.append(f"{line}{where:<{where_w}}  {e.fact}")
        else:
            lines.append((line + where).rstrip())
            lines.append("    " + style(_clip(e.fact, WIDTH - 4), "cyan", color))
    return lines


def render_text(inv: Inventory, *, color: bool = False) -> str:
    title = f"Workspace {inv.name}" if inv.name else "Workspace"
    if inv.rev:
        title += f" at {inv.rev}"
    out = [
        style(title, "bold", color)
        + f": {_plural(inv.total, 'resource')} in {_plural(inv.files, 'file')}"
    ]
    tables = [(k, inv.entries[k], _widths(inv.entries[k])) for k in ORDER if k in inv.entries]
    one_line = all(w.one_line for _, _, w in tables)  # one layout for the whole listing
    for kind, rows, w in tables:
        out.append("")
        out.append(style(f"{PLURAL[kind]} ({len(rows)})", "bold", color))
        out.extend(_table(rows, w, one_line, color))
    if not inv.entries:
        asked = inv.kinds if inv.kinds != ORDER else []
        what = " or ".join(PLURAL[k] for k in asked) if asked else "resources"
        out.append(f"No {what}.")
    return "\n".join(out) + "\n"


# --- json ----------------------------------------------------------------------------


def inventory_data(inv: Inventory) -> dict[str, Any]:
    return envelope(
        {
            "workspace": inv.name,
            "rev": inv.rev,
            "commit": inv.commit,
            "summary": {
                "resources": {k: len(v) for k, v in inv.entries.items()},
                "files": inv.files,
                "load_errors": inv.load_errors,
            },
            "resources": [
                {
                    "kind": e.kind,
                    "name": e.name,
                    "ref": e.ref,
                    "owner": e.owner,
                    "file": e.file,
                    "line": e.line,
                    "fact": e.fact,
                    "details": e.details,
                }
                for kind in ORDER
                for e in inv.entries.get(kind, [])
            ],
        }
    )


def render_json(inv: Inventory, *, color: bool = False) -> str:
    return json.dumps(inventory_data(inv), indent=2, ensure_ascii=False) + "\n"
