"""`eval --baseline REV` in each eval format: the comparison's lines, table and JUnit
properties, called by the eval renderers (render/eval_text.py, render/eval_data.py).
Pure functions of the report."""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from agentctl.render.ansi import style

if TYPE_CHECKING:
    from agentctl.evals.baseline import BaselineReport, SuiteComparison

WIDTH = 80


def p_text(p: float) -> str:
    """A p-value in 3 significant digits (1, 0.0625, 1.91e-06)."""
    return f"{p:.3g}"


def _usd(v: float) -> str:
    return f"{'-' if v < 0 else '+'}${abs(v):.4f}"


def _ms(v: float) -> str:
    return f"{v:+.0f}ms"


def _head(b: BaselineReport) -> str:
    commit = f" ({b.commit[:12]})" if b.commit else ""
    return f"baseline {b.rev}{commit}: {b.regressions} regressed, {b.improvements} improved"


def _source(s: SuiteComparison) -> str:
    return {"ledger": f"from the ledger ({s.detail})", "run": s.detail}.get(s.source, s.detail)


def gate_line(b: BaselineReport | None) -> list[str]:
    """Under the verdict: why the regression gate failed, when it did."""
    if b is None or b.reason is None:
        return []
    return [f"  {b.reason}"[:WIDTH]]


def text_lines(b: BaselineReport | None, color: bool = False) -> list[str]:
    if b is None:
        return []
    lines = [style(_head(b), "red" if b.regressions else "green", color)]
    if b.max_regressions is not None:
        verdict = "passed" if b.passed else "failed"
        lines.append(f"  gate: at most {b.max_regressions} regression(s): {verdict}")
    for s in b.suites:
        lines.append(f"  evalsuite/{s.suite}: {_source(s)}"[:WIDTH])
        if s.source == "none":
            continue
        lines.append(
            f"    {s.paired} paired: {len(s.regressions)} regressed, "
            f"{len(s.improvements)} improved; McNemar exact p = {p_text(s.p_value)}"
        )
        if s.cost_per_case_usd is not None and s.p95_latency_ms is not None:
            (c0, c1), (l0, l1) = s.cost_per_case_usd, s.p95_latency_ms
            lines.append(
                f"    cost/case ${c0:.4f} -> ${c1:.4f} ({_usd(c1 - c0)}); "
                f"p95 {l0:.0f}ms -> {l1:.0f}ms ({_ms(l1 - l0)})"
            )
        for ch in s.regressions:
            mark = style("regressed", "red", color)
            lines.append(f"    {mark} " + f"{ch.case}: {ch.before} -> {ch.after}"[: WIDTH - 14])
        for ch in s.improvements:
            mark = style("improved", "green", color)
            lines.append(f"    {mark} " + f"{ch.case}: {ch.before} -> {ch.after}"[: WIDTH - 14])
        if s.added:
            lines.append(f"    not at the baseline: {', '.join(s.added)}"[:WIDTH])
        if s.dropped:
            lines.append(f"    only at the baseline: {', '.join(s.dropped)}"[:WIDTH])
    return lines


def markdown_lines(b: BaselineReport | None) -> list[str]:
    if b is None:
        return []
    commit = f" (`{b.commit[:12]}`)" if b.commit else ""
    lines = ["", f"#### Against the baseline `{b.rev}`{commit}", ""]
    lines.append(f"{b.regressions} regressed, {b.improvements} improved.")
    if b.max_regressions is not None:
        verdict = "passed" if b.passed else "**failed**"
        lines[-1] += f" Gate: at most {b.max_regressions} regression(s): {verdict}."
    lines += [
        "",
        "| suite | baseline from | paired | regressed | improved | McNemar p "
        "| cost/case Δ | p95 Δ |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in b.suites:
        cost = (
            ""
            if s.cost_per_case_usd is None
            else _usd(s.cost_per_case_usd[1] - s.cost_per_case_usd[0])
        )
        p95 = "" if s.p95_latency_ms is None else _ms(s.p95_latency_ms[1] - s.p95_latency_ms[0])
        p = "" if s.source == "none" else p_text(s.p_value)
        lines.append(
            f"| `{s.suite}` | {_source(s)} | {s.paired} | {len(s.regressions)} | "
            f"{len(s.improvements)} | {p} | {cost} | {p95} |"
        )
    changed = [(s, ch) for s in b.suites for ch in [*s.regressions, *s.improvements]]
    if changed:
        lines += ["", "| case | baseline | now |", "|---|---|---|"]
        for s, ch in changed:
            lines.append(f"| `{s.suite}/{ch.case}` | {ch.before} | {ch.after} |")
    return lines


def junit_properties(props: ET.Element, b: BaselineReport | None, suite: str) -> None:
    """The suite's comparison as `baseline.*` properties of its <testsuite>."""
    s = next((x for x in b.suites if x.suite == suite), None) if b is not None else None
    if b is None or s is None:
        return
    pairs = [
        ("baseline.rev", b.rev),
        ("baseline.commit", b.commit or ""),
        ("baseline.source", s.source),
        ("baseline.paired", str(s.paired)),
        ("baseline.regressions", str(len(s.regressions))),
        ("baseline.improvements", str(len(s.improvements))),
    ]
    if s.source != "none":
        pairs.append(("baseline.mcnemar_p", repr(s.p_value)))
    if s.cost_per_case_usd is not None and s.p95_latency_ms is not None:
        pairs.append(
            (
                "baseline.cost_per_case_delta_usd",
                f"{s.cost_per_case_usd[1] - s.cost_per_case_usd[0]:.6f}",
            )
        )
        pairs.append(
            ("baseline.p95_latency_delta_ms", f"{s.p95_latency_ms[1] - s.p95_latency_ms[0]:.3f}")
        )
    for name, value in pairs:
        ET.SubElement(props, "property", name=name, value=value)


def junit_case(tc: ET.Element, b: BaselineReport | None, suite: str, case: str) -> None:
    """A regressed or improved case says so in its <system-out>."""
    s = next((x for x in b.suites if x.suite == suite), None) if b is not None else None
    if b is None or s is None:
        return
    for word, changes in (("regressed", s.regressions), ("improved", s.improvements)):
        for ch in changes:
            if ch.case == case:
                out = ET.SubElement(tc, "system-out")
                out.text = f"{word} against baseline {b.rev}: {ch.before} -> {ch.after}"
