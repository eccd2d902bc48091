"""`agentctl simulate --format markdown`: a job summary or a pull-request comment.

GitHub refuses comments over 65,536 characters, so the examples are capped per policy
and the whole text is cut (with a note) well before that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentctl.render.markdown import _cell
from agentctl.render.simulate_text import detail, rev_label, usd, when

if TYPE_CHECKING:
    from agentctl.simulate.compare import CompareRun, Flip
    from agentctl.simulate.report import SimRun
    from agentctl.simulate.runner import Simulation

MAX_CHARS = 60_000
TIMELINE_ROWS = 20
ICON = {"fired": "🟢", "needs_approval": "🟡", "escalated": "🔴", "suppressed": "⚪", "error": "❌"}


def _cap(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    cut = text.rfind("\n", 0, MAX_CHARS)
    return text[:cut] + "\n\n_… cut to fit a comment; `--format json` has everything._\n"


def _run(run: SimRun) -> str:
    status = "❌ failed" if run.failed else "✅ passed"
    out = [
        f"### agentctl simulate: `{run.title}` {status}",
        "",
        f"{run.events:,} events from `{run.events_file}`, {when(run.first_ts)} → "
        f"{when(run.last_ts)} UTC, workspace at {rev_label(run.rev, run.commit)}.",
        "",
        "| Policy | Fired | Approval | Escalated | Suppressed (cd/bd/bg) | Errors | Spend | "
        "Peak day |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for p in run.policies:
        c, s = p.counts, p.suppressed
        out.append(
            f"| `{p.name}` | {c['fired']} | {c['needs_approval']} | {c['escalated']} | "
            f"{s['cooldown']}/{s['bound']}/{s['budget']} | {c['error']} | {usd(p.spend)} | "
            f"{usd(p.peak_day_spend)} |"
        )
    if run.checks:
        failed = run.failed_checks
        out += [
            "",
            f"**Expectations:** {len(run.checks) - len(failed)} passed, {len(failed)} failed",
        ]
        for check in failed:
            out.append(f"- ❌ {_cell(check.expected())} — got: {_cell(check.got())}")
    if run.unexpected_errors:
        out.append(f"\n**Errors:** {run.unexpected_errors:,} decision(s) could not be made.")
    for p in run.policies:
        if p.suppressed["paused"]:
            out.append(
                f"\n`{p.name}`: {p.suppressed['paused']:,} suppressed: the charter it "
                "invokes is paused."
            )
        if p.key is not None:
            evicted = f", {p.keys_evicted:,} evicted" if p.keys_evicted else ""
            out.append(
                f"\n`{p.name}` is judged per key `{_cell(p.key)}` "
                f"(peak {p.keys_peak:,} keys tracked{evicted})."
            )
    if run.timeline:
        shown = run.timeline[:TIMELINE_ROWS]
        with_key = any(e.decision.key is not None for e in shown)
        head = "| Time | Policy | Key | Decision |" if with_key else "| Time | Policy | Decision |"
        out += ["", "<details><summary>Timeline</summary>", "", head]
        out.append("|---|---|---|---|" if with_key else "|---|---|---|")
        for e in shown:
            d = e.decision
            rep = f" ×{e.count}" if e.count > 1 else ""
            key = f" {_key(d.key)} |" if with_key else ""
            out.append(
                f"| {when(d.ts)} | `{d.policy}` |{key} {ICON[d.outcome]} {d.label}{rep}: "
                f"{_cell(detail(d))} |"
            )
        more = len(run.timeline) - len(shown) + run.timeline_dropped
        if more:
            out.append(f"\n_… {more} more entries._")
        out += ["", "</details>"]
    if run.findings:
        out += ["", f"**{len(run.findings) + run.findings_dropped} findings in the event stream**"]
        for f in run.findings[:10]:
            out.append(f"- `{f.location}` {_cell(f.message)}")
    return "\n".join(out) + "\n"


def render(runs: list[SimRun], *, color: bool = False, limit: int = 0) -> str:
    return _cap("\n".join(_run(r) for r in runs))


def _key(key: str | None) -> str:
    return "-" if key is None else f"`{_cell(key).replace('`', '')}`"


def _flip(f: Flip, with_key: bool) -> str:
    d = f.any
    if f.kind == "changed" and f.old is not None and f.new is not None:
        what = f"{f.old.label} → {f.new.label} ({', '.join(f.changes)})"
        text = f"{_cell(detail(f.old))} → {_cell(detail(f.new))}"
        keys = (
            _key(f.old.key) if f.old.key == f.new.key else f"{_key(f.old.key)} → {_key(f.new.key)}"
        )
    else:
        what, text, keys = d.label, _cell(detail(d)), _key(d.key)
    kind = {"only_old": "only old", "only_new": "only new", "changed": "changed"}[f.kind]
    key = f" {keys} |" if with_key else ""
    return f"| {kind} | {when(d.ts)} |{key} {what} | {text} |"


def _compare(cmp: CompareRun) -> str:
    t = cmp.totals()
    icon = "⚠️" if cmp.flips else "✅"
    out = [
        f"### agentctl simulate --compare: `{cmp.title}` {icon} {cmp.flips} decision flips",
        "",
        f"{cmp.head.events:,} events from `{cmp.events_file}` through "
        f"**{rev_label(cmp.base.rev, cmp.base.commit)}** (old) and "
        f"**{rev_label(cmp.head.rev, cmp.head.commit)}** (new): {t['only_old']} only in old, "
        f"{t['only_new']} only in new, {t['changed']} changed.",
        "",
        "| Policy | Status | Only old | Only new | Changed | Acted old → new | Spend old → new |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    old = {p.name: p for p in cmp.base.policies}
    new = {p.name: p for p in cmp.head.policies}
    for p in cmp.policies:
        a, b = old.get(p.policy), new.get(p.policy)
        c = p.counts
        out.append(
            f"| `{p.policy}` | {p.status} | {c['only_old']} | {c['only_new']} | {c['changed']} | "
            f"{a.acted if a else '-'} → {b.acted if b else '-'} | "
            f"{usd(a.spend) if a else '-'} → {usd(b.spend) if b else '-'} |"
        )
    for p in cmp.policies:
        if not p.total:
            continue
        flips = [f for kind in ("only_old", "only_new", "changed") for f in p.examples[kind]]
        with_key = any(x is not None and x.key is not None for f in flips for x in (f.old, f.new))
        out += ["", f"<details><summary><code>{p.policy}</code>: first examples</summary>", ""]
        if p.key_only:
            out += [
                f"{p.key_only:,} of the {p.counts['changed']:,} changed decisions differ only "
                "in their key.",
                "",
            ]
        if with_key:
            out += ["| Flip | Time | Key | Decision | Detail |", "|---|---|---|---|---|"]
        else:
            out += ["| Flip | Time | Decision | Detail |", "|---|---|---|---|"]
        out.extend(_flip(f, with_key) for f in flips)
        out += ["", "</details>"]
    failed = cmp.head.failed_checks
    if cmp.head.checks:
        n = len(cmp.head.checks)
        out += [
            "",
            f"**Expectations at the new revision: {n - len(failed)} passed, "
            f"{len(failed)} failed**" + (" ❌" if failed else ""),
        ]
        out += [f"- `{c.policy}`: expected {c.expected()}; got {c.got()}" for c in failed]
    return "\n".join(out) + "\n"


def render_compare(runs: list[CompareRun], *, color: bool = False) -> str:
    return _cap("\n".join(_compare(r) for r in runs))


def render_simulation(sim: Simulation, *, color: bool = False, limit: int = 0) -> str:
    """The renderer the registry names: a simulation, or a comparison of two revisions."""
    if sim.comparisons is not None:
        return render_compare(sim.comparisons, color=color)
    return render(sim.runs, color=color, limit=limit)
