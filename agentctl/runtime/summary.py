"""The run's input parsing and its summary (text for stderr, JSON for machines). Pure."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from collections.abc import Iterable
from typing import IO, Any

from agentctl.errors import UsageError
from agentctl.ledger import redact
from agentctl.model.types import format_usd
from agentctl.render.envelope import envelope
from agentctl.runtime.session import RunResult

WIDTH = 80


def parse_input(text: str, stdin: IO[str] | None = None) -> Any:
    """`--input` JSON, `@file.json`, or `@-` (stdin); errors name line and column."""
    source = "--input"
    if text.startswith("@"):
        name = text[1:]
        if name == "-":
            if stdin is None:
                raise UsageError("--input @- needs a standard input")
            text, source = stdin.read(), "<stdin>"
        else:
            try:
                with open(name, encoding="utf-8") as fh:
                    text = fh.read()
            except OSError as exc:
                raise UsageError(
                    f"--input {name}: {exc.strerror or exc}", hint="pass an existing JSON file"
                ) from None
            source = name
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{source}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}",
            hint='the input is one JSON value, e.g. \'{"ticket_id": "T-1001"}\'',
        ) from None
    return value


def redacted(res: RunResult, secrets: Iterable[str]) -> RunResult:
    """The result with every secret redacted from what it carries out of the process: the
    output, the error and hint (they quote agents and connectors), denials, escalations and
    names. `run_charter` returns only this, so the summary (text and JSON) and library
    callers never see a secret the ledger would not keep either."""
    wanted = list(secrets)  # none: bearer tokens are redacted all the same

    def r(value: Any) -> Any:
        return redact(value, wanted)

    return dataclasses.replace(
        res,
        charter=r(res.charter),
        output=r(res.output),
        error=r(res.error),
        hint=r(res.hint),
        denials=r(res.denials),
        escalations=r(res.escalations),
        data_classes=set(r(sorted(res.data_classes))),
        tools=r(res.tools),
    )


def to_json(res: RunResult) -> dict[str, Any]:
    return envelope(
        {
            "charter": res.charter,
            "status": res.status,
            "trace_id": res.trace_id,
            "output": res.output,
            "error": res.error,
            "hint": res.hint,
            "summary": {
                "steps": res.steps,
                "tool_calls": res.tool_calls,
                "model_calls": res.model_calls,
                "asks": res.asks,
                "cost_usd": float(res.cost_usd),
                "tokens": res.tokens,
                "wall_time_s": round(res.wall_s, 6),
                "tools": dict(sorted(res.tools.items())),
                "data_classes": sorted(res.data_classes),
                "denials": res.denials,
                "escalations": res.escalations,
            },
        }
    )


def render_output(output: object) -> str:
    """The agent's output as text: indented JSON, keys sorted."""
    return json.dumps(output, indent=2, sort_keys=True, ensure_ascii=False)


def render_json(res: RunResult, *, color: bool = False) -> str:
    return json.dumps(to_json(res), indent=2, sort_keys=True, ensure_ascii=False, default=str)


def _wrap(label: str, text: str) -> list[str]:
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=f"  {label:<10}",
        subsequent_indent=" " * 12,
        break_on_hyphens=False,
    ) or [f"  {label}"]


def render_text(res: RunResult, *, color: bool = False) -> str:
    """One screen: status, counters, tools, denials, escalations, the trace id."""
    lines = [f"run {res.charter}: {res.status}"]
    lines += _wrap(
        "steps",
        f"{res.steps} (tool calls {res.tool_calls}, model calls {res.model_calls}, "
        f"asks {res.asks})",
    )
    lines += _wrap(
        "cost", f"{format_usd(res.cost_usd)}, {res.tokens} tokens, {res.wall_s:.2f}s wall time"
    )
    if res.tools:
        lines += _wrap("tools", ", ".join(f"{k} x{v}" for k, v in sorted(res.tools.items())))
    if res.data_classes:
        lines += _wrap("data", ", ".join(sorted(res.data_classes)))
    shown = res.denials[:5]
    for d in shown:
        lines += _wrap("denied", f"{d.get('operation') or ''}: {d.get('message')}")
    if len(res.denials) > len(shown):
        lines += _wrap("denied", f"... and {len(res.denials) - len(shown)} more")
    for e in res.escalations[:3]:
        lines += _wrap(
            "escalated", f"{e['to']} (contract/{e['contract']}): {'; '.join(e['reasons'])}"
        )
    if res.error and res.status != "ok":
        lines += _wrap("error", res.error)
    if res.hint and res.status != "ok":
        lines += _wrap("hint", res.hint)
    lines += _wrap("trace", res.trace_id)
    lines += _wrap("show", f"agentctl ledger show {res.trace_id}")
    return "\n".join(lines)
