"""The `agentctl serve` process: intake (HTTP or JSONL) → queue → a consumer.

The consumer is the worker that decides and acts (serve-act's); this module only needs the
`Consumer` protocol. Until a real one is plugged in (`CONSUMERS` below, or the `consumer`
argument), `MarkOnly` marks events processed and does nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from agentctl.serve.metrics import Metrics
from agentctl.serve.queue import Queue


class Consumer(Protocol):
    """What the serve process drives. All calls come from one thread (the worker loop).

    - `start()`: once, before anything else (load state, resume after a restart);
    - `step(max_events)`: handle up to `max_events` queued events after the queue's
      `processed()` cursor, `mark` them, return how many were handled (0: nothing to do);
    - `tick(now)`: time passed (epoch seconds from the shell's clock): schedules, expiries;
    - `close()`: once, at shutdown, after the last step: flush, release.
    """

    def start(self) -> None: ...

    def step(self, max_events: int) -> int: ...

    def tick(self, now: float) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ServeContext:
    """What a consumer is built from."""

    root: Path  # the workspace
    env: str | None  # --env
    ledger: Path  # the ledger file (the queue is beside it)
    queue: Queue
    metrics: Metrics
    clock: Callable[[], float]  # epoch seconds; the shell's clock (tests may pin it)


ConsumerFactory = Callable[[ServeContext], Consumer]


class MarkOnly:
    """A consumer that decides nothing: it marks each event processed (and counts it)."""

    def __init__(self, ctx: ServeContext) -> None:
        self.queue = ctx.queue
        self.metrics = ctx.metrics

    def start(self) -> None:
        pass

    def step(self, max_events: int) -> int:
        got = self.queue.after(self.queue.processed(), max_events)
        if got:
            self.queue.mark(got[-1].seq)
            self.metrics.inc("agentctl_events_processed_total", len(got))
        return len(got)

    def tick(self, now: float) -> None:
        pass

    def close(self) -> None:
        pass
