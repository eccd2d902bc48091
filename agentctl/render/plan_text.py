"""`agentctl plan` as text: the verdict first, deletions first, Terraform's symbols."""

from __future__ import annotations

from typing import Any

from agentctl.deploy.plan import Change, Plan
from agentctl.diff import short_version
from agentctl.render.ansi import style

# the risk badges, colours, change marks and wrapping are diff's (one look for both)
from agentctl.render.diff_text import BADGE, COLOR, MARK, _wrap, field_lines

SYMBOL = {"create": "+", "update": "~", "delete": "-"}


def _v(version: str | None) -> str:
    return short_version(version) if version else "none"


def _change(c: Change, color: bool) -> list[str]:
    badge = style(f"[{BADGE[c.level]}]", COLOR[c.level], color)
    lines = [f"{SYMBOL[c.action]} {c.ref}  {badge}  {c.action}"]
    if c.file:
        lines.append(f"    {c.file}")
    for r in c.risks:
        if r.direction == "neutral" and c.fields:
            continue  # said by the field changes below
        lines.extend(_wrap(f"{MARK[r.direction]} {r.message}", "    "))
    lines.extend(field_lines(c.fields))
    lines.append(f"    version: {_v(c.old_version)} → {_v(c.new_version)}")
    if c.gates:
        lines.extend(_wrap("gates: " + ", ".join(c.gates), "    "))
    if c.approver:
        lines.append(f"    approval: {c.approver}")
    return lines


def _source(plan: Plan) -> str:
    what = f"revision {plan.rev}" if plan.rev else "the working copy"
    if plan.commit:
        what += f" ({plan.commit[:12]})"
    return what


def render(plan: Plan, *, color: bool = False, summary: bool = False, **_: Any) -> str:
    after = f", after {plan.after}" if plan.after else ""
    applied = (
        f"deployment {plan.deployment} (ledger seq {plan.position.seq})"
        if plan.deployment
        else "nothing yet"
    )
    lines = [
        plan.verdict(),
        f"Environment {plan.env}{after}: {_source(plan)}",
        f"  against what is applied: {applied}.",
    ]
    for note in plan.notes:
        lines.extend(_wrap(f"note: {note}", ""))
    if summary:
        lines.append("")
        lines.extend(f"  {SYMBOL[c.action]} {c.ref}  [{BADGE[c.level]}]" for c in plan.changes)
    else:
        for c in plan.changes:
            lines.append("")
            lines.extend(_change(c, color))
    if plan.gates:
        lines.append("")
        lines.append("Gates:")
        for g in plan.gates:
            of = f" for {g.charter}" if g.charter else ""
            lines.append(f"  {g.name}{of}")
    if plan.needs:
        lines.append("")
        lines.append("Approvals required:")
        for n in plan.needs:
            lines.extend(_wrap(f"{n.role} for {n.ref} ({n.subject.rpartition(': ')[2]})", "  "))
    return "\n".join(lines) + "\n"
