"""Per-day limits across runs and processes (the shell side; the guard decides).

A charter's per-day budget and a contract's per-day cost ceiling are shared by every run,
in every process. Before a run spends, it reserves: under an exclusive lock on a file next
to the ledger (`<ledger>.budget-<charter>.lock`, `<ledger>.contract-<name>.lock`), the day
is read from the ledger (what was used, and what other runs in flight hold: ledger/reserve.py),
the guard judges the step against it, and a `reservation` event is committed before the
lock is released. The step itself runs outside the lock. Rate-limit locks are taken before
these, and a contract's before its consumer's charter lock: one order, no deadlock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from agentctl.ledger import LedgerWriter
from agentctl.ledger.reserve import CharterDay, ContractDay, DayRows
from agentctl.runtime.errors import Denied
from agentctl.runtime.guard import LEASED, Counters, Guard, Want
from agentctl.runtime.ratelimit import _Lock


class ReserveGate:
    """The day's rows of each charter and contract this session touches, and their locks."""

    def __init__(self, writer: LedgerWriter, window: tuple[str, str]) -> None:
        self.writer = writer
        self.window = window
        self._charters: dict[str, tuple[DayRows, CharterDay]] = {}
        self._contracts: dict[str, tuple[DayRows, ContractDay]] = {}
        self._locks: dict[str, _Lock] = {}

    def lock_path(self, what: str, name: str) -> Path:
        from agentctl.ledger.location import lock_path

        return lock_path(self.writer.ledger.path, what, name)

    def charter_day(self, principal: str) -> CharterDay:
        """The charter's day as committed now. No flush: this run's own steps are the
        guard's to count, and other runs' uncommitted steps are covered by their holds
        (whose reservations are committed before their lock is released)."""
        got = self._charters.get(principal)
        if got is None:
            rows = DayRows(self.writer.ledger, *self.window, principal=principal)
            got = self._charters[principal] = (rows, CharterDay())
        for row in got[0].fetch():
            got[1].apply(row)
        return got[1]

    def contract_day(self, contract: str) -> ContractDay:
        """The contract's day as committed now, this session's requests included (an SLA
        rate over the day counts the run's earlier requests)."""
        self.writer.flush()
        got = self._contracts.get(contract)
        if got is None:
            rows = DayRows(self.writer.ledger, *self.window, contract=contract)
            got = self._contracts[contract] = (rows, ContractDay())
        for row in got[0].fetch():
            got[1].apply(row)
        return got[1]

    @contextlib.contextmanager
    def locked(self, what: str, name: str) -> Iterator[None]:
        """Hold the lock of a charter's ("budget") or a contract's ("contract") day;
        whatever was written meanwhile is committed before it is released."""
        key = f"{what}-{name}"
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = _Lock(self.lock_path(what, name))
        with lock.held():
            try:
                yield
            finally:
                self.writer.flush()

    def close(self) -> None:
        for lock in self._locks.values():
            lock.fh.close()
        self._locks.clear()


class DayLease:
    """What one run holds of its charter's per-day limits, and how it gets more.

    `stored_name`: the charter's name as the ledger holds it (redacted like any text);
    `record(attrs)` writes the run's `reservation` event."""

    def __init__(
        self,
        gate: ReserveGate,
        guard: Guard,
        stored_name: str,
        span: str,
        elapsed: Callable[[], float],
        record: Callable[[dict[str, Any]], None],
    ) -> None:
        self.gate = gate
        self.guard = guard
        self.stored_name = stored_name
        self.span = span
        self.elapsed = elapsed
        self.record = record
        self.held = Counters()
        per_day = guard.spec.budget.per_day
        self.per_day = any(getattr(per_day, d) is not None for d in (*LEASED, "wall_time"))
        self.leased = any(getattr(per_day, d) is not None for d in LEASED)

    def refresh(self) -> None:
        """guard.day := what the other runs of this charter used today or hold in flight."""
        if not self.per_day:
            return
        day = self.gate.charter_day(self.stored_name)
        others, flying = day.others(self.span)
        self.guard.day = Counters(
            usd=others.usd,
            tokens=others.tokens,
            steps=others.steps,
            tool_calls=others.tool_calls,
            wall_time_s=day.wall_time_s,
        )
        self.guard.day_in_flight = flying

    def fresh(self, want: Want) -> None:
        """Before the guard judges a step this run's reservation does not cover: the day as
        committed now (others' runs may have ended and released what they held)."""
        if self.leased and self.guard.lease_need(want, self.held) is not None:
            self.refresh()

    def take(self, want: Want) -> Denied | None:
        """Reserve `want` before it is spent: under the charter's lock, judged against the
        day as the ledger has it, committed before the lock is released."""
        g = self.guard
        if not self.leased or g.lease_need(want, self.held) is None:
            return None
        with self.gate.locked("budget", g.name):
            self.refresh()
            denied = g.check_day(want, self.elapsed())
            if denied is not None:
                return denied
            target = g.lease_need(want, self.held)
            if target is None:
                return None
            held = self.held
            self.record(
                {
                    "reserve": "budget",
                    "period": "day",
                    "usd": str(target.usd - held.usd),
                    "steps": target.steps - held.steps,
                    "tool_calls": target.tool_calls - held.tool_calls,
                    "tokens": target.tokens - held.tokens,
                }
            )
            self.held = target
        return None
