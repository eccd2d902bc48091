"""Connector rate limits across runs and processes (the shell side; the guard decides).

A rate limit `{calls: N, per: P}` is a sliding window over the ledger: a call is admitted
when fewer than N `tool_call` events of the connector are stamped later than now - P,
whichever run or process wrote them. To make that hold for concurrent processes, the
count, the call and the commit of its `tool_call` event happen under an exclusive lock on
a file next to the ledger (one per connector: `<ledger>.rate-<connector>.lock`). So calls
to a rate-limited connector are serialised across processes, and each is committed at
once rather than in the writer's batch; the OS releases the lock of a killed process.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as _dt
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from agentctl.ledger import LedgerWriter, format_ts


@dataclass
class _Window:
    per: _dt.timedelta
    last_seq: int
    stamps: list[str]  # ts of the calls still in the window, sorted


class RateGate:
    """Counts a connector's calls in its window, under the connector's lock.

    The window is read from the ledger once per session and connector, then kept up to
    date with the rows committed since (by this process or any other): a check costs a
    look at the new rows, not a count over the whole window."""

    def __init__(self, writer: LedgerWriter, now: Callable[[], _dt.datetime]) -> None:
        self.writer = writer
        self.now = now
        self._windows: dict[str, _Window] = {}
        self._locks: dict[str, _Lock] = {}

    def lock_path(self, connector: str) -> Path:
        from agentctl.ledger.location import lock_path

        return lock_path(self.writer.ledger.path, "rate", connector)

    @contextlib.contextmanager
    def slot(self, connector: str, per: _dt.timedelta) -> Iterator[int]:
        """Hold the connector's lock; yields the calls in the window ending now. Whatever
        the caller wrote meanwhile (its tool_call or denial event) is committed before the
        lock is released."""
        lock = self._locks.get(connector)
        if lock is None:
            lock = self._locks[connector] = _Lock(self.lock_path(connector))
        with lock.held():
            try:
                yield self._count(connector, per)
            finally:
                self.writer.flush()

    def close(self) -> None:
        for lock in self._locks.values():
            lock.fh.close()
        self._locks.clear()

    def _count(self, connector: str, per: _dt.timedelta) -> int:
        # this session's own calls are committed already: each is flushed on its way out
        ledger = self.writer.ledger
        since = format_ts(self.now() - per)
        w = self._windows.get(connector)
        if w is None or w.per != per:
            tail, stamps = ledger.connector_call_times(connector, after_ts=since)
            w = self._windows[connector] = _Window(per, tail, stamps)
        else:
            tail, new = ledger.connector_call_times(connector, after_ts=since, after_seq=w.last_seq)
            w.last_seq = tail
            for ts in new:
                bisect.insort(w.stamps, ts)
        del w.stamps[: bisect.bisect_right(w.stamps, since)]
        return len(w.stamps)


class _Lock:
    """An exclusive flock on a file, kept open for the session (locked per call). Re-entrant
    within the session: an inner hold neither blocks nor releases the outer one."""

    def __init__(self, path: Path) -> None:
        self.fh = open(path, "a+b")  # noqa: SIM115 - closed by RateGate.close
        self.depth = 0

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        if sys.platform == "win32":  # pragma: no cover - no flock: the count alone
            yield
            return
        import fcntl

        if self.depth == 0:
            fcntl.flock(self.fh.fileno(), fcntl.LOCK_EX)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
            if self.depth == 0:
                fcntl.flock(self.fh.fileno(), fcntl.LOCK_UN)
