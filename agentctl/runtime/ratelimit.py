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

import contextlib
import datetime as _dt
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from agentctl.ledger import LedgerWriter, format_ts


class RateGate:
    """Counts a connector's calls in its window, under the connector's lock."""

    def __init__(self, writer: LedgerWriter, now: Callable[[], _dt.datetime]) -> None:
        self.writer = writer
        self.now = now

    def lock_path(self, connector: str) -> Path:
        path = self.writer.ledger.path
        return path.with_name(f"{path.name}.rate-{connector}.lock")

    @contextlib.contextmanager
    def slot(self, connector: str, per: _dt.timedelta) -> Iterator[int]:
        """Hold the connector's lock; yields the calls in the window ending now. Whatever
        the caller wrote meanwhile (its tool_call or denial event) is committed before the
        lock is released."""
        with _locked(self.lock_path(connector)):
            # this session's own calls are committed already: each is flushed on its way out
            since = format_ts(self.now() - per)
            try:
                yield self.writer.ledger.connector_calls(connector, since)
            finally:
                self.writer.flush()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    if sys.platform == "win32":  # pragma: no cover - no flock: the count alone
        yield
        return
    import fcntl

    with open(path, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
