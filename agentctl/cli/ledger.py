"""`agentctl ledger`: verify, checkpoint, query, show, sql, report, export and erase the
tamper-evident trace ledger."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from agentctl.cli.common import WorkspaceOpt, check_format, emit, format_option, note

if TYPE_CHECKING:
    import datetime as _dt

    from agentctl.ledger import Ledger

app = typer.Typer(
    help=(
        "The tamper-evident trace ledger: verify, checkpoint, query, report, export.\n\n"
        "Example: agentctl ledger query --data-class pii.ssn --since 7d --agents"
    ),
    no_args_is_help=True,
)

LedgerOpt = typer.Option(
    None,
    "--ledger",
    "-l",
    help="The ledger file (default: spec.ledger of the workspace, .agentctl/ledger.db).",
    dir_okay=False,
)
SinceOpt = typer.Option(None, "--since", help="From this time on: 7d, 12h, 2026-01-31, RFC 3339.")
UntilOpt = typer.Option(None, "--until", help="Before this time (same forms as --since).")


def _path(ledger: Path | None, workspace: Path | None) -> Path:
    if ledger is not None:
        return ledger
    from agentctl.cli.common import workspace_root
    from agentctl.ledger.location import ledger_path

    return ledger_path(workspace_root(workspace))


def _open(ledger: Path | None, workspace: Path | None) -> Ledger:
    from agentctl.ledger import Ledger

    return Ledger.open(_path(ledger, workspace), readonly=True)


def _now() -> _dt.datetime:
    """The shell reads the clock; AGENTCTL_NOW pins it (tests, reproducible reports)."""
    import datetime as dt

    pinned = os.environ.get("AGENTCTL_NOW")
    if pinned:
        return dt.datetime.fromisoformat(pinned.replace("Z", "+00:00"))
    return dt.datetime.now(dt.UTC)


def _when(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    from agentctl.errors import UsageError
    from agentctl.ledger.query import resolve_when

    try:
        return resolve_when(value, _now())
    except ValueError as exc:
        raise UsageError(
            f"{option} {exc}", hint="write 7d, 12h, 2026-01-31 or an RFC 3339 time"
        ) from None


def _split(values: list[str]) -> list[str]:
    """Repeatable options also take comma-separated lists: --kind denial,escalation."""
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _dump(value: Any) -> str:
    import orjson

    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()


def _json(body: Any) -> str:
    """A command's JSON document: the envelope (agentctl.render.envelope), then `body`."""
    from agentctl.render.envelope import envelope

    return _dump(envelope(body))


def _write_out(out: Path | None, data: bytes) -> None:
    """To a file (atomically: a temporary file, then os.replace) or to stdout."""
    if out is None:
        sys.stdout.write(data.decode())
        sys.stdout.flush()
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, out)


@app.command()
def verify(
    checkpoint: Path = typer.Option(
        None, "--checkpoint", "-c", help="Also prove the ledger still holds what this covered."
    ),
    ledger: Path = LedgerOpt,
    workspace: Path = WorkspaceOpt,
    format: str = format_option(["text", "json"]),
) -> int:
    """Recompute the hash chain; name the first row changed, deleted, inserted or reordered.

    Exit 0 when intact, 1 when anything was altered (or the file is not a readable ledger).

    Example: agentctl ledger verify --checkpoint audit/2026-06.checkpoint.json
    """
    from agentctl.errors import ExitCode
    from agentctl.ledger import checkpoint as cpmod
    from agentctl.ledger.store import LedgerError
    from agentctl.ledger.verify import compare_checkpoint
    from agentctl.ledger.verify import verify as run_verify
    from agentctl.render import ledger_text as render

    check_format(format, ["text", "json"])
    cp = cpmod.load(checkpoint) if checkpoint is not None else None
    path = _path(ledger, workspace)
    try:
        led = _open(path, None)
    except LedgerError as exc:
        if not path.is_file():
            raise
        # a file that is there but is no readable ledger is a failed verification
        exc.exit_code = ExitCode.FINDINGS
        raise
    with led:
        rep = run_verify(led, keep_leaves=cp is not None)
    if cp is not None:
        compare_checkpoint(rep, cp)
    emit(_json(rep.to_dict()) if format == "json" else render.verify_text(rep))
    return ExitCode.OK if rep.ok else ExitCode.FINDINGS


@app.command("checkpoint")
def checkpoint_cmd(
    out: Path = typer.Option(None, "--out", "-o", help="Write it here (default: stdout)."),
    previous: Path = typer.Option(
        None, "--previous", help="An earlier checkpoint: add the proof that this one extends it."
    ),
    ledger: Path = LedgerOpt,
    workspace: Path = WorkspaceOpt,
) -> int:
    """Write a checkpoint: event count and RFC 9162 Merkle root, to commit or hand to an auditor.

    Refuses (exit 1) when the ledger does not verify.

    Example: agentctl ledger checkpoint --out audit/2026-06.checkpoint.json
    """
    from agentctl.errors import ExitCode
    from agentctl.ledger import checkpoint as cpmod
    from agentctl.ledger import format_ts
    from agentctl.ledger.verify import verify as run_verify
    from agentctl.render import ledger_text as render

    prev = cpmod.load(previous) if previous is not None else None
    with _open(ledger, workspace) as led:
        rep = run_verify(led, keep_leaves=True)
    if not rep.ok:
        sys.stderr.write(render.verify_text(rep))
        note("agentctl: error: the ledger does not verify; no checkpoint written")
        return ExitCode.FINDINGS
    cp = cpmod.make(rep, format_ts(_now()), prev)
    _write_out(out, (_dump(cp) + "\n").encode())
    if out is not None:
        note(f"checkpoint of {cp['tree_size']} events written to {out}")
    return ExitCode.OK


@app.command()
def query(
    agent: list[str] = typer.Option([], "--agent", "-a", help="Only this agent (repeatable)."),
    data_class: list[str] = typer.Option(
        [], "--data-class", "-d", help="Touched this data class: pii.ssn, ssn, pii, pii.* ."
    ),
    kind: list[str] = typer.Option([], "--kind", "-k", help="Only this event kind (repeatable)."),
    status: list[str] = typer.Option([], "--status", help="ok, error, denied or stopped."),
    trace: list[str] = typer.Option([], "--trace", "-t", help="Only this trace id."),
    since: str = SinceOpt,
    until: str = UntilOpt,
    agents: bool = typer.Option(False, "--agents", help="List the distinct agents instead."),
    limit: int = typer.Option(None, "--limit", "-n", min=1, help="At most this many events."),
    ledger: Path = LedgerOpt,
    workspace: Path = WorkspaceOpt,
    format: str = format_option(["text", "json", "jsonl"]),
) -> int:
    """Find events: which agents touched a data class, what a trace did, every denial...

    Example: agentctl ledger query --data-class ssn --since 7d --agents
    """
    from agentctl.ledger.query import Filters, agents_summary
    from agentctl.ledger.query import query as run_query
    from agentctl.render import ledger_text as render

    check_format(format, ["text", "json", "jsonl"])
    f = Filters(
        agents=_split(agent),
        data_classes=_split(data_class),
        kinds=_split(kind),
        statuses=_split(status),
        traces=_split(trace),
        since=_when(since, "--since"),
        until=_when(until, "--until"),
        limit=limit,
    )
    with _open(ledger, workspace) as led:
        rows = agents_summary(led, f) if agents else run_query(led, f)
    if format == "json":
        key = "agents" if agents else "events"
        emit(_json({"since": f.since, "until": f.until, key: rows}))
    elif format == "jsonl":
        import orjson

        _write_out(None, b"".join(orjson.dumps(r) + b"\n" for r in rows))
    else:
        emit(render.agents_table(rows) if agents else render.events_table(rows))
    return 0


@app.command()
def show(
    trace: str = typer.Argument(..., help="The trace id (a unique prefix will do)."),
    ledger: Path = LedgerOpt,
    workspace: Path = WorkspaceOpt,
    format: str = format_option(["text", "json"]),
) -> int:
    """Show one trace as a tree: the run, its model and tool calls, denials, escalations.

    Example: agentctl ledger show 4bf92f35
    """
    from agentctl.errors import UsageError
    from agentctl.ledger.query import find_traces, trace_events
    from agentctl.render import ledger_text as render

    check_format(format, ["text", "json"])
    with _open(ledger, workspace) as led:
        found = find_traces(led, trace.lower())
        if not found:
            raise UsageError(
                f"no trace {trace!r} in the ledger",
                hint="list traces with: agentctl ledger query --kind run_start",
            )
        if len(found) > 1 and trace.lower() not in found:
            raise UsageError(
                f"trace prefix {trace!r} is ambiguous: {', '.join(found[:3])}…",
                hint="give more characters of the trace id",
            )
        tid = trace.lower() if trace.lower() in found else found[0]
        events = trace_events(led, tid)
    if format == "json":
        emit(_json({"trace_id": tid, "events": events}))
    else:
        emit(render.trace_tree(tid, events))
    return 0


@app.command()
def sql(
    statement: str = typer.Argument(..., help="One read-only SQL statement."),
    ledger: Path = LedgerOpt,
    workspace: Path = WorkspaceOpt,
    format: str = format_option(["text", "json", "jsonl", "csv"]),
) -> int:
    """Run read-only SQL against the ledger (tables events, payloads, event_data_classes;
    views v_events, v_runs, v_denials, v_data_class_access). Writes are refused.

    Example: agentctl ledger sql "SELECT agent, count(*) FROM v_denials GROUP BY agent"
    """
    from agentctl.ledger.sqlro import run_readonly
    from agentctl.render import ledger_text as render

    check_format(format, ["text", "json", "jsonl", "csv"])
    with _open(ledger, workspace) as led:
        columns, rows = run_readonly(led, statement)
    if format == "json":
        emit(
            _json(
                {
                    "columns": columns,
                    "rows": [dict(zip(columns, r, strict=True)) for r in rows],
                }
            )
        )
    elif format == "jsonl":
        import orjson

        _write_out(
            None, b"".join(orjson.dumps(dict(zip(columns, r, strict=True))) + b"\n" for r in rows)
        )
    elif format == "csv":
        import csv

        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(columns)
        w.writerows(rows)
    else:
        emit(render.sql_table(columns, rows))
    return 0


@app.command()
def report(
    agent: list[str] = typer.Option([], "--agent", "-a", help="Only this charter (repeatable)."),
    since: str = SinceOpt,
    until: str = UntilOpt,
    ledger: Path = LedgerOpt,
    workspace: Path = WorkspaceOpt,
    format: str = format_option(["text", "json"]),
) -> int:
    """Per charter and charter version: runs, success rate, cost per action, p50/p95 run
    latency, denials, escalations, SLA misses per contract, and deltas from the previous
    version.

    Example: agentctl ledger report --since 30d
    """
    from agentctl.ledger.stats import build
    from agentctl.render import ledger_text as render

    check_format(format, ["text", "json"])
    with _open(ledger, workspace) as led:
        rep = build(led, _when(since, "--since"), _when(until, "--until"), agent)
    emit(_json(rep.to_dict()) if format == "json" else render.report_text(rep))
    return 0


@app.command()
def export(
    format: str = format_option(["jsonl", "otlp-json"], default="jsonl"),
    agent: list[str] = typer.Option([], "--agent", "-a", help="Only this agent (repeatable)."),
    trace: list[str] = typer.Option([], "--trace", "-t", help="Only this trace id."),
    since: str = SinceOpt,
    until: str = UntilOpt,
    out: Path = typer.Option(None, "--out", "-o", help="Write here (default: stdout)."),
    ledger: Path = LedgerOpt,
    workspace: Path = WorkspaceOpt,
) -> int:
    """Export events as JSON lines, or as OTLP JSON (one TracesData per trace per line,
    OpenTelemetry GenAI semantic conventions) for any OpenTelemetry backend.

    Example: agentctl ledger export --format otlp-json --since 1d > traces.jsonl
    """
    from agentctl.ledger import export as ex
    from agentctl.ledger.query import Filters

    check_format(format, ["jsonl", "otlp-json"])
    f = Filters(
        agents=agent, traces=trace, since=_when(since, "--since"), until=_when(until, "--until")
    )
    with _open(ledger, workspace) as led:
        rows = ex.events(led, f)
        lines = ex.otlp(rows) if format == "otlp-json" else ex.jsonl(rows)
        _write_out(out, b"".join(lines))
    return 0


@app.command()
def erase(
    payload: list[str] = typer.Option([], "--payload", "-p", help="A payload hash (repeatable)."),
    trace: str = typer.Option(None, "--trace", "-t", help="Every payload of this trace."),
    reason: str = typer.Option(..., "--reason", "-r", help="Why (recorded in the erase event)."),
    ledger: Path = LedgerOpt,
    workspace: Path = WorkspaceOpt,
    format: str = format_option(["text", "json"]),
) -> int:
    """Erase payload content (inputs, outputs, prompts) for privacy; the chain still
    verifies, and the erasure is itself a recorded event.

    Example: agentctl ledger erase --trace 4bf92f3577b34da6a3ce929d0e0e4736 --reason "GDPR art. 17"
    """
    from agentctl.errors import UsageError
    from agentctl.ledger import Ledger, LedgerEvent, format_ts, new_span_id, new_trace_id

    check_format(format, ["text", "json"])
    if bool(payload) == bool(trace):
        raise UsageError("give --payload HASH (repeatable) or --trace TRACE_ID, not both")
    path = _path(ledger, workspace)
    Ledger.open(path, readonly=True).close()  # refuse a missing file before creating one
    with Ledger.open(path) as led:
        wanted = [p.lower() for p in payload]
        if trace:
            rows = led.conn.execute(
                "SELECT input_hash, output_hash, prompt_hash FROM events WHERE trace_id = ?",
                (trace.lower(),),
            ).fetchall()
            if not rows:
                raise UsageError(f"no trace {trace!r} in the ledger")
            wanted = sorted({h for r in rows for h in r if h})
        else:
            known = {
                r[0]
                for r in led.conn.execute(
                    f"SELECT hash FROM payloads WHERE hash IN ({', '.join('?' * len(wanted))})",
                    wanted,
                )
            }
            unknown = [p for p in wanted if p not in known]
            if unknown:
                raise UsageError(
                    f"no payload {unknown[0]!r} in the ledger",
                    hint="payload hashes are the input_hash/output_hash/prompt_hash "
                    "columns (agentctl ledger query --format json)",
                )
        attrs: dict[str, Any] = {"reason": reason}
        if trace:
            attrs["trace"] = trace.lower()
        event = LedgerEvent(
            kind="erase",
            trace_id=new_trace_id(),
            span_id=new_span_id(),
            parent_span_id=None,
            ts=format_ts(_now()),
            principal="",
            operation="erase",
            attrs=attrs,
        )
        erased, seq = led.erase(wanted, event)
    if format == "json":
        emit(_json({"erased": erased, "erase_event_seq": seq}))
    else:
        emit(
            f"erased {len(erased)} payload{'s' if len(erased) != 1 else ''}; "
            f"recorded as event seq {seq}"
        )
    return 0
