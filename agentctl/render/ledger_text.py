"""Text renderings of ledger results: pure functions of values, 80 columns wide."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentctl.ledger import clock
from agentctl.ledger.erasure import EraseResult
from agentctl.ledger.stats import Report
from agentctl.ledger.verify import VerifyReport
from agentctl.model.types import format_usd

WIDTH = 80


def _fit(line: str, width: int = WIDTH) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"


def verify_text(rep: VerifyReport) -> str:
    """Paths are never cut (they are what you act on); messages wrap at 80 columns."""
    import textwrap

    lines = [f"ledger {rep.path}"]
    if rep.ok:
        if rep.events:
            lines.append(
                f"{rep.events} events, chain intact "
                f"(last seq {rep.last_seq}, {rep.last_hash[:12]}…)"
            )
        else:
            lines.append("0 events, nothing to verify")
        if rep.checkpoint is not None:
            cp = rep.checkpoint
            lines.append(
                f"checkpoint: the first {cp['tree_size']} events match its root "
                f"{str(cp['root_hash'])[:12]}…"
            )
    else:
        n = len(rep.problems)
        lines.append(f"{rep.events} events, {n} problem{'s' if n != 1 else ''}")
        for p in rep.problems:
            lines.extend(
                textwrap.wrap(
                    f"{p.code}: {p.message}", WIDTH, initial_indent="  ", subsequent_indent="    "
                )
            )
    for w in rep.warnings:
        lines.extend(
            textwrap.wrap(f"warning: {w}", WIDTH, initial_indent="  ", subsequent_indent="    ")
        )
    return "\n".join(lines) + "\n"


def _money(x: float | None) -> str:
    """A mean cost: four decimals are enough to compare versions."""
    return "-" if x is None else format_usd(x, places=4)


def _ms(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x / 1000:.1f}s" if x >= 10_000 else f"{x:.0f}ms"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.0f}%"


def _signed(x: float | None, fmt: str) -> str:
    if x is None:
        return ""
    return ("+" if x >= 0 else "-") + format(abs(x), fmt)


def events_table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "no matching events\n"
    lines = [f"{'SEQ':>6} {'TIME (UTC)':<19} {'KIND':<13} {'STATUS':<7} AGENT: OPERATION"]
    overrides = 0
    for r in rows:
        what = f"{r['principal'] or '(system)'}: {r['operation'] or '-'}"
        line = (
            f"{r['seq']:>6} {r['ts'][:19].replace('T', ' '):<19} {_cut(r['kind'], 13):<13} "
            f"{_cut(r['status'], 7):<7} {what}"
        )
        if clock.overridden(r["attrs"]) is not None:
            overrides += 1
            line = _fit(line, WIDTH - 2) + " *"
        lines.append(_fit(line))
    if overrides:
        lines.append(
            f"* {overrides} written under a clock override (run --now/--today): not real times"
        )
    return "\n".join(lines) + "\n"


def _cut(s: str, w: int) -> str:
    return s if len(s) <= w else s[: w - 1] + "…"


def agents_table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "no matching events\n"
    lines = [f"{'AGENT':<32} {'EVENTS':>7}  {'FIRST (UTC)':<16}  {'LAST (UTC)':<16}"]
    for r in rows:
        lines.append(
            _fit(
                f"{r['agent'][:32]:<32} {r['events']:>7}  "
                f"{r['first'][:16].replace('T', ' '):<16}  {r['last'][:16].replace('T', ' '):<16}"
            )
        )
    return "\n".join(lines) + "\n"


def _node_label(evs: list[dict[str, Any]]) -> str:
    first, last = evs[0], evs[-1]
    kind = first["kind"]
    if kind == "run_start":
        label = f"run {first['principal']}"
        latency = last["latency_ms"] if last["kind"] == "run_end" else None
    else:
        label = f"{kind} {first['operation'] or ''}".rstrip()
        latency = first["latency_ms"]
    parts = [label, last["status"]]
    if latency:
        parts.append(_ms(latency))
    cost = sum(e["cost_usd"] for e in evs)
    if cost:
        parts.append(format_usd(cost))
    tokens = sum(e["tokens"] for e in evs)
    if tokens:
        parts.append(f"{tokens} tok")
    classes = sorted({c for e in evs for c in e["data_classes"]})
    if classes:
        parts.append("[" + ", ".join(classes) + "]")
    reason = last["attrs"].get("reason")
    if reason:
        parts.append(f"({reason})")
    return "  ".join(parts)


def trace_tree(trace_id: str, events: Sequence[dict[str, Any]]) -> str:
    """One trace as a tree of spans; events sharing a span id (run start/end) are one node."""
    spans: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        spans.setdefault(e["span_id"], []).append(e)
    children: dict[str | None, list[str]] = {}
    for sid, evs in spans.items():
        parent = evs[0]["parent_span_id"]
        if parent not in spans:
            parent = None
        children.setdefault(parent, []).append(sid)
    agents = sorted({e["principal"] for e in events if e["principal"]})
    start, end = events[0]["ts"], events[-1]["ts"]
    lines = [
        f"trace {trace_id}",
        f"agents: {', '.join(agents) or '-'}   {start[:19].replace('T', ' ')} .. "
        f"{end[11:19]} UTC   {len(events)} events",
    ]
    override = next((n for e in events if (n := clock.note(e["attrs"]))), None)
    if override:  # the times above are not real times
        lines.append(_fit(override))

    def walk(sid: str, prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        lines.append(_fit(prefix + branch + _node_label(spans[sid])))
        kids = children.get(sid, [])
        inner = prefix + ("" if top else ("   " if last else "│  "))
        for i, k in enumerate(kids):
            walk(k, inner, i == len(kids) - 1, False)

    roots = children.get(None, [])
    for r in roots:
        walk(r, "", True, True)
    return "\n".join(lines) + "\n"


def report_text(rep: Report) -> str:
    if not rep.charters:
        return "no agent activity in the ledger for this period\n"
    lines: list[str] = []
    window = f"{rep.since or 'the beginning'} .. {rep.until or 'now'}"
    lines.append(_fit(f"ledger report, {window}"))
    head = (
        f"  {'VERSION':<14}{'RUNS':>5} {'OK':>5} {'COST/ACT':>10} {'P50':>7} {'P95':>7} "
        f"{'DENY':>5} {'ESC':>4} {'SLA':>4}"
    )
    for name, versions in rep.charters.items():
        lines.append("")
        lines.append(_fit(f"charter/{name}"))
        lines.append(head)
        for v in versions:
            version = (v.version or "(unknown)").removeprefix("sha256:")[:12]
            lines.append(
                _fit(
                    f"  {version:<14}{v.runs:>5} {_pct(v.success_rate):>5} "
                    f"{_money(v.cost_per_action):>10} {_ms(v.p50_ms):>7} {_ms(v.p95_ms):>7} "
                    f"{v.denials:>5} {v.escalations:>4} {sum(v.sla_misses.values()):>4}"
                )
            )
            d = v.delta
            if d:
                bits = []
                if d["success_rate"] is not None:
                    bits.append(f"ok {_signed(d['success_rate'] * 100, '.0f')}pt")
                if d["cost_per_action"] is not None:
                    bits.append(f"cost/act {_signed(d['cost_per_action'], '.4f')}")
                if d["latency_p95_ms"] is not None:
                    bits.append(f"p95 {_signed(d['latency_p95_ms'], '.0f')}ms")
                if d["denials_per_run"] is not None:
                    bits.append(f"denials/run {_signed(d['denials_per_run'], '.2f')}")
                if bits:
                    lines.append(_fit("    vs previous: " + ", ".join(bits)))
    if rep.contracts:
        lines.append("")
        # misses count against the provider (the charter that answered)
        lines.append(f"  {'CONTRACT':<28}{'PROVIDER':<26}{'REQUESTS':>10}{'SLA MISSES':>12}")
        for c in rep.contracts:
            lines.append(
                _fit(
                    f"  {c.contract[:27]:<28}{c.provider[:25]:<26}{c.requests:>10}"
                    f"{c.sla_misses:>12}"
                )
            )
    lines += _evals_text(rep)
    return "\n".join(lines) + "\n"


def _evals_text(rep: Report) -> list[str]:
    """Eval pass rate per charter version and suite (shown when eval_case events exist)."""
    with_evals = {name: [v for v in versions if v.evals] for name, versions in rep.charters.items()}
    with_evals = {k: vs for k, vs in with_evals.items() if vs}
    if not with_evals:
        return []
    lines = ["", "eval pass rate by charter version (eval_case events)"]
    head = (
        f"    {'VERSION':<14}{'SUITE':<28}{'CASES':>6} {'PASS':>5} {'FAIL':>5} {'ERR':>4} "
        f"{'RATE':>5}"
    )
    for name, versions in with_evals.items():
        lines += [_fit(f"  charter/{name}"), head]
        for v in versions:
            version = (v.version or "(unknown)").removeprefix("sha256:")[:12]
            for suite, t in sorted(v.evals.items()):
                lines.append(
                    _fit(
                        f"    {version:<14}{suite[:27]:<28}{t.cases:>6} {t.passed:>5} "
                        f"{t.failed:>5} {t.errored:>4} {_pct(t.pass_rate):>5}"
                    )
                )
    return lines


def sql_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A table when it fits 80 columns, else one block per row (like psql's \\x)."""
    if not columns:
        return ""
    cells = [[("NULL" if v is None else str(v)).replace("\n", " ") for v in r] for r in rows]
    n = len(columns)
    widths = [max([len(columns[i])] + [len(r[i]) for r in cells]) for i in range(n)]
    if sum(widths) + 2 * (n - 1) <= WIDTH:
        lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
        for r in cells:
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
        return "\n".join(x.rstrip() for x in lines) + "\n"
    label = max(len(c) for c in columns)
    out: list[str] = []
    for i, r in enumerate(cells, 1):
        out.append(f"-[ row {i} ]" + "-" * (WIDTH - 12 - len(str(i))))
        for c, v in zip(columns, r, strict=True):
            out.append(_fit(f"{c.ljust(label)} | {v}"))
    if not cells:
        out.append("(no rows)")
    return "\n".join(out) + "\n"


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def erase_text(r: EraseResult) -> str:
    """What went and what stayed: content shared with events outside the request stays."""
    kept = f", {len(r.kept)} kept for other events" if r.kept else ""
    lines = [
        f"erased {_n(len(r.refs), 'payload reference')}: {_n(len(r.wiped), 'payload')} wiped{kept}",
        _fit(f"recorded as event seq {r.seq}, by {r.by}"),
    ]
    return "\n".join(lines) + "\n"
