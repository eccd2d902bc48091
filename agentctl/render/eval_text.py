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
    extra = "".join(f", {n[k]} {k}" for k in ("flaky", "skipped") if n.get(k))
    return f"{n['pass']} passed, {n['fail']} failed, {n['error']} errored" + extra


def _interval_line(s: SuiteVerdict) -> str:
    lo, hi = s.interval
    t = s.thresholds.pass_rate_lower_bound
    gate = f" (lower bound gate {t:.1%})" if t is not None else ""
    runs = f"{s.runs_passed}/{len(s.runs)}"
    return f"  runs: {runs} passed; Wilson 95% interval {lo:.1%}..{hi:.1%}{gate}"


def _suite_lines(s: SuiteVerdict, color: bool, repeat: int) -> list[str]:
    mark = style("PASS", "green", color) if s.passed else style("FAIL", "red", color)
    lines = [
        f"{mark} evalsuite/{s.suite} ({s.charter})",
        f"  {_tally(s.counts)}; pass rate {s.pass_rate:.0%} (gate {s.thresholds.pass_rate:.0%})",
    ]
    if repeat > 1 or s.thresholds.pass_rate_lower_bound is not None:
        lines += _wrap(_interval_line(s).strip(), 2)
    return lines


def _attempt_lines(c: CaseResult) -> list[str]:
    out = []
    for a in c.attempts:
        out += _wrap(f"attempt {a['attempt']}: error: {a['error']}; retried", 4)
    return out


LABELS = {"fail": "failed", "error": "error", "flaky": "flaky", "skipped": "skipped"}


def _case_lines(c: CaseResult, color: bool) -> list[str]:
    if c.outcome == "skipped":
        return [f"  {style('skipped', 'yellow', color)} {c.case}  {c.where}: {c.skipped}"]
    if c.outcome == "pass":  # passed once retried: the attempts are shown
        lines = [f"  {style('retried', 'yellow', color)} {c.case}  {c.where}"]
        for i, r in enumerate(c.all_runs, 1):
            if r.attempts and c.runs:
                lines.append(f"    run {i}:")
            lines += _attempt_lines(r)
        return lines
    label = style(LABELS[c.outcome], "yellow" if c.outcome == "flaky" else "red", color)
    lines = [f"  {label} {c.case}  {c.where}"]
    if c.runs:
        marks = "".join("." if r.outcome == "pass" else r.outcome[0].upper() for r in c.runs)
        lines += _wrap(
            f"{c.passes}/{len(c.runs)} runs passed [{marks}]"
            + ("; the first failed run:" if c.failures else ""),
            4,
        )
    lines += _attempt_lines(c)
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
    if n["flaky"]:
        lines.append(f"  {n['flaky']} case(s) flaky: passed in some runs, failed in others")
    if report.stopped:
        lines += _wrap(f"stopped: {report.stopped}", 2)
    if report.shard is not None:
        i, k = report.shard
        mine = sum(len(s.cases) for s in report.suites)
        lines.append(
            f"  shard {i}/{k}: {mine} of {len(report.order)} case(s); "
            "join the shards with: agentctl eval merge"
        )
    lines += eval_baseline.gate_line(report.baseline)
    for s in report.suites:
        lines += _suite_lines(s, color, report.repeat)
        lines += _wrap("; ".join(s.reasons), 2) if s.reasons else []
        # flaky cases apart from stable failures, before them
        shown = [c for c in s.cases if c.outcome == "flaky"]
        shown += [c for c in s.cases if c.outcome not in ("pass", "flaky") or c.retried]
        for c in shown:
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
    if report.stopped:
        lines += ["", f"Stopped: {_cell(report.stopped)}."]
    if report.repeat > 1:
        lines += ["", f"Each case ran {report.repeat} times. Pass rate over runs:", ""]
        lines += ["| suite | runs passed | Wilson 95% interval |", "|---|---:|---|"]
        for s in report.suites:
            lo, hi = s.interval
            lines.append(f"| `{s.suite}` | {s.runs_passed}/{len(s.runs)} | {lo:.1%}..{hi:.1%} |")
    flaky = [(s, c) for s in report.suites for c in s.cases if c.outcome == "flaky"]
    if flaky:
        lines += ["", "Flaky cases (passed in some runs, failed in others):", ""]
        lines += ["| case | runs passed | first failure |", "|---|---:|---|"]
        for s, c in flaky:
            why = "; ".join(f"`{f.check}`: {f.message}, got {f.got}" for f in c.failures[:1])
            lines.append(f"| `{s.suite}/{c.case}` | {c.passes}/{len(c.runs)} | {_cell(why)} |")
    bad = [(s, c) for s in report.suites for c in s.cases if c.outcome not in ("pass", "flaky")]
    if bad:
        lines += ["", "| case | outcome | why |", "|---|---|---|"]
        for s, c in bad:
            why = (
                "; ".join(f"`{f.check}`: {f.message}, got {f.got}" for f in c.failures)
                if c.failures
                else c.error or c.skipped or ""
            )
            if c.attempts:
                why += f" (after {len(c.attempts) + 1} attempts)"
            lines.append(f"| `{s.suite}/{c.case}` | {c.outcome} | {_cell(why)} |")
    lines += eval_baseline.markdown_lines(report.baseline)
    return "\n".join(lines) + "\n"
