"""How an eval run is scheduled: repeats, shards, bounded retries, the cost stop, and the
workers of `--jobs N` (docs/evals.md).

The shell of the evals package, like the runner: the clock and the sleep are passed in.
Workers are threads: a case spends its time in subprocesses, connectors and the ledger,
not in Python, so threads overlap its waits. Each worker writes through a ledger
connection of its own (SQLite serialises the writers; the chain's tail is read inside
each write transaction, ledger/store.py), never through one shared connection whose
transactions the threads would interleave.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from agentctl.errors import UsageError
from agentctl.ledger import Ledger

T = TypeVar("T")
U = TypeVar("U")

# the first retry waits this long, each next one twice as long, never more than BACKOFF_MAX
BACKOFF_S = 0.1
BACKOFF_MAX_S = 2.0


@dataclass
class RunOptions:
    """The command line's knobs for one eval run."""

    repeat: int = 1
    retries: int = 2
    retry_budget_s: float = 30.0
    max_cost_usd: float | None = None
    jobs: int = 1
    shard: tuple[int, int] | None = None  # (i, n): the i-th of n shards, 1-based

    def check(self) -> None:
        if self.repeat < 1:
            raise UsageError(f"--repeat {self.repeat}: must be at least 1")
        if self.retries < 0:
            raise UsageError(f"--retries {self.retries}: must be 0 or more")
        if self.retry_budget_s < 0:
            raise UsageError(f"--retry-budget {self.retry_budget_s:g}: must be 0 or more")
        if self.max_cost_usd is not None and self.max_cost_usd < 0:
            raise UsageError(f"--max-cost {self.max_cost_usd:g}: must be 0 or more")
        if self.jobs < 1:
            raise UsageError(f"--jobs {self.jobs}: must be at least 1")


def parse_shard(text: str) -> tuple[int, int]:
    """`--shard i/n` (1 <= i <= n)."""
    i, sep, n = text.partition("/")
    try:
        shard = (int(i), int(n))
    except ValueError:
        shard = (0, 0)
    if not sep or not 1 <= shard[0] <= shard[1]:
        raise UsageError(
            f"--shard {text!r} is not i/n", hint="e.g. --shard 1/4 (the first of 4 shards)"
        )
    return shard


def in_shard(position: int, shard: tuple[int, int] | None) -> bool:
    """Shards deal the selected cases out by position, round robin: case k (0-based, in
    workspace order) goes to shard k mod n + 1. Balanced, and the same for the same
    selection at the same commit (which `eval merge` checks)."""
    return shard is None or position % shard[1] == shard[0] - 1


def backoff(attempt: int) -> float:
    """The wait before retry `attempt` (1-based)."""
    return float(min(BACKOFF_MAX_S, BACKOFF_S * 2 ** (attempt - 1)))


class RetryBudget:
    """The total time retries may take in one eval run, shared by every worker: when it is
    spent, an errored case stays errored. Time spent waiting and re-running counts."""

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self.left = seconds
        self.clock = clock
        self._lock = threading.Lock()

    def wait_for(self, attempt: int) -> float | None:
        """How long to wait before retry `attempt`, or None: no time left for it."""
        with self._lock:
            if self.left <= 0:
                return None
            return min(backoff(attempt), self.left)

    @contextmanager
    def spending(self) -> Iterator[None]:
        t0 = self.clock()
        try:
            yield
        finally:
            with self._lock:
                self.left -= self.clock() - t0


class CostStop:
    """`--max-cost`: the run's spend so far (the cases' costs as the ledger recorded them);
    once it reaches the limit no case starts. A case already running finishes: with
    --jobs N, up to N-1 cases in flight may add to the spend after the limit is reached."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.spent = 0.0
        self._lock = threading.Lock()

    def reached(self) -> bool:
        with self._lock:
            return self.limit is not None and self.spent >= self.limit

    def add(self, usd: float) -> None:
        with self._lock:
            self.spent += usd


class Workers:
    """Runs work items on `jobs` threads, each with a ledger connection of its own; the
    results come back in the items' order whatever order they finish in."""

    def __init__(self, ledger: Ledger, jobs: int) -> None:
        self.ledger = ledger
        self.jobs = jobs
        self._local = threading.local()
        self._opened: list[Ledger] = []
        self._lock = threading.Lock()

    def own_ledger(self) -> Ledger:
        """The calling worker's ledger (the caller's own with one job)."""
        if self.jobs == 1:
            return self.ledger
        led: Ledger | None = getattr(self._local, "ledger", None)
        if led is None:
            led = Ledger.open(self.ledger.path)
            self._local.ledger = led
            with self._lock:
                self._opened.append(led)
        return led

    def map(self, fn: Callable[[T], U], items: Sequence[T]) -> list[U]:
        try:
            if self.jobs == 1 or len(items) <= 1:
                return [fn(item) for item in items]
            pool = ThreadPoolExecutor(self.jobs, thread_name_prefix="eval")
            try:
                futures = [pool.submit(fn, item) for item in items]
                return [f.result() for f in futures]
            finally:
                # on an error or Ctrl-C: no new case starts; the ones running finish and
                # are recorded (a run is never cut between its step and its event)
                pool.shutdown(wait=True, cancel_futures=True)
        finally:
            for led in self._opened:
                led.close()
            self._opened.clear()
