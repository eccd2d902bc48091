"""The ledger file: open, append (hash-chained, batched), daily totals, erase.

This is the shell: it touches the disk. Appends take SQLite's write lock up front
(BEGIN IMMEDIATE) and read the tail hash inside that transaction, so several processes
appending at once serialise cleanly and never fork the chain. A journaled event (the intent
of a call with an effect) is committed at once and synced (`synchronous = FULL`).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import math
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

from agentctl.interrupts import held
from agentctl.ledger import schema
from agentctl.ledger.errors import LedgerError as LedgerError  # re-exported
from agentctl.ledger.record import (
    GENESIS,
    LedgerEvent,
    check_event,
    encode_json,
    int_text,
    redact_bytes,
    redact_columns,
    text,
)

BUSY_TIMEOUT_MS = 60_000
STEP_KINDS = ("model_call", "tool_call", "agent_request")
_SQL_INT_MIN, _SQL_INT_MAX = -(2**63), 2**63 - 1  # what an SQLite INTEGER holds


class LedgerWriteError(LedgerError):
    """Events could not be committed (disk full, read-only file, lock held too long, I/O
    error, a trigger refusing them). The events stay with the writer, not lost silently."""


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
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LedgerError(
                    f"{path}: cannot create the ledger's folder {path.parent}: "
                    f"{exc.strerror or exc}",
                    hint="a path component is a file or not writable: pass --ledger FILE, "
                    "or check spec.ledger in agentctl.yaml",
                ) from None
        try:
            conn = _connect(path, readonly)
        except sqlite3.Error as exc:
            raise LedgerError(f"{path}: cannot open the ledger: {exc}") from None
        try:
            ledger_id = cls._read_id(conn, path) if readonly else cls._create(conn, path)
            if not readonly:  # never append to a file whose triggers or views were changed
                schema.prepare_for_writing(conn, path)
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
            for stmt in schema.statements(schema.ALL):
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
        for e in events:
            check_event(e)
        return self._append_checked(events)

    def _append_checked(self, events: Sequence[LedgerEvent]) -> list[int]:
        return [seq for seq, _hash in self._commit(events)]

    def _commit(
        self, events: Sequence[LedgerEvent], durable: bool = False
    ) -> list[tuple[int, str]]:
        """Append checked events; their (seq, hash). Raises LedgerWriteError when SQLite
        cannot commit them (nothing of the batch is then in the ledger)."""
        if not events:
            return []
        # the encoding allocates many small objects and no cycles: pausing the cyclic GC
        # keeps it from rescanning the caller's heap mid-batch (the loader does the same)
        paused = gc.isenabled()
        gc.disable()
        try:
            prepared = [_prepare(e) for e in events]
            with self._lock:
                return self._write(prepared, durable)
        except sqlite3.Error as exc:
            raise LedgerWriteError(
                f"{self.path}: cannot write the ledger: {exc}",
                hint="check the disk space and the file's permissions, then agentctl ledger verify",
            ) from exc
        finally:
            if paused:
                gc.enable()

    def _write(self, prepared: list[_Prepared], durable: bool = False) -> list[tuple[int, str]]:
        """Hash and insert in one IMMEDIATE transaction (the write lock taken up front, the
        tail read inside it: a concurrent writer can neither interleave nor fork the chain).
        `durable`: the commit syncs the WAL to disk before it returns."""
        conn = self.conn
        if durable:
            conn.execute("PRAGMA synchronous = FULL")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                written = self._insert_rows(prepared)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        finally:
            if durable:
                conn.execute("PRAGMA synchronous = NORMAL")
        return written

    def _insert(self, prepared: list[_Prepared]) -> int:
        """Insert inside the caller's transaction; the first new seq."""
        return self._insert_rows(prepared)[0][0]

    def _insert_rows(self, prepared: list[_Prepared]) -> list[tuple[int, str]]:
        conn = self.conn
        tail = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (int(tail[0]), bytes.fromhex(tail[1])) if tail else (0, GENESIS)
        rows, payloads, edc, classes = _chain(prepared, seq, prev)
        conn.executemany(schema.INSERT_PAYLOAD, payloads)
        conn.executemany(schema.INSERT_EVENT, rows)
        if edc:
            conn.executemany(schema.INSERT_EDC, edc)
            conn.executemany(schema.INSERT_CLASS, [(c,) for c in sorted(classes)])
        return [(row[0], row[20]) for row in rows]

    def writer(self, *, batch: int = 500, max_delay_s: float = 0.2) -> LedgerWriter:
        """A buffering writer: commits every `batch` events or `max_delay_s` after the first."""
        return LedgerWriter(self, batch=batch, max_delay_s=max_delay_s)

    # -- reading -------------------------------------------------------------------------

    def missing(self, committed: Sequence[tuple[int, str]]) -> list[int]:
        """The seqs among `committed` (seq, hash) whose row is gone or holds another hash:
        events a writer committed that are no longer in the chain as it wrote them."""
        out: list[int] = []
        with self._lock:
            for i in range(0, len(committed), 500):
                chunk = committed[i : i + 500]
                marks = ",".join("?" * len(chunk))
                found = dict(
                    self.conn.execute(
                        f"SELECT seq, hash FROM events WHERE seq IN ({marks})",
                        [seq for seq, _ in chunk],
                    ).fetchall()
                )
                out.extend(seq for seq, digest in chunk if found.get(seq) != digest)
        return out

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

    def contract_totals(self, contract: str, since_ts: str, until_ts: str) -> dict[str, float]:
        """Requests made under `contract` in [since_ts, until_ts): what a contract's per-day
        cost ceiling is checked on. A range scan of the (kind, ts) index.

        requests counts the agent_request events with attrs.contract; usd sums their
        attrs.cost_usd (what the provider spent: the cost_usd column stays 0 there, the
        provider's own events carry the cost); sla_missed counts attrs.sla_missed.
        """
        row = self.conn.execute(
            """
            SELECT count(*), total(json_extract(attrs, '$.cost_usd')),
                   total(json_extract(attrs, '$.sla_missed') = 1)
            FROM events
            WHERE kind = 'agent_request' AND ts >= ? AND ts < ?
              AND json_extract(attrs, '$.contract') = ?
            """,
            (since_ts, until_ts, contract),
        ).fetchone()
        keys = ("requests", "usd", "sla_missed")
        return {k: float(v or 0.0) for k, v in zip(keys, row, strict=True)}

    def connector_calls(self, connector: str, after_ts: str) -> int:
        """tool_call events (executed: ok or error, never denials) of `connector.*` stamped
        after `after_ts`: what a connector's rate limit (a sliding window) is checked on.
        A range scan of the (kind, ts) index."""
        row = self.conn.execute(
            "SELECT count(*) FROM events WHERE kind = 'tool_call' AND ts > ? "
            "AND operation >= ? AND operation < ?",
            (after_ts, connector + ".", connector + "/"),  # '/' sorts right after '.'
        ).fetchone()
        return int(row[0])

    def connector_call_times(
        self, connector: str, *, after_ts: str = "", after_seq: int = 0
    ) -> tuple[int, list[str]]:
        """The ts (sorted) of the tool_call events of `connector.*` with ts > after_ts and
        seq > after_seq, up to the last seq, which is returned too. A rate-limit window is
        seeded once with after_ts (a range scan of the (kind, ts) index) and then kept up
        to date by passing the last seq back (a rowid range scan of the new rows only).
        No transaction needed: every row up to a committed seq is committed."""
        lo, hi = connector + ".", connector + "/"
        with self._lock:
            conn = self.conn
            tail = int(conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])
            if after_seq:
                # unary + keeps the planner on the rowid range, not the kind index
                sql = (
                    "SELECT ts FROM events WHERE seq > ? AND seq <= ? AND +kind = 'tool_call' "
                    "AND +operation >= ? AND +operation < ? AND ts > ?"
                )
                args: tuple[Any, ...] = (after_seq, tail, lo, hi, after_ts)
            else:
                sql = (
                    "SELECT ts FROM events WHERE kind = 'tool_call' AND ts > ? "
                    "AND operation >= ? AND operation < ? AND seq <= ?"
                )
                args = (after_ts, lo, hi, tail)
            stamps = sorted(r[0] for r in conn.execute(sql, args))
        return tail, stamps

    def payload(self, digest: str | None) -> Any:
        """The stored payload for a hash: the value, None when absent or erased."""
        if digest is None:
            return None
        row = self.conn.execute("SELECT content FROM payloads WHERE hash = ?", (digest,)).fetchone()
        if row is None or row[0] is None:
            return None
        return orjson.loads(row[0])

    # -- erasing -------------------------------------------------------------------------

    def append_with(
        self,
        build: Callable[[sqlite3.Connection], LedgerEvent],
        after: Callable[[sqlite3.Connection, int], None],
    ) -> int:
        """Append one event built from the ledger as it is under the write lock, then run
        `after(conn, seq)` in the same transaction: all of it commits, or none. What an
        erasure needs (agentctl.ledger.erasure.erase): the references to erase are read,
        the event listing them appended and the erasure applied with no append between."""
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                event = build(conn)
                check_event(event)
                seq = self._insert([_prepare(event)])
                after(conn, seq)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return seq

    def append_built(
        self, build: Callable[[sqlite3.Connection], Sequence[LedgerEvent]]
    ) -> list[int]:
        """Append the events `build` makes from the ledger as it is under the write lock,
        in one transaction: what a deployment needs (agentctl/deploy/state.py): the applied
        state and the approvals are checked, and the deployment and its approvals' use
        recorded, with no append between; all of it commits or none. `build` may raise to
        refuse (nothing is written)."""
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                events = list(build(conn))
                for event in events:
                    check_event(event)
                written = self._insert_rows([_prepare(e) for e in events]) if events else []
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return [seq for seq, _hash in written]


class LedgerWriter:
    """Buffers events and appends them in batches (never one transaction per event);
    `journal` commits one event at once, durably, for what must be on disk before it
    happens.

    A failed batch stays in the buffer (retried by the next `flush`) and is remembered in
    `failure`: callers stop the run, and what could not be written is reported, never
    dropped. `committed` lists the (seq, hash) of every event this writer committed, for
    the end-of-run check that they are all still in the chain (`Ledger.missing`)."""

    def __init__(self, ledger: Ledger, *, batch: int, max_delay_s: float) -> None:
        self.ledger = ledger
        self.batch = max(1, batch)
        self.max_delay_s = max_delay_s
        self._buf: list[LedgerEvent] = []
        self._first = 0.0
        self.seqs: list[int] = []
        self.committed: list[tuple[int, str]] = []
        self.failure: LedgerWriteError | None = None

    @property
    def pending(self) -> int:
        """Events added and not yet committed."""
        return len(self._buf)

    def add(self, event: LedgerEvent) -> None:
        """Buffer `event`; a batch that is due is committed. Never raises for the disk: a
        failed commit sets `failure` (once failed, batches wait for an explicit flush)."""
        check_event(event)
        if not self._buf:
            self._first = time.monotonic()
        self._buf.append(event)
        if self.failure is None and (
            len(self._buf) >= self.batch or time.monotonic() - self._first >= self.max_delay_s
        ):
            with contextlib.suppress(LedgerWriteError):  # kept in failure and the buffer
                self.flush()

    def flush(self, durable: bool = False) -> list[int]:
        """Commit the buffer; raises LedgerWriteError (the buffer is kept) if it cannot.

        Ctrl-C is held meanwhile: a KeyboardInterrupt between taking the buffer and noting
        the commit would lose the batch (or, put back, commit it twice)."""
        if not self._buf:
            return []
        with held():
            buf, self._buf = self._buf, []
            try:
                written = self.ledger._commit(buf, durable)
            except BaseException as exc:
                self._buf = buf + self._buf
                if isinstance(exc, LedgerWriteError):
                    self.failure = exc
                raise
            seqs = [seq for seq, _ in written]
            self.seqs.extend(seqs)
            self.committed.extend(written)
        return seqs

    def journal(self, event: LedgerEvent) -> int:
        """Commit `event` now (with everything buffered before it) and sync it to disk; its
        seq. Raises LedgerWriteError when it cannot: `event` is then withdrawn (it must not
        be recorded later, since what it announces will not happen)."""
        check_event(event)
        self._buf.append(event)
        try:
            return self.flush(durable=True)[-1]
        except LedgerWriteError:
            self._buf.remove(event)
            raise

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

# (canonical dict with a seq placeholder, row with seq/prev/hash placeholders, payloads,
#  data classes): all an event needs before it has a place in the chain. Built outside the
#  write lock so concurrent writers hold it only for the hashing and the inserts.
_Prepared = tuple[dict[str, Any], list[Any], list[tuple[str, str]], list[str]]


def _payload(value: Any, out: list[tuple[str, str]]) -> str | None:
    if value is None:
        return None
    data = redact_bytes(encode_json(value))
    digest = hashlib.sha256(data).hexdigest()
    out.append((digest, data.decode()))
    return digest


def _prepare(e: LedgerEvent) -> _Prepared:
    """The event ready to chain. No value may cost an event: an event whose fields cannot be
    stored at all is recorded with its identity, kind and status and an `unrecordable`
    note instead of being dropped (and never takes the rest of its batch with it)."""
    try:
        return _prepare_event(e)
    except Exception as exc:
        stub = LedgerEvent(
            kind=e.kind,
            trace_id=e.trace_id,
            span_id=e.span_id,
            parent_span_id=e.parent_span_id,
            ts=e.ts,
            principal=_column(e.principal) or "",
            principal_version=_column(e.principal_version) or "",
            commit=_column(e.commit),
            operation=_column(e.operation),
            status=_column(e.status) or "error",
            attrs={"unrecordable": f"{type(exc).__name__}: {exc}"},
        )
        return _prepare_event(stub)


def _column(value: Any) -> str | None:
    """A text column: a string, valid UTF-8 (lone surrogates escaped), or None."""
    if value is None:
        return None
    return text(value if isinstance(value, str) else str(value))


def _real(value: Any, name: str, notes: dict[str, Any]) -> float:
    """A REAL column. NaN is stored as 0.0 (SQLite would store NULL) with the value in
    attrs; infinities are kept (the chain writes them as null)."""
    try:
        number = float(value)
    except OverflowError:
        number = math.inf if value > 0 else -math.inf
    except (TypeError, ValueError):
        notes[f"{name}_invalid"] = _column(repr(value))
        return 0.0
    if math.isnan(number):
        notes[f"{name}_invalid"] = "nan"
        return 0.0
    return number


def _integer(value: Any, name: str, notes: dict[str, Any]) -> int:
    """An INTEGER column: beyond SQLite's 64 bits, the nearest bound, and the exact value
    as a decimal string in attrs."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        notes[f"{name}_invalid"] = _column(repr(value))
        return 0
    if _SQL_INT_MIN <= number <= _SQL_INT_MAX:
        return number
    notes[f"{name}_exact"] = int_text(number)
    return max(_SQL_INT_MIN, min(_SQL_INT_MAX, number))


def _prepare_event(e: LedgerEvent) -> _Prepared:
    # text columns as valid UTF-8 strings before anything reads them as text
    e.operation = _column(e.operation)
    e.principal = _column(e.principal) or ""
    if e.data_classes:
        e.data_classes = [_column(c) or "" for c in e.data_classes]
    redact_columns(e)
    payloads: list[tuple[str, str]] = []
    ih = None if e.input is None else _payload(e.input, payloads)
    oh = None if e.output is None else _payload(e.output, payloads)
    ph = None if e.prompt is None else _payload(e.prompt, payloads)
    classes = e.data_classes
    if classes:
        classes = sorted({_column(c) or "" for c in classes})
        dc = orjson.dumps(classes).decode()
    else:
        dc = "[]"
    if not isinstance(e.attrs, Mapping):
        raise TypeError(f"attrs must be an object, not {type(e.attrs).__name__}")
    notes: dict[str, Any] = {}
    cost = _real(e.cost_usd, "cost_usd", notes)
    tokens = _integer(e.tokens, "tokens", notes)
    latency = _real(e.latency_ms, "latency_ms", notes)
    raw_attrs = {**e.attrs, **notes} if notes else e.attrs
    attrs = redact_bytes(encode_json(raw_attrs)).decode() if raw_attrs else "{}"
    kind = _column(e.kind) or ""
    principal = _column(e.principal) or ""
    version = _column(e.principal_version) or ""
    commit = _column(e.commit)
    operation = _column(e.operation)
    status = _column(e.status) or ""
    # keys in sorted order: the same bytes as OPT_SORT_KEYS without sorting per row;
    # "seq" keeps its place when it is filled in later
    body = {
        "attrs": attrs,
        "cost_usd": cost,
        "data_classes": dc,
        "git_commit": commit,
        "input_hash": ih,
        "kind": kind,
        "latency_ms": latency,
        "operation": operation,
        "output_hash": oh,
        "parent_span_id": e.parent_span_id,
        "principal": principal,
        "principal_version": version,
        "prompt_hash": ph,
        "seq": 0,
        "span_id": e.span_id,
        "status": status,
        "tokens": tokens,
        "trace_id": e.trace_id,
        "ts": e.ts,
    }
    row = [
        0,
        e.ts,
        kind,
        e.trace_id,
        e.span_id,
        e.parent_span_id,
        principal,
        version,
        commit,
        operation,
        status,
        ih,
        oh,
        ph,
        dc,
        cost,
        tokens,
        latency,
        attrs,
        "",
        "",
    ]
    return body, row, payloads, classes


def _chain(
    prepared: list[_Prepared], seq: int, prev: bytes
) -> tuple[list[list[Any]], list[tuple[str, str]], list[tuple[Any, ...]], set[str]]:
    rows: list[list[Any]] = []
    payloads: list[tuple[str, str]] = []
    edc: list[tuple[Any, ...]] = []
    classes: set[str] = set()
    sha = hashlib.sha256
    dumps = orjson.dumps
    prev_hex = prev.hex()
    for body, row, pl, dcs in prepared:
        seq += 1
        body["seq"] = seq
        digest = sha(prev + dumps(body)).digest()
        digest_hex = digest.hex()
        row[0] = seq
        row[19] = prev_hex
        row[20] = digest_hex
        rows.append(row)
        prev, prev_hex = digest, digest_hex
        if pl:
            payloads.extend(pl)
        if dcs:
            ts, principal = row[1], row[6]
            for c in dcs:
                edc.append((seq, c, ts, principal))
            classes.update(dcs)
    return rows, payloads, edc, classes
