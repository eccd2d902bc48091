"""The intake queue: accepted CloudEvents in their own SQLite file beside the ledger.

"Stored" means it survives SIGKILL and power loss: the file is in WAL mode with
`synchronous = FULL`, so every commit syncs the WAL before `put` returns (NORMAL would
survive a killed process but could lose the last commits on power loss; an HTTP 202 is a
promise to the sender, who will not resend). The cost, one fsync per commit, is shared by
many requests through `GroupCommit`: one writer thread takes every batch waiting while the
previous commit synced and commits them together, answering each only after that commit.

Duplicates: an event is known by its CloudEvents `source` + `id` (a unique index); a second
arrival is reported as a duplicate with the first one's seq and stores nothing.

The consumer (the serve worker) reads `after(seq)` in seq order and moves the `processed`
cursor with `mark(seq)`. The cursor is a hint of progress, not the proof: the worker's
actions carry their own idempotency keys in the ledger, so a mark lost in a crash only
means a few events are offered again.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from agentctl.errors import AgentctlError
from agentctl.serve.cloudevents import CloudEvent

FORMAT = "agentctl-queue-v1"
BUSY_TIMEOUT_MS = 60_000

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        id TEXT NOT NULL,
        type TEXT NOT NULL,
        time TEXT NOT NULL,
        data TEXT NOT NULL,
        extra TEXT NOT NULL,
        received_at TEXT NOT NULL
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS events_source_id ON events (source, id)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    f"INSERT OR IGNORE INTO meta (key, value) VALUES ('format', '{FORMAT}')",
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('processed', '0')",
)
_INSERT = (
    "INSERT INTO events (source, id, type, time, data, extra, received_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, id) DO NOTHING RETURNING seq"
)
_ROW_COLUMNS = "seq, source, id, type, time, data, extra"  # a Row's, in its order
_COLUMNS = f"{_ROW_COLUMNS}, received_at"

# One stored event unparsed, for the worker's loop: (seq, source, id, type, time, data JSON,
# extra JSON). Making a Queued (two parses into a frozen dataclass) and then the engine's
# object from it was a fifth of the worker's time per event (bench/bench_worker.py); the
# worker makes its one object from the texts.
Row = tuple[int, str, str, str, str, str, str]


class QueueError(AgentctlError):
    """The queue file cannot be opened or written (not a queue, disk full, read-only)."""


@dataclass(frozen=True, slots=True)
class Accepted:
    """What became of one event of a `put`: stored as `seq`, or a duplicate of `seq`."""

    seq: int
    duplicate: bool
    source: str
    id: str


@dataclass(frozen=True, slots=True)
class Queued:
    """One stored event, as the consumer reads it.

    `time` is the event's CloudEvents `time` (RFC 3339, UTC), else the time it was received
    (the shell's clock at `put`): a replay of the queue sees the same times every run.
    `extra` holds the other CloudEvents attributes (subject, extensions, ...).
    """

    seq: int
    source: str
    id: str
    type: str
    time: str
    data: Any
    extra: dict[str, Any]
    received_at: str


def _row(r: tuple[Any, ...]) -> Queued:
    return Queued(int(r[0]), r[1], r[2], r[3], r[4], orjson.loads(r[5]), orjson.loads(r[6]), r[7])


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


class Queue:
    """One queue file. Thread-safe: writes go through one connection under a lock, reads
    through another (WAL lets the consumer read while intake commits)."""

    def __init__(self, path: Path, wconn: sqlite3.Connection, rconn: sqlite3.Connection) -> None:
        self.path = path
        self._w = wconn
        self._r = rconn
        self._wlock = threading.Lock()
        self._rlock = threading.Lock()
        self._new = threading.Condition()
        self._last = self._last_seq()

    @classmethod
    def open(cls, path: Path | str) -> Queue:
        """Open the queue at `path`, creating it (and its folder) when missing."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            wconn = _connect(path)
        except (OSError, sqlite3.Error) as exc:
            raise QueueError(f"{path}: cannot open the intake queue: {exc}") from None
        try:
            mode = wconn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise QueueError(f"{path}: cannot switch the intake queue to WAL (got {mode})")
            wconn.execute("PRAGMA synchronous = FULL")
            tables = {r[0] for r in wconn.execute("SELECT name FROM sqlite_master")}
            if tables and not {"events", "meta"} <= tables:
                raise QueueError(
                    f"{path}: not an agentctl intake queue (an SQLite file holding other tables)",
                    hint="the queue lives beside the ledger as <ledger>.queue; move this file",
                )
            wconn.execute("BEGIN IMMEDIATE")
            try:
                for stmt in _SCHEMA:
                    wconn.execute(stmt)
                got = wconn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
                wconn.execute("COMMIT")
            except BaseException:
                if wconn.in_transaction:
                    wconn.execute("ROLLBACK")
                raise
            if got is None or got[0] != FORMAT:
                raise QueueError(f"{path}: not an agentctl intake queue (format {got!r})")
            rconn = _connect(path)
        except sqlite3.DatabaseError as exc:
            wconn.close()
            raise QueueError(f"{path}: not an agentctl intake queue ({exc})") from None
        except BaseException:
            wconn.close()
            raise
        return cls(path, wconn, rconn)

    def close(self) -> None:
        with self._wlock, self._rlock:
            self._w.close()
            self._r.close()

    def __enter__(self) -> Queue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- intake --------------------------------------------------------------------------

    def put(self, events: Sequence[CloudEvent], received_at: str) -> list[Accepted]:
        """Store `events` in one transaction (synced before this returns); what became of
        each, in order. `received_at` (RFC 3339, from the shell's clock) is the `time` of an
        event that has none."""
        return self.put_many([(events, received_at)])[0]

    def put_many(self, batches: Sequence[tuple[Sequence[CloudEvent], str]]) -> list[list[Accepted]]:
        """Several `put`s in one transaction (group commit): all stored, or none."""
        out: list[list[Accepted]] = []
        with self._wlock:
            conn = self._w
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for events, received_at in batches:
                        out.append([self._insert(e, received_at) for e in events])
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise QueueError(
                    f"{self.path}: cannot store events in the intake queue: {exc}",
                    hint="check the disk space and the file's permissions",
                ) from exc
            new = [a.seq for acc in out for a in acc if not a.duplicate]
        if new:
            with self._new:
                self._last = max(self._last, *new)
                self._new.notify_all()
        return out

    def _insert(self, e: CloudEvent, received_at: str) -> Accepted:
        row = self._w.execute(
            _INSERT,
            (
                e.source,
                e.id,
                e.type,
                e.time or received_at,
                orjson.dumps(e.data).decode(),
                orjson.dumps(e.extra, option=orjson.OPT_SORT_KEYS).decode(),
                received_at,
            ),
        ).fetchone()
        if row is not None:
            return Accepted(int(row[0]), False, e.source, e.id)
        got = self._w.execute(
            "SELECT seq FROM events WHERE source = ? AND id = ?", (e.source, e.id)
        ).fetchone()
        return Accepted(int(got[0]), True, e.source, e.id)

    # -- the consumer's side -------------------------------------------------------------

    def after(self, seq: int, limit: int = 1000) -> list[Queued]:
        """Up to `limit` events with a seq above `seq`, in seq order."""
        with self._rlock:
            rows = self._r.execute(
                f"SELECT {_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()
        return [_row(r) for r in rows]

    def rows_after(self, seq: int, limit: int = 1000) -> list[Row]:
        """`after`'s events as unparsed Rows (the worker's hot loop)."""
        with self._rlock:
            return self._r.execute(
                f"SELECT {_ROW_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()

    def get(self, seq: int) -> Queued | None:
        with self._rlock:
            r = self._r.execute(f"SELECT {_COLUMNS} FROM events WHERE seq = ?", (seq,)).fetchone()
        return None if r is None else _row(r)

    def processed(self) -> int:
        """The consumer's cursor: every event up to this seq has been handled."""
        with self._rlock:
            row = self._r.execute("SELECT value FROM meta WHERE key = 'processed'").fetchone()
        return int(row[0])

    def mark(self, seq: int) -> None:
        """Move the cursor to `seq` (never backwards: a late mark of an older seq is a no-op)."""
        with self._wlock:
            # not synced on its own (the next put's synced commit carries it): the cursor
            # is a hint, and a mark lost to a power cut only offers a few events again,
            # which the worker's idempotency keys absorb. Syncing it would take one fsync
            # from intake for every step of the worker.
            try:
                self._w.execute("PRAGMA synchronous = NORMAL")
                try:
                    self._w.execute(
                        "UPDATE meta SET value = CAST(max(CAST(value AS INTEGER), ?) AS TEXT) "
                        "WHERE key = 'processed'",
                        (int(seq),),
                    )
                finally:
                    self._w.execute("PRAGMA synchronous = FULL")
            except sqlite3.Error as exc:
                raise QueueError(f"{self.path}: cannot move the queue's cursor: {exc}") from exc
        with self._new:
            self._new.notify_all()

    def last_seq(self) -> int:
        """The seq of the newest stored event (0 when empty)."""
        return self._last_seq()

    def _last_seq(self) -> int:
        with self._rlock:
            row = self._r.execute("SELECT max(seq) FROM events").fetchone()
        return int(row[0] or 0)

    def depth(self) -> int:
        """Events stored and not yet marked processed."""
        with self._rlock:
            row = self._r.execute(
                "SELECT count(*) FROM events WHERE seq > "
                "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'processed')"
            ).fetchone()
        return int(row[0])

    def wake(self) -> None:
        """End every `wait` now (shutdown)."""
        with self._new:
            self._new.notify_all()

    def wait(self, seq: int, timeout: float) -> bool:
        """Wait up to `timeout` seconds for an event above `seq` to be stored by this
        process (`put`) or for the cursor to move; whether one is there now."""
        with self._new:
            if self._last > seq:
                return True
            self._new.wait(timeout)
            return self._last > seq


class _Request:
    """One caller's events, and a lock it blocks on until the writer releases it: the
    cheapest wake-up there is (an Event would build a Condition and a lock per wait)."""

    __slots__ = ("done", "error", "events", "received_at", "result")

    def __init__(self, events: Sequence[CloudEvent], received_at: str) -> None:
        self.events = events
        self.received_at = received_at
        self.done = threading.Lock()
        self.done.acquire()
        self.result: list[Accepted] | None = None
        self.error: BaseException | None = None


class GroupCommit:
    """One writer thread: concurrent `put`s waiting while a commit syncs are committed
    together in the next transaction; each caller returns only once its events are synced."""

    def __init__(self, queue: Queue, max_events: int = 5000) -> None:
        self.queue = queue
        self.max_events = max_events
        self._pending: deque[_Request] = deque()
        self._cv = threading.Condition()
        self._idle = False  # the writer waits for work: a put must wake it
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="queue-writer", daemon=True)
        self._thread.start()

    def put(self, events: Sequence[CloudEvent], received_at: str) -> list[Accepted]:
        req = _Request(events, received_at)
        with self._cv:
            if self._closing:
                raise QueueError("the intake queue is closing")
            self._pending.append(req)
            if self._idle:  # a busy writer looks at the pending list after its commit
                self._cv.notify()
        req.done.acquire()
        if req.error is not None:
            raise req.error
        assert req.result is not None
        return req.result

    def close(self) -> None:
        """Commit what is pending, then stop the thread."""
        with self._cv:
            self._closing = True
            self._cv.notify()
        self._thread.join()

    def _take(self) -> list[_Request]:
        with self._cv:
            while not self._pending and not self._closing:
                self._idle = True
                self._cv.wait()
                self._idle = False
            batch: list[_Request] = []
            n = 0
            while self._pending and (
                not batch or n + len(self._pending[0].events) <= self.max_events
            ):
                req = self._pending.popleft()
                n += len(req.events)
                batch.append(req)
            return batch

    def _run(self) -> None:
        while True:
            batch = self._take()
            if not batch:
                return
            try:
                results = self.queue.put_many([(r.events, r.received_at) for r in batch])
            except BaseException as exc:
                for r in batch:
                    r.error = exc
            else:
                for r, res in zip(batch, results, strict=True):
                    r.result = res
            for r in batch:
                r.done.release()
