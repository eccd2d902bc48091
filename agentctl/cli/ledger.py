"""`agentctl ledger`: verify, checkpoint, query, show, sql, report, export and erase the
tamper-evident trace ledger."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from agentctl.cli.common import WorkspaceOpt, check_format, emit, format_option, note, render

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
    format: str = format_option("ledger-verify"),
) -> int:
    """Recompute the hash chain; name the first row changed, deleted, inserted or reordered;
    compare every table, index, trigger and view with its definition; run SQLite's
    integrity check.

    Exit 0 when intact, 1 when anything was altered (or the file is not a readable ledger).

    Example: agentctl ledger verify --checkpoint audit/2026-06.checkpoint.json
    """
    from agentctl.errors import ExitCode
    from agentctl.ledger import checkpoint as cpmod
    from agentctl.ledger.errors import LedgerError
    from agentctl.ledger.verify import compare_checkpoint
    from agentctl.ledger.verify import verify as run_verify

    check_format(format, "ledger-verify")  # before any work
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
    emit(render("ledger-verify", format, rep))
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
    from agentctl.render.ledger_formats import dumps

    prev = cpmod.load(previous) if previous is not None else None
    with _open(ledger, workspace) as led:
        rep = run_verify(led, keep_leaves=True)
    if not rep.ok:
        sys.stderr.write(render("ledger-verify", "text", rep))
        note("agentctl: error: the ledger does not verify; no checkpoint written")
        return ExitCode.FINDINGS
    cp = cpmod.make(rep, format_ts(_now()), prev)
    _write_out(out, (dumps(cp) + "\n").encode())
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
    format: str = format_option("ledger-query"),
) -> int:
    """Find events: which agents touched a data class, what a trace did, every denial...

    Example: agentctl ledger query --data-class ssn --since 7d --agents
    """
    from agentctl.ledger.query import Filters, run_query

    check_format(format, "ledger-query")  # before any work
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
        result = run_query(led, f, agents=agents)
    emit(render("ledger-query", format, result))
    return 0


@app.command()
def show(
    trace: str = typer.Argument(..., help="The trace id (a unique prefix will do)."),
    ledger: Path = LedgerOpt,
    workspace: Path = WorkspaceOpt,
    format: str = format_option("ledger-trace"),
) -> int:
    """Show one trace as a tree: the run, its model and tool calls, denials, escalations.

    Example: agentctl ledger show 4bf92f35
    """
    from agentctl.ledger.query import show_trace

    check_format(format, "ledger-trace")  # before any work
    with _open(ledger, workspace) as led:
        result = show_trace(led, trace)
    emit(render("ledger-trace", format, result))
    return 0


@app.command()
def sql(
    statement: str = typer.Argument(..., help="One read-only SQL statement."),
    timeout: float = typer.Option(
        10.0, "--timeout", min=0.001, help="Stop the statement after this many seconds."
    ),
    max_rows: int = typer.Option(
        100_000, "--max-rows", min=1, help="Refuse a result with more rows than this."
    ),
    ledger: Path = LedgerOpt,
    workspace: Path = WorkspaceOpt,
    format: str = format_option("ledger-sql"),
) -> int:
    """Run read-only SQL against the ledger (tables events, payloads, event_data_classes,
    erased_refs; views v_events, v_runs, v_denials, v_data_class_access). Writes, and
    functions outside SQLite's core, date, math, JSON, aggregate and window functions, are
    refused; a statement is stopped after --timeout seconds, and any one value is capped
    at 64 MiB.

    Example: agentctl ledger sql "SELECT agent, count(*) FROM v_denials GROUP BY agent"
    """
    from agentctl.ledger.sqlro import Limits, run_readonly

    check_format(format, "ledger-sql")  # before any work
    with _open(ledger, workspace) as led:
        result = run_readonly(led, statement, Limits(timeout_s=timeout, max_rows=max_rows))
    emit(render("ledger-sql", format, result))
    return 0


@app.command()
def report(
    agent: list[str] = typer.Option([], "--agent", "-a", help="Only this charter (repeatable)."),
    since: str = SinceOpt,
    until: str = UntilOpt,
    ledger: Path = LedgerOpt,
    workspace: Path = WorkspaceOpt,
    format: str = format_option("ledger-report"),
) -> int:
    """Per charter and charter version: runs, success rate, cost per action, p50/p95 run
    latency, denials, escalations, SLA misses per contract, and deltas from the previous
    version.

    Example: agentctl ledger report --since 30d
    """
    from agentctl.ledger.stats import build

    check_format(format, "ledger-report")  # before any work
    with _open(ledger, workspace) as led:
        rep = build(led, _when(since, "--since"), _when(until, "--until"), agent)
    emit(render("ledger-report", format, rep))
    return 0


@app.command()
def export(
    format: str = format_option("ledger-export", default="jsonl"),
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

    check_format(format, "ledger-export")
    f = Filters(
        agents=agent, traces=trace, since=_when(since, "--since"), until=_when(until, "--until")
    )
    with _open(ledger, workspace) as led:
        _write_out(out, render("ledger-export", format, ex.events(led, f)).encode())
    return 0


@app.command()
def erase(
    payload: list[str] = typer.Option([], "--payload", "-p", help="A payload hash (repeatable)."),
    trace: str = typer.Option(
        None, "--trace", "-t", help="Every payload reference of this trace (a unique prefix)."
    ),
    reason: str = typer.Option(..., "--reason", "-r", help="Why (recorded in the erase event)."),
    by: str = typer.Option(
        None,
        "--by",
        help="Who asks (recorded as the erase event's principal; default: $GITHUB_ACTOR, "
        "else git user.email, else the OS user).",
    ),
    ledger: Path = LedgerOpt,
    workspace: Path = WorkspaceOpt,
    format: str = format_option("ledger-erase"),
) -> int:
    """Erase payload content (inputs, outputs, prompts) for privacy: exactly the references
    named, recorded with who asked and why as an `erase` event; content that events outside
    the request share stays readable for them, and the chain still verifies.

    Example: agentctl ledger erase --trace 4bf92f35 --reason "GDPR art. 17" --by dpo@example.com
    """
    from agentctl.errors import UsageError
    from agentctl.ledger import Ledger, format_ts
    from agentctl.ledger.erasure import EraseRequest, actor
    from agentctl.ledger.erasure import erase as run_erase
    from agentctl.ledger.query import resolve_trace

    check_format(format, "ledger-erase")  # before any work
    if bool(payload) == bool(trace):
        raise UsageError("give --payload HASH (repeatable) or --trace TRACE_ID, not both")
    path = _path(ledger, workspace)
    Ledger.open(path, readonly=True).close()  # refuse a missing file before creating one
    with Ledger.open(path) as led:
        if trace:
            request = EraseRequest(trace=resolve_trace(led, trace))
        else:
            request = EraseRequest(payloads=tuple(sorted({p.lower() for p in _split(payload)})))
        result = run_erase(led, request, by=actor(by), reason=reason, ts=format_ts(_now()))
    emit(render("ledger-erase", format, result))
    return 0
