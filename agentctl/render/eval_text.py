"""`agentctl eval` as text (verdict first, then failures and errors with the case's trace
in short) and as markdown (a pull-request comment). Pure functions of the report."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING

from agentctl.evals.trace import short
from agentctl.render import eval_baseline
from agentctl.render.ansi import style

if TYPE_CHECKING:
    from agentctl.evals.judge import CaseResult, SuiteVerdict
    from agentctl.evals.runner import EvalReport

WIDTH = 80


def _wrap(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return textwrap.wrap(
        text, WIDTH, initial_indent=pad, subsequent_indent=pad + "  ", break_on_hyphens=False
    ) or [pad]


def _tally(n: dict[str, int]) -> str:
    return f"{n['pass']} passed, {n['fail']} failed, {n['error']} errored"


def _suite_lines(s: SuiteVerdict, color: bool) -> list[str]:
    mark = style("PASS", "green", color) if s.passed else style("FAIL", "red", color)
    return [
        f"{mark} evalsuite/{s.suite} ({s.charter})",
        f"  {_tally(s.counts)}; pass rate {s.pass_rate:.0%} (gate {s.thresholds.pass_rate:.0%})",
    ]


def _case_lines(c: CaseResult, color: bool) -> list[str]:
    label = style("failed", "red", color) if c.outcome == "fail" else style("error", "red", color)
    lines = [f"  {label} {c.case}  {c.where}"]
    for f in c.failures:
        lines += _wrap(f"{f.check}", 4)
        lines += _wrap(f"{f.message}; expected {f.expected}, got {f.got}", 6)
    if c.failures and c.output is not None:
        text = json.dumps(c.output, sort_keys=True, ensure_ascii=False, default=str)
        line = f"    output: {text}"
        lines.append(line if len(line) <= WIDTH else line[: WIDTH - 1] + "…")
    if c.outcome == "error":
        lines += _wrap(f"error: {c.error}", 4)
        if c.hint:
            lines += _wrap(f"hint: {c.hint}", 4)
    if c.trace_id:
        lines += [f"    | {ln}"[:WIDTH] for ln in short(c.trace, 8)]
        lines.append(f"    trace: agentctl ledger show {c.trace_id[:12]}")
    return lines


def render_text(report: EvalReport, *, color: bool = False) -> str:
    n = report.counts
    ok = report.passed
    head = "eval: every gate passed" if ok else "eval: gate failed"
    lines = [style(head, "green" if ok else "red", color) + f" ({_tally(n)})"]
    if n["error"]:
        lines.append(
            f"  {n['error']} case(s) errored: the agent or a connector crashed, not judged"
        )
    lines += eval_baseline.gate_line(report.baseline)
    for s in report.suites:
        lines += _suite_lines(s, color)
        lines += _wrap("; ".join(s.reasons), 2) if s.reasons else []
        for c in s.cases:
            if c.outcome != "pass":
                lines += _case_lines(c, color)
    lines += eval_baseline.text_lines(report.baseline, color)
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: EvalReport, *, color: bool = False) -> str:
    n = report.counts
    icon = "✅" if report.passed else "❌"
    verdict = "every gate passed" if report.passed else "gate failed"
    lines = [f"### {icon} agentctl eval: {verdict}", "", f"{_tally(n)}.", ""]
    lines += ["| suite | charter | passed | failed | errored | pass rate | gate |"]
    lines += ["|---|---|---:|---:|---:|---:|---|"]
    for s in report.suites:
        k = s.counts
        gate = "passed" if s.passed else "failed: " + _cell("; ".join(s.reasons))
        lines.append(
            f"| `{s.suite}` | `{s.charter}` | {k['pass']} | {k['fail']} | {k['error']} | "
            f"{s.pass_rate:.0%} (min {s.thresholds.pass_rate:.0%}) | {gate} |"
        )
    bad = [(s, c) for s in report.suites for c in s.cases if c.outcome != "pass"]
    if bad:
        lines += ["", "| case | outcome | why |", "|---|---|---|"]
        for s, c in bad:
            why = (
                "; ".join(f"`{f.check}`: {f.message}, got {f.got}" for f in c.failures)
                if c.failures
                else c.error or ""
            )
            lines.append(f"| `{s.suite}/{c.case}` | {c.outcome} | {_cell(why)} |")
    lines += eval_baseline.markdown_lines(report.baseline)
    return "\n".join(lines) + "\n"
