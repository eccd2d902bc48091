"""`agentctl pause|resume` and `agentctl status`: text for people, JSON in the envelope."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING, Any

from agentctl.render.envelope import envelope

if TYPE_CHECKING:
    from agentctl.deploy.pause import BrakeReport
    from agentctl.deploy.status import StatusReport


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(envelope(data), indent=2, ensure_ascii=False) + "\n"


def pause_text(r: BrakeReport, *, color: bool = False) -> str:
    lines = [r.headline()]
    y = r.yaml
    if y is not None:
        if not y.changed:
            lines.append(f"{y.file}: already says so, left as it was.")
        elif y.paused:
            lines.append(
                f"Wrote `paused: true` into {y.file}:{y.line} "
                "(commit it: the next deployment carries it)."
            )
        else:
            lines.append(f"Removed `paused` from {y.file}:{y.line} (commit it).")
    return "\n".join(_fit(line) for line in lines) + "\n"


def pause_json(r: BrakeReport, *, color: bool = False) -> str:
    return _dumps(r.to_dict())


def _days(n: int) -> str:
    if n < 0:
        return f"{-n} day{'s' if n != -1 else ''} ago"
    return "today" if n == 0 else f"in {n} day{'s' if n != 1 else ''}"


SHOWN = 20  # drift lines per environment in text; JSON has them all


def status_text(r: StatusReport, *, color: bool = False) -> str:
    out = [f"Status at {r.now}", "", "Environments"]
    for e in r.envs:
        dep = e.state.deployment
        if dep is None:
            out.append(f"  {e.name}: nothing deployed yet ({len(e.drift)} to deploy)")
            continue
        commit = f" from commit {dep.commit[:7]}" if dep.commit else ""
        out.append(f"  {e.name}: {dep.id}, {len(e.state.resources)} resources")
        out.append(f"    applied {dep.ts} by {dep.by}{commit}")
        if not e.drift:
            out.append("    no drift: the workspace is what is deployed")
        for d in e.drift[:SHOWN]:
            out.append(f"    {d.change:<17} {d.ref}")
        if len(e.drift) > SHOWN:
            out.append(f"    ... and {len(e.drift) - SHOWN} more (--format json lists them)")
    out += ["", "Paused"]
    for p in r.paused:
        out.append(f"  charter/{p.charter} in {p.env} since {p.since}")
        out.append(f"    by {p.by}: {p.reason}")
    for y in r.paused_in_yaml:
        out.append(f"  charter/{y['charter']}  spec.paused: true  {y['where']}")
    if not r.paused and not r.paused_in_yaml:
        out.append("  none")
    out += ["", "Credentials expiring within 14 days"]
    for c in r.credentials:
        verb = "expired" if c.days <= 0 else "expires"
        out.append(f"  charter/{c.charter} {verb} {c.date} ({_days(c.days)})  {c.where}")
    if not r.credentials:
        out.append("  none")
    out += ["", "Permission reviews due (review_by, within 14 days)"]
    for v in r.reviews:
        out.append(f"  charter/{v.charter} {v.date} ({_days(v.days)})  {v.where}")
    if not r.reviews:
        out.append("  none")
    out += ["", f"Grants unused for {r.window} (since {r.window_start})"]
    for u in r.unused:
        out.append(f"  charter/{u.charter} ({u.runs} run{'s' if u.runs != 1 else ''})")
        for g in u.grants:
            if g.removable:
                out.append(f"    remove {g.grant}  {g.where}")
                out.append(f"      never called: {', '.join(g.unused)}")
            else:
                out.append(f"    narrow {g.grant}  {g.where}")
                out.append(f"      never called: {', '.join(g.unused)}")
    if not r.unused:
        out.append("  none: every granted operation was called")
    if r.evidence_short:
        since = r.evidence_since or "nowhere (no events)"
        out.append(f"  note: the ledger starts at {since}: less than {r.window} of evidence")
    return "\n".join(_fit(line) for line in out) + "\n"


def _fit(line: str, width: int = 80) -> str:
    """A line wrapped to `width`, continued deeper than it starts (2 spaces for a sentence
    at the margin, 4 for an indented entry)."""
    if len(line) <= width:
        return line
    base = len(line) - len(line.lstrip(" "))
    indent = " " * (base + (4 if base else 2))
    return "\n".join(textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False))


def status_json(r: StatusReport, *, color: bool = False) -> str:
    return _dumps(r.to_dict())
