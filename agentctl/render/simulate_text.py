"""Human output of `agentctl simulate`: a timeline, a table per policy, expectations, flips.

Every line fits 80 columns; colour only when asked for (the CLI decides).
"""

from __future__ import annotations

import textwrap
from decimal import Decimal
from typing import TYPE_CHECKING

from agentctl.model.types import format_usd
from agentctl.render.ansi import style
from agentctl.render.text import render_findings

if TYPE_CHECKING:
    from agentctl.engine.core import Decision
    from agentctl.simulate.compare import CompareRun, Flip
    from agentctl.simulate.report import PolicySummary, SimRun, TimelineEntry
    from agentctl.simulate.runner import Simulation

WIDTH = 80
OUTCOME_COLOR = {
    "fired": "green",
    "needs_approval": "yellow",
    "escalated": "red",
    "suppressed": "dim",
    "error": "red",
}


def when(ts: float | None) -> str:
    from agentctl.engine.events import format_ts

    return "-" if ts is None else format_ts(ts)[:16].replace("T", " ")


def usd(d: Decimal | None) -> str:
    return "-" if d is None else format_usd(d)


def fit(text: str, width: int = WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def wrap(text: str, first: str, indent: int) -> list[str]:
    """`first` + text, continued on lines indented by `indent`, all within WIDTH."""
    return textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=" " * indent) or [
        first
    ]


def rev_label(rev: str | None, commit: str | None) -> str:
    if rev is None:
        return "working tree"
    return f"{rev} ({commit[:7]})" if commit and commit[:7] != rev[:7] else rev


def detail(d: Decision) -> str:
    if d.outcome in ("fired", "needs_approval", "escalated"):
        return f"{usd(d.cost_usd)}  {d.reason}"
    return d.reason


def keyed(d: Decision, text: str) -> str:
    """The decision's text behind its key, for a policy judged per key."""
    return text if d.key is None else f"[{d.key}] {text}"


def _entry(e: TimelineEntry, color: bool) -> list[str]:
    d = e.decision
    label = d.outcome if d.outcome != "needs_approval" else "approval"
    head = f"  {when(d.ts)[5:]}  {d.policy[:16]:<16} "
    text = detail(d)
    if e.count > 1:
        text = f"x{e.count} until {when(e.last_ts)[5:]}: {text}"
    text = keyed(d, text)
    indent = len(head) + 11
    lines = textwrap.wrap(text, WIDTH - indent) or [""]
    first = head + style(f"{label:<10}", OUTCOME_COLOR[d.outcome], color) + " " + lines[0]
    return [first] + [" " * indent + rest for rest in lines[1:]]


def _table(policies: list[PolicySummary]) -> list[str]:
    lines = [
        f"  {'policy':<18} {'fired':>5} {'appr':>5} {'esc':>4} {'cd/bd/bg':>10} {'err':>4}"
        f" {'spend':>11} {'peak/day':>10}",
    ]
    for p in policies:
        s = p.suppressed
        supp = f"{s['cooldown']}/{s['bound']}/{s['budget']}"
        c = p.counts
        lines.append(
            f"  {p.name[:18]:<18} {c['fired']:>5} {c['needs_approval']:>5} {c['escalated']:>4}"
            f" {supp:>10} {c['error']:>4} {usd(p.spend):>11} {usd(p.peak_day_spend):>10}"
        )
    for p in policies:
        notes = []
        if p.approvers:
            notes.append(
                "approvals: " + ", ".join(f"{r} x{n}" for r, n in sorted(p.approvers.items()))
            )
        if p.per_day_usd is not None:
            over = " (over!)" if p.peak_day_spend > p.per_day_usd else ""
            notes.append(f"budget {usd(p.per_day_usd)}/day, peak {p.peak_day or '-'}{over}")
        if p.key is not None:
            evicted = f", {p.keys_evicted:,} evicted" if p.keys_evicted else ""
            notes.append(f"per key {p.key} (peak {p.keys_peak:,} keys tracked{evicted})")
        if p.suppressed["paused"]:
            notes.append(f"{p.suppressed['paused']} suppressed: the charter invoked is paused")
        if p.first_error:
            notes.append(f"first error {p.first_error}")
        for n in notes:
            lines.extend(wrap(n, f"    {p.name}: ", 6))
    return lines


def render_run(run: SimRun, *, color: bool = False, limit: int = 40) -> str:
    out = [
        style(fit(f"simulate {run.title} · {run.events_file}"), "bold", color),
        fit(
            f"  {run.events:,} events, {when(run.first_ts)} → {when(run.last_ts)} UTC"
            f" · {rev_label(run.rev, run.commit)}"
        ),
    ]
    if run.policies:
        totals = {k: sum(p.counts[k] for p in run.policies) for k in run.policies[0].counts}
        out.append(
            fit(
                f"  {run.decisions:,} decisions: {totals['fired']} fired, "
                f"{totals['needs_approval']} need approval, {totals['escalated']} escalated, "
                f"{totals['suppressed']} suppressed, {totals['error']} error"
                f"{'' if totals['error'] == 1 else 's'}"
            )
        )
    shown = run.timeline if limit <= 0 else run.timeline[:limit]
    out.append("")
    more = len(run.timeline) - len(shown) + run.timeline_dropped
    out.append(f"timeline ({len(shown)} of {len(shown) + more} entries)" if more else "timeline")
    for e in shown:
        out.extend(_entry(e, color))
    if not shown:
        out.append("  no decisions")
    if more:
        out.append(f"  … {more:,} more (--limit 0 shows all; --format json has every one)")
    out.append("")
    out.append("per policy (suppressed by cooldown/bound/budget)")
    out.extend(_table(run.policies))
    if run.unexpected_errors:
        out.append("")
        n = run.unexpected_errors
        out.extend(
            wrap(
                f"{n:,} decision(s) could not be made: the run fails (see 'first error' above;"
                " a scenario that expects errors says so with outcome: error)",
                "errors: ",
                2,
            )
        )
    out.extend(_expectations(run, color))
    if run.findings:
        out.append("")
        out.append(f"findings in the event stream ({len(run.findings) + run.findings_dropped})")
        out.append(render_findings(run.findings, color=color).rstrip("\n"))
        if run.findings_dropped:
            out.append(f"… and {run.findings_dropped} more")
    return "\n".join(out) + "\n"


def render(runs: list[SimRun], *, color: bool = False, limit: int = 40) -> str:
    body = "\n".join(render_run(r, color=color, limit=limit) for r in runs)
    if len(runs) > 1:
        failed = [r.title for r in runs if r.failed]
        tail = f"{len(runs)} scenarios: {len(runs) - len(failed)} passed, {len(failed)} failed"
        body += "\n" + fit(tail + (": " + ", ".join(failed) if failed else "")) + "\n"
    return body


def _flip_lines(f: Flip) -> list[str]:
    d = f.any
    kind = {"only_old": "only old", "only_new": "only new", "changed": "changed"}[f.kind]
    if f.kind == "changed" and f.old is not None and f.new is not None:
        what = f"{f.old.label} → {f.new.label}" if f.old.label != f.new.label else f.new.label
        was, now = keyed(f.old, detail(f.old)), keyed(f.new, detail(f.new))
        text = f"{what} ({', '.join(f.changes)}): was {was}; now {now}"
    else:
        text = keyed(d, f"{d.label}: {detail(d)}")
    return wrap(text, f"    {kind:<8}  {when(d.ts)[5:]}  ", 8)


def _expectations(run: SimRun, color: bool, title: str = "expectations") -> list[str]:
    if not run.checks:
        return []
    failed = run.failed_checks
    out = ["", f"{title}: {len(run.checks) - len(failed)} passed, {len(failed)} failed"]
    for c in run.checks:
        mark = style("PASS", "green", color) if c.passed else style("FAIL", "red", color)
        out.extend(wrap(c.expected(), f"  {mark} ", 7))
        if not c.passed:
            out.extend(wrap(c.got(), "       got: ", 12))
            if c.location is not None:
                out.append(fit(f"       at {c.location}"))
    return out


def render_compare_run(cmp: CompareRun, *, color: bool = False) -> str:
    t = cmp.totals()
    out = [
        style(fit(f"compare {cmp.title} · {cmp.events_file}"), "bold", color),
        fit(
            f"  {rev_label(cmp.base.rev, cmp.base.commit)} → "
            f"{rev_label(cmp.head.rev, cmp.head.commit)} · {cmp.head.events:,} events"
        ),
        fit(
            f"  {cmp.flips:,} decision flips: {t['only_old']} only in old, "
            f"{t['only_new']} only in new, {t['changed']} changed"
        ),
        "",
        f"  {'policy':<16} {'status':<8} {'old':>4} {'new':>4} {'chg':>4}"
        f" {'acted':>9} {'spend old → new':>21}",
    ]
    old = {p.name: p for p in cmp.base.policies}
    new = {p.name: p for p in cmp.head.policies}
    for p in cmp.policies:
        a, b = old.get(p.policy), new.get(p.policy)
        acted = f"{a.acted if a else '-'} → {b.acted if b else '-'}"
        spend = f"{usd(a.spend) if a else '-'} → {usd(b.spend) if b else '-'}"
        c = p.counts
        out.append(
            fit(
                f"  {p.policy[:16]:<16} {p.status:<8} {c['only_old']:>4} {c['only_new']:>4}"
                f" {c['changed']:>4} {acted:>9} {spend:>21}"
            )
        )
    examples = [p for p in cmp.policies if p.total]
    if examples:
        out.append("")
        out.append("first examples")
        for p in examples:
            out.append(f"  {p.policy}")
            if p.key_only:
                out.extend(
                    wrap(
                        f"({p.key_only:,} of the {p.counts['changed']:,} changed decisions "
                        "differ only in their key)",
                        "    ",
                        4,
                    )
                )
            for kind in ("only_old", "only_new", "changed"):
                for f in p.examples[kind]:
                    out.extend(_flip_lines(f))
    out.extend(
        _expectations(
            cmp.head, color, f"expectations at {rev_label(cmp.head.rev, cmp.head.commit)}"
        )
    )
    if cmp.findings:
        out.append("")
        out.append("findings in the event stream")
        out.append(render_findings(cmp.findings, color=color).rstrip("\n"))
    return "\n".join(out) + "\n"


def render_compare(runs: list[CompareRun], *, color: bool = False) -> str:
    return "\n".join(render_compare_run(r, color=color) for r in runs)


def render_simulation(sim: Simulation, *, color: bool = False, limit: int = 40) -> str:
    """The renderer the registry names: a simulation, or a comparison of two revisions."""
    if sim.comparisons is not None:
        return render_compare(sim.comparisons, color=color)
    return render(sim.runs, color=color, limit=limit)
