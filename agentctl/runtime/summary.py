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
            try:
                text, source = stdin.read(), "<stdin>"
            except UnicodeDecodeError as exc:
                raise _not_utf8("<stdin>", exc) from None
        else:
            try:
                with open(name, "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                raise UsageError(
                    f"--input {name}: {exc.strerror or exc}", hint="pass an existing JSON file"
                ) from None
            source = name
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _not_utf8(name, exc, data) from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{source}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}",
            hint='the input is one JSON value, e.g. \'{"ticket_id": "T-1001"}\'',
        ) from None
    except RecursionError:
        raise UsageError(
            f"{source}: the JSON nests too deeply to be read",
            hint="the ledger keeps 254 levels; flatten the input",
        ) from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise UsageError(f"{source}: {exc}", hint="pass a long number as a string") from None
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
        problems=r(res.problems),
    )


def _not_utf8(source: str, exc: UnicodeDecodeError, data: bytes | None = None) -> UsageError:
    where = source
    if data is not None:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        where = f"{source}:{line}:{col}"
    return UsageError(
        f"{where}: the input is not UTF-8 (byte 0x{exc.object[exc.start]:02x})",
        hint="JSON input is UTF-8 text; re-encode the file",
    )


def printable(text: str) -> str:
    """`text` safe for a UTF-8 stream: a lone surrogate (from JSON like "\\ud800") becomes
    its JSON escape; inside a JSON string literal, that is the same value."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def dump(value: Any) -> str:
    """Indented JSON for people; a value nested too deeply for json is shown as the ledger
    stores it (capped at 254 levels)."""
    try:
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    except (RecursionError, ValueError):  # too deep, or an integer too long for str()
        from agentctl.ledger.record import encode_json

        capped = json.loads(encode_json(value))
        return json.dumps(capped, indent=2, sort_keys=True, ensure_ascii=False, default=str)


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
            "problems": res.problems,
        }
    )


def render_output(output: object) -> str:
    """The agent's output as text: indented JSON, keys sorted (printable: see above)."""
    return printable(dump(output))


def render_json(res: RunResult, *, color: bool = False) -> str:
    return printable(dump(to_json(res)))


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
    for problem in res.problems:
        lines += _wrap("problem", problem)
    lines += _wrap("trace", res.trace_id)
    lines += _wrap("show", f"agentctl ledger show {res.trace_id}")
    return printable("\n".join(lines))
