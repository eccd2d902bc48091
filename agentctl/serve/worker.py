"""The worker: queued events in seq order → the engine (as `simulate` runs it) → ledger →
actions. What `agentctl serve` runs behind its intake (the consumer protocol of
agentctl/serve/server.py: start, step, tick, close).

Determinism. Each queued event becomes the same `Event` a JSONL line does (`parse_object`,
the simulator's own parser after the JSON is read) and goes through the same `Engine`,
so the same events give the same decisions, byte for byte. Each decision is one
`policy_decision` ledger event whose output is `Decision.to_dict()` and whose
`decision_id` is the policy and the event's queue seq (`actions.decision_id`).

Restarts. Engine state (`for:` holds, cooldowns, keys, bounds, budgets) is never saved:
`start` replays every event the queue marks processed through a fresh engine without
acting and checks that each decision equals the one in the ledger (same id, same payload
hash). A decision already in the ledger is not written again; an action already journaled
is not run again (agentctl/serve/actions.py). So after a SIGKILL anywhere, the restarted
worker decides the rest as an uninterrupted one would, and no action runs twice.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from agentctl.engine import Decision, Engine, Event, build
from agentctl.engine.events import parse_object
from agentctl.errors import FindingsError
from agentctl.findings import Finding
from agentctl.ledger import Ledger
from agentctl.ledger.record import LedgerEvent, encode_json, format_ts, redact_bytes
from agentctl.model.index import Workspace
from agentctl.serve import actions, drift, gate, schedule
from agentctl.serve.actions import decision_id, ids
from agentctl.serve.cloudevents import CloudEvent, parse_event
from agentctl.serve.metrics import Metrics
from agentctl.serve.queue import Queue, Row

if TYPE_CHECKING:
    from agentctl.serve.server import ServeContext

BATCH = 256  # queued events read at a time (the restart replay and each step)
MARK_EVERY = 5000  # events between two saves of the queue's cursor, at most
MARK_EVERY_S = 0.5  # seconds between two saves, at most
_WAITS = ("needs_approval", "escalated")  # outcomes whose actions wait for an approval


def row_line(r: Row) -> dict[str, Any]:
    """A queued CloudEvent (a queue Row, parsed afresh) as the engine's event object (the
    shape of a simulator JSONL line): `ts` (the CloudEvents `time`, else when it was
    received), `type`, `data`, and `id`, `source` and the other attributes as
    `event.<name>`."""
    line: dict[str, Any] = orjson.loads(r[6])  # the other attributes, keys sorted
    # set in place: as in {**extra, "id": ...}, a key already there keeps its place
    line["id"] = r[2]
    line["source"] = r[1]
    line["type"] = r[3]
    line["ts"] = r[4]
    line["data"] = orjson.loads(r[5])
    return line


def to_event(r: Row) -> Event | Finding:
    """The engine's Event for a queued event: through `parse_object`, the checks and number
    handling of the simulator's own parser (`parse_line` is it after `orjson.loads`), so
    live and simulated events are one thing. The engine may turn the Event's integers
    into doubles in place: what is recorded is parsed afresh (`row_line`)."""
    # deep=False: nothing is queued without intake's CloudEvents validation, which caps the
    # nesting of `data` as parse_line does (serve/cloudevents.py); attributes are scalars
    return parse_object(row_line(r), r[0], "queue", deep=False)


def payload_hash(value: Any) -> str:
    """The hash the ledger gives a payload (store._payload): to compare without reading."""
    return hashlib.sha256(redact_bytes(encode_json(value))).hexdigest()


@dataclass
class Stats:
    """What the worker counts, for /metrics and the tests."""

    decisions: dict[str, int] = field(default_factory=dict)  # by outcome label
    replayed: int = 0
    mismatched: list[str] = field(default_factory=list)  # decision ids that differ on replay
    skipped: int = 0  # events the engine cannot take (a finding), and so not decided
    actions_run: int = 0


class Worker:
    """One consumer of the queue. `now` is the shell's clock (ledger timestamps, runs)."""

    def __init__(
        self,
        ws: Workspace,
        root: Path,
        queue: Queue,
        ledger: Ledger,
        *,
        now: Callable[[], _dt.datetime] = lambda: _dt.datetime.now(_dt.UTC),
        environ: Mapping[str, str] | None = None,
        log: Callable[[str], None] = lambda _m: None,
        metrics: Metrics | None = None,
        act: bool = True,
        approval_ttl_s: float = gate.APPROVAL_TTL_S,
        env: str | None = None,
    ) -> None:
        self.ws, self.root, self.queue, self.ledger = ws, root, queue, ledger
        self.now, self.log, self.act = now, log, act
        self.metrics = metrics or Metrics()
        self.owns_ledger = False
        self.writer = ledger.writer(batch=500, max_delay_s=3600.0)
        self.ctx = actions.Context(
            ws, root, ledger, self.writer, now, dict(environ or {}), log, env=env
        )
        self.stats = Stats()
        self.cursor = 0
        self._unmarked = 0  # events handled since the cursor was last saved
        self._marked_at = time.monotonic()
        self.newest = float("-inf")
        self.recorded: dict[str, str] = {}  # decision id → payload hash, from the ledger
        self.schedules = schedule.of_workspace(ws.policies)
        self.last_fired: dict[str, float] = {}
        self.drift_end: float | None = None  # the last drift window queued
        self.drift_window_s = drift.WINDOW_S
        self.engine = self._engine()
        self.versions = {r.name: r.digest for r in ws.policies}
        self.gate = gate.Gate(self.ctx, self.metrics, approval_ttl_s)

    def _engine(self) -> Engine:
        engine, findings = build(self.ws)
        if findings:
            raise FindingsError(
                f"{len(findings)} policy expression(s) cannot run",
                findings,
                hint="'agentctl lint' reports the same; fix them first",
            )
        return engine

    # --- the consumer protocol --------------------------------------------------------

    def start(self) -> None:
        """Load what the ledger holds, then rebuild the engine's state by replaying the
        processed events (checking each decision against the ledger's)."""
        self.recorded = _recorded(self.ledger)
        self.ctx.done = actions.load_done(self.ledger)
        upto = self.queue.processed()
        while self.cursor < upto:
            batch = self.queue.rows_after(self.cursor, min(BATCH, upto - self.cursor))
            if not batch:
                break
            for r in batch:
                if r[0] > upto:
                    break
                for did, d in self._decide(r):
                    self.stats.replayed += 1
                    if self.recorded.get(did) != payload_hash(d.to_dict()):
                        self.stats.mismatched.append(did)
                    elif self.act and d.approvals and d.outcome in _WAITS:
                        self.gate.open(did, d)  # still waiting for people: wait again
                self.cursor = r[0]
        if self.stats.mismatched:
            self.log(
                f"{len(self.stats.mismatched)} decision(s) replayed differently from the "
                f"ledger (the policies changed?), first {self.stats.mismatched[0]}"
            )

    def step(self, max_events: int = 64) -> int:
        """Decide and act on up to `max_events` queued events; how many were taken."""
        batch = self.queue.rows_after(self.cursor, max_events)
        ran = self.ctx.ran
        for r in batch:
            for did, d in self._decide(r):
                self._record(r, did, d)
                self.metrics.inc("agentctl_decisions_total", outcome=d.label)
                if self.act:
                    self._act(did, d)
            self.cursor = r[0]
        if batch:
            self.writer.flush()
            self.metrics.inc("agentctl_events_processed_total", len(batch))
            self._unmarked += len(batch)
        # the cursor is a hint (a lost mark only offers events again: ids make that
        # harmless), and each mark is a synced commit: marked when caught up, else every
        # MARK_EVERY events or MARK_EVERY_S seconds
        caught_up = len(batch) < max_events
        due = time.monotonic() - self._marked_at >= MARK_EVERY_S
        if self._unmarked and (caught_up or due or self._unmarked >= MARK_EVERY):
            self.queue.mark(self.cursor)
            self._unmarked, self._marked_at = 0, time.monotonic()
        self.stats.actions_run = self.ctx.ran
        if self.ctx.ran > ran:
            self.metrics.inc("agentctl_actions_total", self.ctx.ran - ran)
        return len(batch)

    def tick(self, now: _dt.datetime) -> None:
        """Time passes (`now`: aware, from the shell's clock): approvals answered or expired
        are resolved, and the schedules' firings and drift measurements due are queued."""
        at = now.timestamp()
        if self.act:
            ran = self.ctx.ran
            self.gate.tick()
            if self.ctx.ran > ran:
                self.metrics.inc("agentctl_actions_total", self.ctx.ran - ran)
            self.stats.actions_run = self.ctx.ran
        due = schedule.due(self.schedules, self.ws.settings.defaults.timezone, self.last_fired, at)
        self.writer.flush()  # the window's measurements include everything decided so far
        measured, self.drift_end = drift.due(self.ledger, self.drift_end, at, self.drift_window_s)
        due += measured
        if due:
            events = [e for e in (parse_event(x) for x in due) if isinstance(e, CloudEvent)]
            self.queue.put(events, format_ts_s(at))

    def close(self) -> None:
        self.writer.flush()
        if self._unmarked:
            self.queue.mark(self.cursor)
            self._unmarked = 0
        if self.owns_ledger:
            self.ledger.close()

    # --- one event --------------------------------------------------------------------

    def _decide(self, r: Row) -> list[tuple[str, Decision]]:
        seq = r[0]
        ev = to_event(r)
        if not isinstance(ev, Event):
            self.stats.skipped += 1
            self.log(f"event {seq} ({r[1]} {r[2]}) not decided: {ev.message}")
            return []
        etype = ev.type
        if etype == drift.TYPE:
            self.drift_end = max(self.drift_end or ev.ts, ev.ts)
        if etype.startswith(schedule.PREFIX):
            name = etype[len(schedule.PREFIX) :]
            self.last_fired[name] = max(self.last_fired.get(name, ev.ts), ev.ts)
        # the queue is in arrival order; an event stamped earlier than one already decided
        # is decided at that later time (the engine's clock never runs backwards)
        if ev.ts < self.newest:
            ev.ts = self.newest
        self.newest = ev.ts
        decided = self.engine.feed(ev)
        if not decided:  # most events: no decision to name or count
            return []
        out = [(decision_id(d.policy, seq), d) for d in decided]
        for _did, d in out:
            self.stats.decisions[d.label] = self.stats.decisions.get(d.label, 0) + 1
        return out

    def _record(self, r: Row, did: str, d: Decision) -> None:
        out = d.to_dict()
        digest = payload_hash(out)
        have = self.recorded.get(did)
        if have is not None:
            if have != digest:
                self.stats.mismatched.append(did)
            return
        trace, span = ids(did)
        self.writer.add(
            LedgerEvent(
                kind="policy_decision",
                trace_id=trace,
                span_id=span,
                parent_span_id=None,
                ts=format_ts(self.now()),
                principal=f"policy/{d.policy}",
                principal_version=self.versions.get(d.policy, ""),
                operation=d.event_type,
                status=d.label,
                # as queued, not as decided (the engine may have changed its Event's data):
                # the Row parsed afresh (queued rows never change)
                input=row_line(r),
                output=out,
                # cost_usd stays 0: the estimate is in the output; the run records the real cost
                attrs={
                    "decision_id": did,
                    "queue_seq": r[0],
                    "event_id": r[2],
                    "event_source": r[1],
                    "outcome": d.outcome,
                    "key": d.key,
                },
            )
        )
        self.recorded[did] = digest

    def _act(self, did: str, d: Decision) -> None:
        if d.outcome == "fired":
            for i, a in enumerate(d.actions):
                actions.run_action(self.ctx, d, did, i, a)
        elif d.outcome in _WAITS:
            # escalations and incidents tell people at once; what spends waits for approval
            for i, a in enumerate(d.actions):
                if a.type != "invoke":
                    actions.run_action(self.ctx, d, did, i, a)
            if d.approvals:
                self.gate.open(did, d)


def format_ts_s(now: float) -> str:
    """Epoch seconds as the queue's received_at (RFC 3339)."""
    from agentctl.engine import format_ts as fmt

    return fmt(now)


def from_context(ctx: ServeContext) -> Worker:
    """The consumer `agentctl serve` runs (serve/server.py CONSUMERS): the workspace at
    ctx.root, the ledger beside the queue, the shell's clock."""
    import os
    import sys

    from agentctl.workspace.loader import load_workspace

    ws = ctx.workspace if ctx.workspace is not None else load_workspace(ctx.root).workspace

    def now() -> _dt.datetime:
        return _dt.datetime.fromtimestamp(ctx.clock(), _dt.UTC)

    def log(msg: str) -> None:
        sys.stderr.write(orjson.dumps({"msg": msg, "component": "worker"}).decode() + "\n")

    led = Ledger.open(ctx.ledger)
    w = Worker(
        ws,
        ctx.root,
        ctx.queue,
        led,
        now=now,
        environ=os.environ,
        log=log,
        metrics=ctx.metrics,
        env=ctx.env,
    )
    w.owns_ledger = True
    return w


def _recorded(ledger: Ledger) -> dict[str, str]:
    rows = ledger.conn.execute(
        "SELECT json_extract(attrs, '$.decision_id'), output_hash FROM events "
        "WHERE kind = 'policy_decision'"
    )
    return {str(did): str(h) for did, h in rows if did is not None}
