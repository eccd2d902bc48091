"""The ledger file: open, append (hash-chained, batched), daily totals, erase.

This is the shell: it touches the disk. Appends take SQLite's write lock up front
(BEGIN IMMEDIATE) and read the tail hash inside that transaction, so several processes
appending at once serialise cleanly and never fork the chain.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

from agentctl.errors import AgentctlError, ExitCode
from agentctl.ledger import schema
from agentctl.ledger.events import (
    GENESIS,
    LedgerEvent,
    check_event,
    encode_json,
    redact_bytes,
)

BUSY_TIMEOUT_MS = 60_000
STEP_KINDS = ("model_call", "tool_call", "agent_request")


class LedgerError(AgentctlError):
    """The ledger file is missing, unreadable, not a ledger, or a command misused it."""

    exit_code = ExitCode.USAGE


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    if readonly:
        uri = path.resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _not_a_ledger(path: Path, why: str) -> LedgerError:
    return LedgerError(
        f"{path}: not an agentctl ledger ({why})",
        hint="pass the ledger file with --ledger, or check spec.ledger in agentctl.yaml",
    )


class Ledger:
    """One ledger file. Thread-safe for appends (one lock around the connection)."""

    def __init__(self, path: Path, conn: sqlite3.Connection, ledger_id: str) -> None:
        self.path = path
        self.conn = conn
        self.ledger_id = ledger_id
        self._lock = threading.Lock()

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, *, readonly: bool = False) -> Ledger:
        """Open (and for writing, create) the ledger at `path`.

        Read-only opening refuses a missing file; any open refuses a file that is not
        an SQLite database or not an agentctl ledger, with a LedgerError.
        """
        path = Path(path)
        if readonly and not path.is_file():
            raise LedgerError(
                f"no ledger at {path}",
                hint="run an agent first (agentctl run), or pass --ledger FILE",
            )
        if not readonly:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = _connect(path, readonly)
        except sqlite3.Error as exc:
            raise LedgerError(f"{path}: cannot open the ledger: {exc}") from None
        try:
            ledger_id = cls._read_id(conn, path) if readonly else cls._create(conn, path)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise _not_a_ledger(path, str(exc)) from None
        except BaseException:
            conn.close()
            raise
        return cls(path, conn, ledger_id)

    @staticmethod
    def _read_id(conn: sqlite3.Connection, path: Path) -> str:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if not {"meta", "events", "payloads"} <= tables:
            raise _not_a_ledger(path, "it has no ledger tables")
        row = conn.execute("SELECT value FROM meta WHERE key = 'ledger_id'").fetchone()
        if row is None:
            raise _not_a_ledger(path, "it has no ledger id")
        return str(row[0])

    @staticmethod
    def _create(conn: sqlite3.Connection, path: Path) -> str:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise LedgerError(f"{path}: cannot switch the ledger to WAL mode (got {mode})")
        conn.execute("PRAGMA synchronous = NORMAL")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if tables and "events" not in tables:
            raise _not_a_ledger(path, "it is an SQLite database holding other tables")
        if "events" in tables and "meta" in tables:
            row = conn.execute("SELECT value FROM meta WHERE key = 'ledger_id'").fetchone()
            if row is not None:
                return str(row[0])
        conn.execute("BEGIN IMMEDIATE")
        try:
            for stmt in _statements(schema.ALL):
                conn.execute(stmt)
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('ledger_id', ?)",
                (str(uuid.uuid4()),),
            )
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                (schema.SCHEMA_VERSION,),
            )
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('hash_encoding', ?)",
                ("agentctl-ledger-v1: sha256(prev || orjson sorted-keys row)",),
            )
            ledger_id = conn.execute("SELECT value FROM meta WHERE key = 'ledger_id'").fetchone()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return str(ledger_id[0])

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- appending -----------------------------------------------------------------------

    def append(self, events: Sequence[LedgerEvent]) -> list[int]:
        """Append `events` in one transaction, chained after the current tail; their seqs."""
        if not events:
            return []
        prepared = [_prepare(e) for e in events]
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                tail = conn.execute(
                    "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                seq, prev = (int(tail[0]), bytes.fromhex(tail[1])) if tail else (0, GENESIS)
                first = seq + 1
                rows, payloads, edc, classes = _chain(prepared, seq, prev)
                conn.executemany(schema.INSERT_PAYLOAD, payloads)
                conn.executemany(schema.INSERT_EVENT, rows)
                if edc:
                    conn.executemany(schema.INSERT_EDC, edc)
                    conn.executemany(schema.INSERT_CLASS, [(c,) for c in classes])
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return list(range(first, first + len(prepared)))

    def writer(self, *, batch: int = 500, max_delay_s: float = 0.2) -> LedgerWriter:
        """A buffering writer: commits every `batch` events or `max_delay_s` after the first."""
        return LedgerWriter(self, batch=batch, max_delay_s=max_delay_s)

    # -- reading -------------------------------------------------------------------------

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM events").fetchone()[0])

    def tail(self) -> tuple[int, str] | None:
        row = self.conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def daily_totals(self, principal: str, since_ts: str, until_ts: str) -> dict[str, float]:
        """Usage of `principal` in [since_ts, until_ts): what the daily budgets are checked on.

        usd and tokens sum every event; steps count model calls, tool calls and agent
        requests that were not denied; tool_calls the tool calls among them; runs the
        run_start events; wall_time_s the run_end latencies.
        """
        row = self.conn.execute(
            """
            SELECT total(cost_usd), total(tokens),
                   total(kind IN ('model_call', 'tool_call', 'agent_request')
                         AND status != 'denied'),
                   total(kind = 'tool_call' AND status != 'denied'),
                   total(kind = 'run_start'),
                   total(CASE WHEN kind = 'run_end' THEN latency_ms ELSE 0 END) / 1000.0
            FROM events WHERE principal = ? AND ts >= ? AND ts < ?
            """,
            (principal, since_ts, until_ts),
        ).fetchone()
        keys = ("usd", "tokens", "steps", "tool_calls", "runs", "wall_time_s")
        return {k: float(v or 0.0) for k, v in zip(keys, row, strict=True)}

    def payload(self, digest: str | None) -> Any:
        """The stored payload for a hash: the value, None when absent or erased."""
        if digest is None:
            return None
        row = self.conn.execute("SELECT content FROM payloads WHERE hash = ?", (digest,)).fetchone()
        if row is None or row[0] is None:
            return None
        return orjson.loads(row[0])

    # -- erasing -------------------------------------------------------------------------

    def erase(self, hashes: Iterable[str], event: LedgerEvent) -> tuple[list[str], int]:
        """Erase the content of these payloads and record `event` (kind erase) in one
        transaction. Returns the hashes actually erased (present, not yet erased) and the
        seq of the erase event; its attrs gain the list under "payloads"."""
        wanted = sorted(set(hashes))
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                found: list[str] = []
                for h in wanted:
                    row = conn.execute(
                        "SELECT content FROM payloads WHERE hash = ?", (h,)
                    ).fetchone()
                    if row is not None and row[0] is not None:
                        found.append(h)
                conn.executemany(
                    "UPDATE payloads SET content = NULL WHERE hash = ?", [(h,) for h in found]
                )
                event.attrs = {**event.attrs, "payloads": found}
                tail = conn.execute(
                    "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                seq, prev = (int(tail[0]), bytes.fromhex(tail[1])) if tail else (0, GENESIS)
                rows, payloads, edc, classes = _chain([_prepare(event)], seq, prev)
                conn.executemany(schema.INSERT_PAYLOAD, payloads)
                conn.executemany(schema.INSERT_EVENT, rows)
                conn.executemany(schema.INSERT_EDC, edc)
                conn.executemany(schema.INSERT_CLASS, [(c,) for c in classes])
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return found, seq + 1


class LedgerWriter:
    """Buffers events and appends them in batches (never one transaction per event)."""

    def __init__(self, ledger: Ledger, *, batch: int, max_delay_s: float) -> None:
        self.ledger = ledger
        self.batch = max(1, batch)
        self.max_delay_s = max_delay_s
        self._buf: list[LedgerEvent] = []
        self._first = 0.0
        self.seqs: list[int] = []

    def add(self, event: LedgerEvent) -> None:
        check_event(event)
        if not self._buf:
            self._first = time.monotonic()
        self._buf.append(event)
        if len(self._buf) >= self.batch or time.monotonic() - self._first >= self.max_delay_s:
            self.flush()

    def flush(self) -> list[int]:
        if not self._buf:
            return []
        buf, self._buf = self._buf, []
        seqs = self.ledger.append(buf)
        self.seqs.extend(seqs)
        return seqs

    def __enter__(self) -> LedgerWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # flush on errors too: what happened before a crash is evidence
        self.flush()


# -- the chain ---------------------------------------------------------------------------

_Prepared = tuple[LedgerEvent, str | None, str | None, str | None, str, str, list[tuple[str, str]]]


def _payload(value: Any, out: list[tuple[str, str]]) -> str | None:
    if value is None:
        return None
    data = redact_bytes(encode_json(value))
    digest = hashlib.sha256(data).hexdigest()
    out.append((digest, data.decode()))
    return digest


def _prepare(e: LedgerEvent) -> _Prepared:
    """Everything about an event that does not depend on its place in the chain."""
    check_event(e)
    payloads: list[tuple[str, str]] = []
    ih = _payload(e.input, payloads)
    oh = _payload(e.output, payloads)
    ph = _payload(e.prompt, payloads)
    classes = sorted(set(e.data_classes))
    dc = orjson.dumps(classes).decode()
    attrs = redact_bytes(encode_json(e.attrs or {})).decode()
    return (e, ih, oh, ph, dc, attrs, payloads)


def _chain(
    prepared: list[_Prepared], seq: int, prev: bytes
) -> tuple[list[tuple[Any, ...]], list[tuple[str, str]], list[tuple[Any, ...]], set[str]]:
    rows: list[tuple[Any, ...]] = []
    payloads: list[tuple[str, str]] = []
    edc: list[tuple[Any, ...]] = []
    classes: set[str] = set()
    sha = hashlib.sha256
    dumps = orjson.dumps
    for e, ih, oh, ph, dc, attrs, pl in prepared:
        seq += 1
        cost = float(e.cost_usd)
        tokens = int(e.tokens)
        latency = float(e.latency_ms)
        # keys in sorted order: the same bytes as OPT_SORT_KEYS, without the sort
        body = dumps(
            {
                "attrs": attrs,
                "cost_usd": cost,
                "data_classes": dc,
                "git_commit": e.commit,
                "input_hash": ih,
                "kind": e.kind,
                "latency_ms": latency,
                "operation": e.operation,
                "output_hash": oh,
                "parent_span_id": e.parent_span_id,
                "principal": e.principal,
                "principal_version": e.principal_version,
                "prompt_hash": ph,
                "seq": seq,
                "span_id": e.span_id,
                "status": e.status,
                "tokens": tokens,
                "trace_id": e.trace_id,
                "ts": e.ts,
            }
        )
        digest = sha(prev + body).digest()
        rows.append(
            (
                seq,
                e.ts,
                e.kind,
                e.trace_id,
                e.span_id,
                e.parent_span_id,
                e.principal,
                e.principal_version,
                e.commit,
                e.operation,
                e.status,
                ih,
                oh,
                ph,
                dc,
                cost,
                tokens,
                latency,
                attrs,
                prev.hex(),
                digest.hex(),
            )
        )
        prev = digest
        if pl:
            payloads.extend(pl)
        if e.data_classes:
            for c in set(e.data_classes):
                edc.append((seq, c, e.ts, e.principal))
                classes.add(c)
    return rows, payloads, edc, classes


def _statements(script: str) -> list[str]:
    """Split our own DDL (no string literals with ';' inside a statement, except triggers)."""
    out: list[str] = []
    buf = ""
    for part in script.split(";"):
        buf += part + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \n;"):
                out.append(buf.strip())
            buf = ""
    return out
