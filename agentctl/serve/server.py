"""The `agentctl serve` process: intake (HTTP or JSONL) → queue → a consumer.

The consumer is the worker that decides and acts (serve-act's); this module only needs the
`Consumer` protocol. Consumers are named in `CONSUMERS` (`DEFAULT_CONSUMER` is what
`agentctl serve` runs); `mark-only` marks events processed and does nothing else.

Threads: the HTTP server's (one per connection), the queue's writer (group commit), one
worker thread that alone calls the consumer, and the main thread, which waits for a stop
(a signal, the end of --events input, a failed worker) and then shuts down in order:
intake refuses (503) → the listener closes, idle connections end, in-flight requests are
answered → the queue writer commits what it holds → the worker ends its step and closes
→ the queue closes. Events not yet processed stay in the queue for the next start.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from agentctl.engine.events import MAX_LINE_BYTES, format_ts
from agentctl.errors import UsageError
from agentctl.findings import Finding, Location, Severity
from agentctl.serve.cloudevents import CloudEvent, parse_line
from agentctl.serve.http import DEFAULT_MAX_BODY, Auth, Intake, IntakeServer, flush_log
from agentctl.serve.metrics import Metrics
from agentctl.serve.queue import GroupCommit, Queue

if TYPE_CHECKING:
    from agentctl.model.index import Workspace


class Consumer(Protocol):
    """What the serve process drives. All calls come from one thread (the worker loop).

    - `start()`: once, before anything else (load state, resume after a restart);
    - `step(max_events)`: handle up to `max_events` queued events after the queue's
      `processed()` cursor, `mark` them, return how many were handled (0: nothing to do);
    - `tick(now)`: time passed (an aware UTC datetime from the shell's clock): schedules,
      expiries;
    - `close()`: once, at shutdown, after the last step: flush, release.
    """

    def start(self) -> None: ...

    def step(self, max_events: int) -> int: ...

    def tick(self, now: datetime) -> None: ...

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
    workspace: Workspace | None = None  # loaded once by `agentctl serve` (None in tests)


ConsumerFactory = Callable[[ServeContext], Consumer]


class MarkOnly:
    """A consumer that decides nothing: it marks each event processed (and counts it)."""

    def __init__(self, ctx: ServeContext) -> None:
        self.queue = ctx.queue
        self.metrics = ctx.metrics

    def start(self) -> None:
        pass

    def step(self, max_events: int) -> int:
        done = self.queue.processed()
        last = min(self.queue.last_seq(), done + max_events)
        if last > done:
            self.queue.mark(last)
            self.metrics.inc("agentctl_events_processed_total", last - done)
        return last - done

    def tick(self, now: datetime) -> None:
        pass

    def close(self) -> None:
        pass


# name → "module:factory". serve-act's worker registers here and becomes the default.
CONSUMERS: dict[str, str] = {
    "mark-only": "agentctl.serve.server:MarkOnly",
    "worker": "agentctl.serve.worker:from_context",
}
DEFAULT_CONSUMER = "worker"

FEED_BATCH = 500  # --events lines stored per synced commit
IDLE_TICK_S = 1.0  # how often an idle worker's consumer sees time pass (tick)


@contextlib.contextmanager
def only_server(ledger: Path) -> Iterator[None]:
    """Hold `<ledger>.serve-queue.lock` (an exclusive flock) while serving: two serve
    processes on one ledger would both consume the queue and decide every event twice."""
    from agentctl.ledger.location import lock_path

    path = lock_path(ledger, "serve", "queue")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        if sys.platform != "win32":  # pragma: no branch - no flock on Windows
            import fcntl

            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UsageError(
                    f"another agentctl serve is running on the ledger {ledger}",
                    hint="stop it first, or give this one another ledger (--ledger FILE)",
                ) from None
        yield


def consumer_factory(name: str) -> ConsumerFactory:
    where = CONSUMERS.get(name)
    if where is None:
        raise UsageError(f"unknown consumer {name!r}", hint="one of: " + ", ".join(CONSUMERS))
    module, _, attr = where.partition(":")
    factory: ConsumerFactory = getattr(importlib.import_module(module), attr)
    return factory


@dataclass
class ServeOptions:
    listen: tuple[str, int] | None = ("127.0.0.1", 8787)  # None: no HTTP (--events)
    auth: Auth = field(default_factory=Auth)
    max_body: int = DEFAULT_MAX_BODY
    events: BinaryIO | None = None  # --events: JSONL to feed, then drain and exit
    events_name: str = "-"  # how findings name the --events input
    batch: int = 200  # events per consumer step


@dataclass
class ServeResult:
    """What a serve run did: for the exit code and the closing summary."""

    findings: list[Finding] = field(default_factory=list)  # bad --events lines
    fed: int = 0  # --events lines stored (new or duplicate)
    stopped_by: str = ""  # "signal", "end of input", "worker failed"


class Stop:
    """When to stop. Other threads call `set()`. A signal handler calls only `signal()`,
    a plain attribute write: handlers run in the main thread between two bytecodes,
    possibly while it holds an Event's internal lock inside `wait()`, so a handler that
    called `Event.set()` could deadlock the process (it did, under two quick SIGTERMs).
    The main thread's waits are short polls that turn the flag into the event."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signalled = False

    def signal(self) -> None:
        self.signalled = True

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        if self.signalled and not self._event.is_set():
            self._event.set()
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        if not self.is_set():
            self._event.wait(timeout)
        return self.is_set()


class _Worker(threading.Thread):
    """The one thread that calls the consumer."""

    def __init__(self, consumer: Consumer, ctx: ServeContext, batch: int, stop: Stop):
        super().__init__(name="serve-worker", daemon=True)
        self.consumer = consumer
        self.ctx = ctx
        self.batch = batch
        self.halt = threading.Event()
        self.stop_all = stop
        self.error: BaseException | None = None

    def run(self) -> None:
        q = self.ctx.queue
        try:
            self.consumer.start()
            while not self.halt.is_set():
                seen = q.last_seq()
                n = self.consumer.step(self.batch)
                self.consumer.tick(datetime.fromtimestamp(self.ctx.clock(), UTC))
                if n == 0 and not self.halt.is_set():
                    q.wait(seen, IDLE_TICK_S)
        except BaseException as exc:  # handed to the main thread, which exits with it
            self.error = exc
            self.stop_all.set()
        finally:
            try:
                self.consumer.close()
            except BaseException as exc:
                self.error = self.error or exc
                self.stop_all.set()

    def end(self) -> None:
        self.halt.set()
        self.ctx.queue.wake()
        self.join()


def serve(
    ctx: ServeContext,
    factory: ConsumerFactory,
    opts: ServeOptions,
    stop: Stop,
    on_bound: Callable[[str], None] = lambda url: None,
) -> ServeResult:
    """Run intake and the worker until `stop` is set (or, with --events, until the input
    is stored and processed); shut down in order. Raises what the worker raised."""
    result = ServeResult()
    worker = _Worker(factory(ctx), ctx, opts.batch, stop)
    ctx.metrics.gauge("agentctl_queue_depth", lambda: float(ctx.queue.depth()))
    httpd: IntakeServer | None = None
    writer = GroupCommit(ctx.queue)
    intake = Intake(writer, ctx.metrics, opts.auth, max_body=opts.max_body, clock=ctx.clock)
    http_thread: threading.Thread | None = None
    try:
        if opts.listen is not None:
            try:
                httpd = IntakeServer(opts.listen, intake)
            except OSError as exc:
                host, port = opts.listen
                raise UsageError(
                    f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                    hint="pick another address with --listen HOST:PORT (port 0: any free port)",
                ) from None
        worker.start()
        if httpd is not None:
            http_thread = threading.Thread(
                target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="serve-http"
            )
            http_thread.start()
            host, port = httpd.bound
            on_bound(f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}")
        if opts.events is not None:
            _feed_then_drain(ctx, opts, result, stop)
        while not stop.wait(0.2):
            pass
        if not result.stopped_by:
            result.stopped_by = "worker failed" if worker.error else "signal"
    finally:
        intake.accepting = False
        if httpd is not None:
            if http_thread is not None:
                httpd.shutdown()
                http_thread.join()
            httpd.end_idle_connections()
            httpd.server_close()  # joins the connection threads: in-flight answers are sent
            flush_log()
        writer.close()
        if worker.is_alive():
            worker.end()
    if worker.error is not None:
        raise worker.error
    return result


def _feed_then_drain(
    ctx: ServeContext, opts: ServeOptions, result: ServeResult, stop: Stop
) -> None:
    """--events: store the input's events (in a thread, so a signal still stops a blocked
    read), then wait until the worker has processed everything, then stop."""
    assert opts.events is not None
    done = threading.Event()
    failed: list[BaseException] = []

    def feed() -> None:
        try:
            _feed(ctx, opts, result, stop)
        except BaseException as exc:
            failed.append(exc)
        finally:
            done.set()

    threading.Thread(target=feed, name="serve-feed", daemon=True).start()
    while not done.is_set() and not stop.wait(0.1):
        pass
    if failed:
        stop.set()
        raise failed[0]
    while not stop.is_set():
        if ctx.queue.processed() >= ctx.queue.last_seq():
            result.stopped_by = "end of input"
            stop.set()
            break
        stop.wait(0.05)


def _feed(ctx: ServeContext, opts: ServeOptions, result: ServeResult, stop: Stop) -> None:
    from agentctl.simulate.stream import _lines as bounded_lines  # one bounded line reader

    assert opts.events is not None
    batch: list[CloudEvent] = []
    for lineno, line in enumerate(bounded_lines(opts.events, MAX_LINE_BYTES), 1):
        if stop.is_set():
            return
        if line is None:
            result.findings.append(
                _bad_line(opts.events_name, lineno, f"the line is over {MAX_LINE_BYTES} bytes")
            )
            continue
        if not line.strip():
            continue
        got = parse_line(line)
        if isinstance(got, CloudEvent):
            batch.append(got)
        else:
            for p in got:
                result.findings.append(_bad_line(opts.events_name, lineno, str(p)))
        if len(batch) >= FEED_BATCH:
            result.fed += _store(ctx, batch)
            batch = []
    if batch:
        result.fed += _store(ctx, batch)


def _store(ctx: ServeContext, batch: list[CloudEvent]) -> int:
    accepted = ctx.queue.put(batch, format_ts(ctx.clock()))
    new = sum(1 for a in accepted if not a.duplicate)
    if new:
        ctx.metrics.inc("agentctl_events_accepted_total", new)
    if len(accepted) - new:
        ctx.metrics.inc("agentctl_events_duplicate_total", len(accepted) - new)
    return len(accepted)


def _bad_line(name: str, line: int, message: str) -> Finding:
    return Finding(
        "event-invalid",
        Severity.ERROR,
        message + "; the line was skipped",
        Location(name, line, 1),
        'one CloudEvent a line: {"specversion": "1.0", "id": "...", "source": "...", '
        '"type": "...", "data": {}}',
    )
