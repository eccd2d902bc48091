"""One `agentctl run`: the shell around the guard. Opens transports, times calls, writes
every step to the ledger, and hands agents a context whose calls all pass the guard.

Nested asks (agent → agent under a Contract) run in the same session and trace: the
provider's run is a child span of the consumer's `agent_request` span.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from agentctl.interrupts import held
from agentctl.ledger import (
    LedgerEvent,
    LedgerWriter,
    format_ts,
    new_span_id,
    redact,
    redact_event,
)
from agentctl.ledger.clock import MARK
from agentctl.ledger.store import LedgerWriteError
from agentctl.model import schemas
from agentctl.model.index import OperationRef, Resource, Workspace
from agentctl.model.kinds import CharterDoc, ContractDoc
from agentctl.runtime import charter_io
from agentctl.runtime.errors import (
    AgentFailed,
    Denied,
    Escalated,
    RuntimeProblem,
    Stopped,
    ToolError,
)
from agentctl.runtime.guard import Guard, Want
from agentctl.runtime.ratelimit import RateGate
from agentctl.runtime.recording import Recorder
from agentctl.runtime.reserve import DayLease, ReserveGate
from agentctl.runtime.sla import Window, on_breach, sla_check
from agentctl.runtime.transports import Transport, TransportEnv, open_transport
from agentctl.runtime.version import run_version
from agentctl.serve.tasks import opened_attrs

# Operations whose `effect` makes them journaled: an intent committed (and synced) before
# the call, its outcome committed right after (docs/runtime.md, "Effects are journaled").
JOURNALED_EFFECTS = frozenset({"write", "destructive"})


@dataclass
class RunResult:
    """What a run produced, for the summary and for callers such as evals."""

    charter: str
    trace_id: str
    status: str  # ok | error | denied | stopped
    output: Any = None
    error: str | None = None
    hint: str | None = None
    steps: int = 0
    tool_calls: int = 0
    model_calls: int = 0
    asks: int = 0
    cost_usd: Decimal = Decimal(0)
    tokens: int = 0
    wall_s: float = 0.0
    denials: list[dict[str, Any]] = field(default_factory=list)
    escalations: list[dict[str, Any]] = field(default_factory=list)
    data_classes: set[str] = field(default_factory=set)
    tools: dict[str, int] = field(default_factory=dict)  # operation → calls
    # what went wrong with the run's record itself (events not written, or gone from the
    # chain at run end): the run fails whatever the agent did
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok" and not self.problems


@dataclass
class SessionConfig:
    workspace: Workspace
    root: Path
    writer: LedgerWriter
    trace_id: str
    start: _dt.datetime  # aware: the wall-clock instant the run started (read by the shell)
    today: _dt.date
    commit: str | None = None
    environ: Mapping[str, str] = field(default_factory=dict)
    read_file: Callable[[str], bytes] | None = None
    log: Callable[[str], None] = lambda _msg: None
    clock: Callable[[], float] = time.perf_counter
    # where python_path and command runtimes/transports resolve: the workspace root, or a
    # checkout of --rev (agentctl.runtime.revision)
    code_root: Path | None = None
    # run --now/--today: every event carries it in attrs (ledger/clock.py)
    clock_override: dict[str, str] | None = None
    # eval's cassette (agentctl/evals/cassette.py): connector and model exchanges recorded
    # or replayed; None in production
    recorder: Recorder | None = None
    # charter name → (message, hint) of its pause in the run's environment (deploy/pause.py)
    paused: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # what run_start records of the deployment it runs: {"env": ..., "deployed": bool, ...}
    deployment: Mapping[str, Any] = field(default_factory=dict)


def secret_values(ws: Workspace, environ: Mapping[str, str]) -> list[str]:
    """The values of the environment variables that hold secrets (connectors' bearer
    tokens, models' API keys): redacted from the ledger, results and cassettes."""
    names: set[str] = set()
    for c in ws.connectors:
        http = c.doc.spec.transport.http
        if http is not None and http.auth_env:
            names.add(http.auth_env)
    for ch in ws.charters:
        model = ch.doc.spec.runtime.model
        if model is not None and model.api_key_env:
            names.add(model.api_key_env)
        names.update(v for k, v in ch.doc.spec.runtime.env.items() if k.endswith("API_KEY_ENV"))
    return [v for n in sorted(names) if (v := environ.get(n))]


class Session:
    """Shared by every run in one trace: transports, the ledger writer, secrets, the clock."""

    def __init__(self, cfg: SessionConfig) -> None:
        self.cfg = cfg
        self.ws = cfg.workspace
        self._t0 = cfg.clock()
        self.transports: dict[str, Transport] = {}
        self.env = TransportEnv(
            cfg.code_root or cfg.root,
            list(cfg.workspace.settings.python_path),
            cfg.read_file,
            cfg.environ,
            cfg.workspace,
            getattr(cfg.writer.ledger, "path", None),
            cfg.recorder,
        )
        self.secrets = secret_values(cfg.workspace, cfg.environ)
        self.rate = RateGate(cfg.writer, self.now)
        self.reserve = ReserveGate(cfg.writer, day_window(cfg.workspace, cfg.today))

    def elapsed(self) -> float:
        return self.cfg.clock() - self._t0

    def now(self) -> _dt.datetime:
        return self.cfg.start + _dt.timedelta(seconds=self.elapsed())

    def ts(self) -> str:
        return format_ts(self.now())

    def redact(self, value: Any) -> Any:
        return redact(value, self.secrets) if self.secrets and value is not None else value

    def transport(self, ref: OperationRef) -> Transport:
        t = self.transports.get(ref.connector.name)
        if t is None:
            t = self.transports[ref.connector.name] = open_transport(ref.connector, self.env)
        return t

    def close(self) -> None:
        self.rate.close()
        self.reserve.close()
        for t in self.transports.values():
            try:
                t.close()
            except Exception as exc:  # closing must not hide the run's own outcome
                self.cfg.log(self.redact(f"closing a transport failed: {exc}"))
        self.transports.clear()

    def day_window(self) -> tuple[str, str]:
        return day_window(self.ws, self.cfg.today)


_Denial = Denied  # inside AgentRun, `Denied` names the class attribute agents see


class _Step:
    """Whether a call's event is written (so an interrupt never records it twice)."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = False


def day_window(workspace: Workspace, today: _dt.date) -> tuple[str, str]:
    """[start, end) of `today` in the workspace's timezone, as ledger timestamps."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(workspace.settings.defaults.timezone)
    start = _dt.datetime.combine(today, _dt.time(0), tzinfo=tz)
    return format_ts(start), format_ts(start + _dt.timedelta(days=1))


class AgentRun:
    """One charter's run: its guard, its span, its counters. Also the context agents get."""

    def __init__(
        self,
        session: Session,
        charter: Resource[CharterDoc],
        *,
        parent_span: str | None = None,
        contract_scopes: frozenset[str] | None = None,
        usd_ceiling: tuple[Decimal, str] | None = None,
        contract: str | None = None,
    ) -> None:
        self.session = session
        self.charter = charter
        self.name = charter.name
        # what the ledger attributes this run to: the charter, its code, its connectors
        self.version = run_version(session.ws, session.env, charter)
        self.span = new_span_id()
        self.parent_span = parent_span
        self.contract = contract
        self.result = RunResult(charter.name, session.cfg.trace_id, "ok")
        self.stopped: Stopped | None = None
        self._t0 = 0.0
        self.guard = Guard(
            session.ws,
            charter,
            session.cfg.today,
            contract_scopes=contract_scopes,
            paused=session.cfg.paused.get(charter.name),
        )
        if usd_ceiling is not None:
            self.guard.usd_ceiling, self.guard.ceiling_source = usd_ceiling
        # what this run holds of its charter's per-day limits (runtime/reserve.py)
        self._lease = DayLease(
            session.reserve,
            self.guard,
            session.redact(self.name),
            self.span,
            session.elapsed,
            lambda attrs: self._event("reservation", operation=f"charter/{self.name}", attrs=attrs),
        )
        self._lease.refresh()

    # --- events ---------------------------------------------------------------------------

    def _event(
        self, kind: str, *, span: str | None = None, parent: str | None = None, **fields: Any
    ) -> None:
        self.session.cfg.writer.add(self._make(kind, span=span, parent=parent, **fields))

    def _make(
        self, kind: str, *, span: str | None = None, parent: str | None = None, **fields: Any
    ) -> LedgerEvent:
        s = self.session
        if s.cfg.clock_override is not None:
            fields["attrs"] = {**(fields.get("attrs") or {}), MARK: s.cfg.clock_override}
        event = LedgerEvent(
            kind=kind,
            trace_id=s.cfg.trace_id,
            span_id=span or new_span_id(),
            parent_span_id=parent if span else (parent or self.span),
            ts=s.ts(),
            principal=self.name,
            principal_version=self.version,
            commit=s.cfg.commit,
            **fields,
        )
        # every text column, the operation included (the ledger redacts bearer tokens itself)
        return redact_event(event, s.secrets) if s.secrets else event

    def _ledger_stop(
        self, failure: LedgerWriteError, operation: str | None, made: bool = False
    ) -> Stopped:
        what = operation or "the call"
        done = f"{what} ran but is not recorded" if made else f"{what} was not made"
        return Stopped(
            f"{done} and the run stops: {failure.message}",
            rule="ledger-unwritable",
            operation=operation,
            hint=failure.hint,
        )

    def _check_ledger(self, operation: str | None, payload: Any) -> None:
        """Once the ledger could not be written, nothing more is executed."""
        failure = self.session.cfg.writer.failure
        if failure is not None:
            raise self._deny(self._ledger_stop(failure, operation), operation, payload)

    def _sync(self, operation: str, payload: Any, made: bool = True) -> None:
        """Commit and sync what is buffered (an effect's outcome); else the run stops."""
        try:
            self.session.cfg.writer.flush(durable=True)
        except LedgerWriteError as exc:
            stop = self._ledger_stop(exc, operation, made)
            raise self._deny(stop, operation, payload) from None

    def _deny(
        self, d: Denied, operation: str | None, payload: Any, data_classes: list[str] | None = None
    ) -> Denied:
        status = "stopped" if isinstance(d, Stopped) else "denied"
        attrs = {"reason": d.message, **{k: v for k, v in d.attrs.items() if v is not None}}
        self._event(
            "denial",
            operation=operation,
            status=status,
            input=payload,
            data_classes=sorted(data_classes or []),
            attrs=attrs,
        )
        self.result.denials.append({"operation": operation, **d.to_json()})
        if isinstance(d, Stopped) and self.stopped is None:
            self.stopped = d
        return d

    # --- the context API (what agents call) ----------------------------------------------

    Denied = Denied
    ToolError = ToolError
    Stopped = Stopped
    Escalated = Escalated

    @property
    def trace_id(self) -> str:
        return self.session.cfg.trace_id

    def call(self, operation: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call `connector.operation` with `payload`; returns its output (a dict).

        Raises Denied (never executed) or ToolError (executed, failed)."""
        payload = {} if payload is None else payload
        s = self.session
        g = self.guard
        self._check_ledger(operation, payload)
        found = g.resolve(operation)
        if isinstance(found, Denied):
            raise self._deny(found, operation, payload)
        limit = found.connector.doc.spec.rate_limit
        if limit is None:
            return self._call(found, payload, 0)
        try:
            with s.rate.slot(found.connector.name, limit.per) as recent:
                return self._call(found, payload, recent)
        except LedgerWriteError as exc:  # the slot commits on its way out
            if isinstance(exc.__context__, RuntimeProblem):
                raise exc.__context__ from None  # the call's own outcome, already recorded
            stop = self._ledger_stop(exc, operation, made=True)
            raise self._deny(stop, operation, payload) from None

    def _call(self, ref: OperationRef, payload: dict[str, Any], recent: int) -> dict[str, Any]:
        s = self.session
        g = self.guard
        op = ref.op
        operation = ref.qualified
        classes = list(op.data_classes)
        want = Want(usd=op.cost_usd, tool_calls=1)
        self._lease.fresh(want)
        denied = g.check_call(ref, s.elapsed(), recent)
        if denied is not None:
            raise self._deny(denied, operation, payload, classes)
        bad = schemas.problems(op.input_schema, payload)
        if bad:
            raise self._deny(
                Denied(
                    f"input of {operation} does not match its schema: {'; '.join(bad)}",
                    rule="input-schema",
                    operation=operation,
                    hint=f"see the input_schema of {operation} in {ref.connector.file}",
                ),
                operation,
                payload,
                classes,
            )
        denied = self._lease.take(want)
        if denied is not None:
            raise self._deny(denied, operation, payload, classes)
        attrs: dict[str, Any] = {"scope": op.scope, "effect": op.effect}
        journaled = op.effect in JOURNALED_EFFECTS
        if journaled:
            # on disk before the call: if the ledger cannot take it, the call is not made
            intent = self._make("tool_intent", operation=operation, input=payload, attrs=attrs)
            try:
                attrs = {**attrs, "intent_seq": s.cfg.writer.journal(intent)}
            except LedgerWriteError as exc:
                raise self._deny(self._ledger_stop(exc, operation), operation, payload) from None
        t0 = s.elapsed()
        g.note_call(ref, t0)
        common: dict[str, Any] = {
            "operation": operation,
            "input": payload,
            "data_classes": classes,
            "cost_usd": float(op.cost_usd),
            "attrs": attrs,
        }
        step = _Step()
        try:
            output = s.transport(ref).call(ref.name, payload)
            bad = schemas.problems(op.output_schema, output)
            if bad:
                raise ToolError(
                    f"output of {operation} does not match its schema: {'; '.join(bad)}",
                    hint=f"see the output_schema of {operation} in {ref.connector.file}",
                )
            self._record_call(step, ref, common, t0, output=output)
        except ToolError as exc:
            if not step.done:
                self._record_call(step, ref, common, t0, status="error", error=exc.message)
            if journaled:
                self._sync(operation, payload)
            raise
        except BaseException as exc:
            # Ctrl-C or a transport's own bug while the call ran: it may have had its
            # effect, so it is recorded (and counted) like any executed call
            if not step.done:
                interrupted = not isinstance(exc, Exception)
                self._record_call(
                    step,
                    ref,
                    common,
                    t0,
                    status="stopped" if interrupted else "error",
                    error="interrupted" if interrupted else f"{type(exc).__name__}: {exc}",
                )
            raise
        if journaled:
            self._sync(operation, payload)
        return output

    def _record_call(
        self,
        step: _Step,
        ref: OperationRef,
        common: dict[str, Any],
        t0: float,
        *,
        status: str = "ok",
        output: Any = None,
        error: str | None = None,
    ) -> None:
        """The tool_call event and the run's counters, together: Ctrl-C cannot land between
        them (so run_end's counts are the ledger's)."""
        s = self.session
        fields = dict(common)
        if error is not None:
            fields["attrs"] = {**fields["attrs"], "error": error}
        with held():
            latency = (s.elapsed() - t0) * 1000
            self._event("tool_call", status=status, output=output, latency_ms=latency, **fields)
            r = self.result
            r.tool_calls += 1
            r.steps += 1
            r.cost_usd += ref.op.cost_usd
            r.tools[ref.qualified] = r.tools.get(ref.qualified, 0) + 1
            r.data_classes.update(common["data_classes"])
            step.done = True

    def ask(self, charter: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Ask another charter under a Contract; returns its output.

        Raises Denied (no contract, not valid, scope, ceiling) or ToolError (it failed)."""
        payload = {} if payload is None else payload
        s = self.session
        target_ref = charter if charter.startswith("charter/") else f"charter/{charter}"
        self._check_ledger(target_ref, payload)
        found = self.guard.check_ask(target_ref, s.elapsed())
        if isinstance(found, Denied):
            raise self._deny(found, target_ref, payload)
        contract, target = found
        refused = charter_io.ask_denied(target, payload, s.cfg.workspace.broken)
        if refused is not None:
            raise self._deny(refused, target_ref, payload)
        span = new_span_id()
        ceiling = self._reserve_ask(contract, span, target_ref, payload)
        t0 = s.elapsed()
        sub = AgentRun(
            s,
            target,
            parent_span=span,
            contract_scopes=frozenset(contract.doc.spec.scopes),
            usd_ceiling=ceiling,
            contract=contract.name,
        )
        res = sub.execute(payload)
        latency = s.elapsed() - t0
        # the day's earlier responses under the contract: success and field coverage are
        # rates over that window (runtime/sla.py)
        day = s.reserve.contract_day(s.redact(contract.name))
        before = Window(day.requests, day.ok, day.complete)
        sla = sla_check(contract.doc, latency, res.ok, res.output, before)
        self.guard.note_ask(res.cost_usd)
        r = self.result
        r.asks += 1
        r.steps += 1
        r.tools[target_ref] = r.tools.get(target_ref, 0) + 1
        r.cost_usd += res.cost_usd
        r.tokens += res.tokens
        r.data_classes.update(res.data_classes)
        attrs: dict[str, Any] = {
            "contract": contract.name,
            "sla_missed": sla.missed,
            "provider_status": res.status,
            # what the provider spent: summed per contract for its per-day ceiling (the
            # cost_usd column stays 0: the provider's own events carry the cost)
            "cost_usd": float(res.cost_usd),
        }
        if sla.reasons:
            attrs["sla_reasons"] = sla.reasons
        if sla.field_coverage is not None:
            attrs["field_coverage"] = sla.field_coverage
            attrs["fields_complete"] = sla.fields_complete
        if sla.missed:
            # whether the miss counts against the provider (ledger report): as the contract
            # said when it happened
            attrs["count_missed"] = contract.doc.spec.on_breach.count_missed
        attrs["sla_window"] = sla.window
        self._event(
            "agent_request",
            span=span,
            parent=self.span,
            operation=target_ref,
            status="ok" if res.ok else "error",
            input=payload,
            output=res.output,
            data_classes=sorted(res.data_classes),
            latency_ms=latency * 1000,
            attrs=attrs,
        )
        escalation = on_breach(contract.doc, sla)
        if escalation is not None:
            esc = escalation.to_json()
            self._event("escalation", parent=span, operation=escalation.to, status="ok", attrs=esc)
            r.escalations.append(esc)
            # the request is now a person's: a human task, and the consumer is told
            task = opened_attrs(
                escalation.to,
                f"{target_ref} missed the SLA of contract/{contract.name} for {self.name}",
                f"sla:{s.cfg.trace_id}:{span}",
                severity="high",
                detail={**esc, "consumer": self.name, "provider": target_ref},
            )
            self._event(
                "task_opened", parent=span, operation=escalation.to, status="open", attrs=task
            )
            # a provider that failed says why first (a pause, a denial): the miss follows
            failed = "" if res.ok else f"{target_ref} did not answer: {res.error or res.status}; "
            raise Escalated(
                failed
                + f"{target_ref} missed the SLA of contract/{contract.name}: "
                + "; ".join(escalation.reasons)
                + f"; escalated to {escalation.to} ({task['task_id']})",
                to=escalation.to,
                contract=contract.name,
                reasons=escalation.reasons,
                output=res.output if res.ok else None,
            )
        if not res.ok:
            raise ToolError(
                f"{target_ref} did not answer: {res.error or res.status}",
                provider_status=res.status,
            )
        assert isinstance(res.output, dict)
        return res.output

    def _reserve_ask(
        self, contract: Resource[ContractDoc], span: str, target_ref: str, payload: Any
    ) -> tuple[Decimal, str] | None:
        """An ask's share of the contract's per-day ceiling and of the consumer's per-day
        budget, reserved before the provider runs; returns the provider's USD ceiling."""
        s = self.session
        per_day = contract.doc.spec.cost_ceiling.per_day_usd
        with contextlib.ExitStack() as stack:
            spent = Decimal(0)
            if per_day is not None:
                stack.enter_context(s.reserve.locked("contract", contract.name))
                cday = s.reserve.contract_day(s.redact(contract.name))
                spent = cday.committed_and_held
                denied = self.guard.check_contract_day(contract, spent, len(cday.holds))
                if denied is not None:
                    raise self._deny(denied, target_ref, payload)
            ceiling = self.guard.ask_ceiling(contract, spent)
            want = Want(usd=ceiling[0] if ceiling is not None else Decimal(0))
            self._lease.fresh(want)
            denied = self._lease.take(want)
            if denied is not None:
                raise self._deny(denied, target_ref, payload)
            if per_day is not None and ceiling is not None:
                self._event(
                    "reservation",
                    parent=span,
                    operation=target_ref,
                    attrs={
                        "reserve": "contract",
                        "contract": contract.name,
                        "usd": str(ceiling[0]),
                    },
                )
        return ceiling

    def model(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """One chat-completions call through the guard; returns the assistant message.

        An agent may tune only `temperature` and `max_tokens`: the endpoint, the model and
        the API key's variable are the charter's (an agent that could name them could send
        any environment variable's value to any host)."""
        from agentctl.runtime.llm import ModelClient
        from agentctl.runtime.pychild import MODEL_OPTIONS

        bad = sorted(str(k) for k in options if k not in MODEL_OPTIONS)
        if bad:
            raise ToolError(
                f"model options {bad} are not accepted from an agent",
                hint=f"only {', '.join(MODEL_OPTIONS)}; the endpoint is the charter's",
            )

        client = ModelClient.for_charter(
            self.charter.doc,
            self.session.cfg.environ,
            recorder=self.session.cfg.recorder,
            **options,
        )
        s = self.session
        prompt = {"messages": messages, "tools": tools}
        self._check_ledger(client.model, prompt)
        self._lease.fresh(Want())
        denied = self.guard.check_model(s.elapsed())
        if denied is None:
            cap = self.guard.model_max_tokens(client.max_tokens, client.usd_per_1k_output)
            if isinstance(cap, Denied):
                denied = cap
        if denied is None:
            assert not isinstance(cap, Denied)
            worst = client.usd_per_1k_output * (cap or 0) / 1000
            denied = self._lease.take(Want(usd=worst, tokens=cap or 0))
        if denied is not None:
            raise self._deny(denied, client.model, prompt)
        assert not isinstance(cap, Denied)
        client.max_tokens = cap
        t0 = s.elapsed()
        r = self.result
        try:
            reply = client.complete(messages, tools)
        except ToolError as exc:
            with held():  # the event and the counters together (see _record_call)
                self.guard.note_model(0, Decimal(0))
                r.model_calls += 1
                r.steps += 1
                self._event(
                    "model_call",
                    operation=client.model,
                    status="error",
                    prompt=prompt,
                    latency_ms=(s.elapsed() - t0) * 1000,
                    attrs={"error": exc.message, "max_tokens": cap},
                )
            raise
        with held():
            over = self._record_model(client, reply, prompt, cap, t0)
        if over is not None:
            raise self._deny(over, client.model, None)
        return reply.message

    def _record_model(
        self, client: Any, reply: Any, prompt: Any, cap: int | None, t0: float
    ) -> _Denial | None:
        s = self.session
        r = self.result
        cost = client.cost(reply)
        over = self.guard.note_model(reply.tokens, cost)
        r.model_calls += 1
        r.steps += 1
        r.tokens += reply.tokens
        r.cost_usd += cost
        attrs: dict[str, Any] = {
            "finish_reason": reply.finish_reason,
            "usage": reply.usage,
            "input_tokens": reply.input_tokens,
            "output_tokens": reply.output_tokens,
            "max_tokens": cap,
        }
        if reply.estimated:
            attrs["usage_estimated"] = True
        self._event(
            "model_call",
            operation=client.model,
            prompt=prompt,
            output=reply.message,
            tokens=reply.tokens,
            cost_usd=float(cost),
            latency_ms=(s.elapsed() - t0) * 1000,
            attrs=attrs,
        )
        return over

    def log(self, *parts: Any) -> None:
        line = f"[{self.name}] " + " ".join(str(p) for p in parts)
        self.session.cfg.log(self.session.redact(line))

    # --- the run -------------------------------------------------------------------------

    def execute(
        self, payload: Any, runtime: Callable[[Any, AgentRun], Any] | None = None
    ) -> RunResult:
        """Run the charter on `payload` start to end; never raises for the agent's failures
        (they become the result's status) — only KeyboardInterrupt passes, after run_end."""
        from agentctl.runtime.runtimes import prepare, runtime_attrs

        s = self.session
        r = self.result
        self._t0 = s.elapsed()
        attrs: dict[str, Any] = {"runtime": self.charter.doc.spec.runtime.type}
        attrs.update(runtime_attrs(self.charter, s.env))  # isolation, sandbox
        if self.contract:
            attrs["contract"] = self.contract
        if self.parent_span is None:
            attrs.update(s.cfg.deployment)  # the environment and whether it is deployed there
        self._event(
            "run_start", span=self.span, parent=self.parent_span, input=payload, attrs=attrs
        )
        try:
            refused = self.guard.check_run()
            if refused is not None:
                raise self._deny(refused, f"charter/{self.name}", payload)
            fn = runtime or prepare(self.charter, s.env)
            output = fn(payload, self)
            if not isinstance(output, dict):
                raise AgentFailed(
                    f"charter/{self.name} returned {type(output).__name__}, expected an object"
                )
            broken = charter_io.output_error(self.charter, output)
            if broken is not None:
                raise AgentFailed(broken)
            r.output = output
            r.status = "stopped" if self.stopped else "ok"
            if self.stopped:
                r.error = self.stopped.message
        except Stopped as exc:
            r.status, r.error, r.hint = "stopped", exc.message, exc.hint
        except Denied as exc:
            r.status, r.error, r.hint = "denied", exc.message, exc.hint
        except RuntimeProblem as exc:
            r.status, r.error, r.hint = "error", exc.message, exc.hint
        except KeyboardInterrupt:
            r.status, r.error = "stopped", "interrupted"
            self._end()
            raise
        except Exception as exc:  # the agent's own bug: a failed run, not our crash
            r.status = "error"
            r.error = f"charter/{self.name} raised {type(exc).__name__}: {exc}"
        self._end()
        return r

    def _end(self) -> None:
        s = self.session
        r = self.result
        r.wall_s = s.elapsed() - self._t0
        attrs: dict[str, Any] = {
            "steps": r.steps,
            "tool_calls": r.tool_calls,
            "model_calls": r.model_calls,
            "asks": r.asks,
            "total_cost_usd": float(r.cost_usd),
            "total_tokens": r.tokens,
            "denials": len(r.denials),
        }
        if r.error:
            attrs["error"] = r.error
        self._event(
            "run_end",
            span=self.span,
            parent=self.parent_span,
            status=r.status,
            output=r.output,
            data_classes=sorted(r.data_classes),
            latency_ms=r.wall_s * 1000,
            attrs=attrs,
        )
