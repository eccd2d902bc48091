"""The policy engine: events in, decisions out. No clock, no I/O.

For each event the engine keeps the latest value of every metric, picks the policies whose
`on:` matches, and evaluates their conditions against ONE prepared CEL context. A policy
whose condition has held for `for:` (judged by event time) would fire; cooldown, bounds
and budget may suppress it; otherwise its actions' inputs are computed, its cost
estimated, its approvals resolved, and a decision emitted. A policy with `key:` keeps its
hold and cooldown per key value (agentctl/engine/state.py); bounds and budget stay per
policy. docs/simulate.md has the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from agentctl import expr
from agentctl.engine import approvals as approvals_mod
from agentctl.engine.approvals import ApprovalStep
from agentctl.engine.compiled import CompiledPolicy, Role
from agentctl.engine.events import Event, doubles_in_place, format_ts
from agentctl.engine.fastpath import Fallback, Fast
from agentctl.engine.state import MAX_KEYS, KeyState, PolicyState
from agentctl.model import schemas
from agentctl.model.types import format_duration, format_usd

OUTCOMES = ("fired", "needs_approval", "escalated", "suppressed", "error")
SUPPRESS_REASONS = ("cooldown", "bound", "budget", "paused")
ACTED = frozenset({"fired", "needs_approval", "escalated"})
CENT = Decimal("0.01")
MAX_USD = 1e15  # an amount above a quadrillion dollars is an expression's mistake
_BOOL: tuple[type, ...] = (bool,)
_STR: tuple[type, ...] = (str,)
_SCALAR: tuple[type, ...] = (float, str, bool, type(None))


@dataclass(frozen=True, slots=True)
class PlannedAction:
    type: str
    target: str
    input: Any
    cost_usd: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "target": self.target,
            "input": self.input,
            "cost_usd": None if self.cost_usd is None else float(self.cost_usd),
        }


@dataclass(slots=True, eq=False)
class Decision:
    """What one policy decided on one event, why, and the values that decided it.

    A value: nothing changes one after the engine made it. Not `frozen=True` only because
    a frozen dataclass costs ~3 µs more to build, and the engine builds one per decision.
    """

    seq: int  # the event's place in the stream (its line number)
    ts: float
    event_type: str
    policy: str
    outcome: str  # one of OUTCOMES
    code: str  # suppressed: cooldown|bound|budget|paused; error: key|condition|input|value|approval
    reason: str
    cost_usd: Decimal | None = None
    value_usd: Decimal | None = None
    actions: tuple[PlannedAction, ...] = ()
    approvals: tuple[ApprovalStep, ...] = ()
    values: tuple[tuple[str, Any], ...] = ()
    key: str | None = None  # the key value, for a policy with `key:`

    @property
    def label(self) -> str:
        return f"suppressed:{self.code}" if self.outcome == "suppressed" else self.outcome

    @property
    def time(self) -> str:
        return format_ts(self.ts)

    def approvers(self) -> tuple[str | None, ...]:
        return tuple(s.approver for s in self.approvals)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "ts": self.time,
            "line": self.seq,
            "event_type": self.event_type,
            "policy": self.policy,
            "key": self.key,
            "outcome": self.outcome,
        }
        if self.code:
            d["code"] = self.code
        d["reason"] = self.reason
        if self.outcome in ACTED:
            d["cost_usd"] = None if self.cost_usd is None else float(self.cost_usd)
            d["value_usd"] = None if self.value_usd is None else float(self.value_usd)
            d["actions"] = [a.to_dict() for a in self.actions]
            d["approvals"] = [s.to_dict() for s in self.approvals]
        d["values"] = dict(self.values)
        return d


def _dur(seconds: float) -> str:
    return format_duration(timedelta(seconds=seconds))


class Engine:
    """Feed events in time order with `feed`; each call returns that event's decisions."""

    def __init__(
        self,
        policies: list[CompiledPolicy],
        roles: dict[str, Role],
        timezone: str = "UTC",
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.policies = sorted(policies, key=lambda p: p.name)
        self.roles = roles
        self.tz: tzinfo = UTC if timezone == "UTC" else _zone(timezone)
        self.max_keys = max(1, max_keys)
        self.states = {p.name: PolicyState() for p in self.policies}
        self.metrics: dict[str, Any] = {}
        self._n = 0  # events fed: orders keys for eviction
        self._dirty = True
        self._dispatch: dict[str, tuple[_Watch, ...]] = {}
        self._plain = {p.name: _plain_firing(p) for p in self.policies}
        self._ctx = expr.context({"event": {}, "metrics": {}, "state": {}, "plan": {}})
        # the event's variables as plain values for the fast path; the CEL context gets the
        # event only when an expression needs CEL itself (converting it costs the most)
        self._vars: dict[str, Any] = {"event": {}, "metrics": self.metrics}
        self._in_ctx: Event | None = None
        self._hour: tuple[float, float, tuple[str, str, str]] = (0.0, 0.0, ("", "", ""))

    # --- calendar -------------------------------------------------------------------

    def keys(self, ts: float) -> tuple[str, str, str]:
        """(day, hour, month) of `ts` in the workspace's time zone: bounds and budgets.

        Cached for the local hour that holds the last answer (most events fall in the same
        hour as the one before); an hour that holds a change of UTC offset is not cached."""
        lo, hi, found = self._hour
        if lo <= ts < hi:
            return found
        dt = datetime.fromtimestamp(ts, self.tz)
        day = dt.strftime("%Y-%m-%d")
        found = (day, f"{day}T{dt.hour:02d}", day[:7])
        start = dt.replace(minute=0, second=0, microsecond=0).timestamp()  # whole seconds
        end = start + 3600
        offset = dt.utcoffset()
        if (
            datetime.fromtimestamp(start, self.tz).utcoffset() == offset
            and datetime.fromtimestamp(end - 1, self.tz).utcoffset() == offset
        ):
            self._hour = (start, end, found)
        return found

    def _roll(self, st: PolicyState, ts: float) -> str:
        day, hour, month = self.keys(ts)
        if st.day != day:
            st.day, st.fired_day, st.spent_day = day, 0, Decimal(0)
        if st.hour != hour:
            st.hour, st.fired_hour = hour, 0
        if st.month != month:
            st.month, st.spent_month = month, Decimal(0)
        return day

    def key_stats(self) -> dict[str, tuple[int, int, int]]:
        """Per keyed policy: (keys held now, the most held at once, keys evicted by the cap)."""
        return {
            p.name: (len(st.keys), st.peak, st.evicted)
            for p in self.policies
            if p.key is not None
            for st in (self.states[p.name],)
        }

    # --- the loop -------------------------------------------------------------------

    def _watching(self, event_type: str) -> tuple[_Watch, ...]:
        found = self._dispatch.get(event_type)
        if found is None:
            found = tuple(
                (p, self.states[p.name], self._plain[p.name])
                for p in self.policies
                if p.watches(event_type)
            )
            self._dispatch[event_type] = found
        return found

    def _cel(self, e: expr.Expr, ev: Event) -> Any:
        """Evaluate with CEL, the event and metrics converted into its context first."""
        ctx = self._ctx
        if self._in_ctx is not ev:
            if not ev.doubled:
                doubles_in_place(ev.cel)
                ev.doubled = True
            ctx.add_variable("event", ev.cel)
            self._in_ctx = ev
        if self._dirty:
            ctx.add_variable("metrics", self.metrics)
            self._dirty = False
        return e.evaluate(ctx)

    def _eval(self, e: expr.Expr, fast: Fast | None, ev: Event, want: tuple[type, ...]) -> Any:
        """The fast path's answer when it has one of the types `want`, else CEL's (whose
        values, errors and messages the fast path never second-guesses)."""
        if fast is not None:
            try:
                x = fast(self._vars)
                if type(x) in want:
                    return x
            except Fallback:
                pass
        return self._cel(e, ev)

    def feed(self, ev: Event) -> list[Decision]:
        if ev.metrics:
            self.metrics.update(ev.metrics)
            self._dirty = True
        watching = self._dispatch.get(ev.type)
        if watching is None:
            watching = self._watching(ev.type)
        if not watching:
            return []
        self._n += 1
        vars_ = self._vars
        vars_["event"] = ev.cel
        out: list[Decision] = []
        ks: KeyState | None
        for p, st, plain in watching:
            if plain is not None:
                # no key, state, for:, cooldown, bounds, budget, inputs or approvals: the
                # condition alone decides, and a firing is the same every time
                fast = p.condition_fast
                held = None
                if fast is not None:  # _eval, inlined: this loop is the engine's hot path
                    try:  # noqa: SIM105 - contextlib.suppress costs more in this loop
                        held = fast(vars_)
                    except Fallback:
                        pass
                if type(held) is not bool:
                    try:
                        held = self._cel(p.condition, ev)
                    except expr.CelError as exc:
                        msg = exc.message
                        out.append(self._error(ev, p, "condition", p.condition.source, msg))
                        continue
                if held is True:
                    st.last_fired = st.single.last_fired = ev.ts
                    outcome, reason, planned = plain
                    cost = p.cost
                    out.append(
                        Decision(
                            ev.seq, ev.ts, ev.type, p.name, outcome, "", reason, cost, cost, planned
                        )
                    )
                elif held is not False:
                    msg = f"gave {_show(held)}, not a bool"
                    out.append(self._error(ev, p, "condition", p.condition.source, msg))
                continue
            key: str | None = None
            if p.key is None:
                ks = st.single
            else:
                if p.key_uses_state:
                    self._ctx.add_variable("state", self._state_var(st, None, None, ev.ts))
                try:
                    k = self._eval(p.key, p.key_fast, ev, _STR)
                except expr.CelError as exc:
                    out.append(self._error(ev, p, "key", p.key.source, exc.message))
                    continue
                if type(k) is not str:
                    msg = f"gave {_show(k)}, not a string (wrap it in string())"
                    out.append(self._error(ev, p, "key", p.key.source, msg))
                    continue
                key = k
                ks = st.keys.get(k)
            if p.uses_state:
                self._ctx.add_variable("state", self._state_var(st, ks, key, ev.ts))
            try:
                held = self._eval(p.condition, p.condition_fast, ev, _BOOL)
            except expr.CelError as exc:
                self._release(p, st, ks, key, ev.ts)
                out.append(self._error(ev, p, "condition", p.condition.source, exc.message, key))
                continue
            if held is not True:
                self._release(p, st, ks, key, ev.ts)
                if held is not False:
                    msg = f"gave {_show(held)}, not a bool"
                    out.append(self._error(ev, p, "condition", p.condition.source, msg, key))
                continue
            if ks is None:
                ks = st.add_key(key or "", self._n, ev.ts, p.for_s, p.cooldown_s, self.max_keys)
            else:
                ks.seen = self._n
            if ks.pending_since is None:
                ks.pending_since = ev.ts
            if ev.ts - ks.pending_since < p.for_s:
                continue
            d = self._would_fire(ev, p, st, ks, key)
            if d is not None:
                out.append(d)
        return out

    def _release(
        self, p: CompiledPolicy, st: PolicyState, ks: KeyState | None, key: str | None, ts: float
    ) -> None:
        if ks is None:
            return
        if key is None:
            ks.pending_since = None
        else:
            ks.seen = self._n
            st.release(key, ks, ts, p.cooldown_s)

    def _state_var(
        self, st: PolicyState, ks: KeyState | None, key: str | None, ts: float
    ) -> dict[str, Any]:
        """`state` in CEL: the key's hold and last action (in `key:` itself, the policy's
        last action on any key), and the policy-wide bound and budget counters."""
        day, hour, month = self.keys(ts)
        pending = ks.pending_since if ks is not None else None
        last = st.last_fired if key is None else ks.last_fired if ks is not None else None
        return {
            "key": key or "",
            "pending_since": "" if pending is None else format_ts(pending),
            "held_s": 0.0 if pending is None else ts - pending,
            "last_fired": "" if last is None else format_ts(last),
            "fired_today": float(st.fired_day if st.day == day else 0),
            "fired_this_hour": float(st.fired_hour if st.hour == hour else 0),
            "spent_today_usd": float(st.spent_day if st.day == day else 0),
            "spent_month_usd": float(st.spent_month if st.month == month else 0),
        }

    def _error(
        self,
        ev: Event,
        p: CompiledPolicy,
        where: str,
        source: str,
        msg: str,
        key: str | None = None,
    ) -> Decision:
        return Decision(
            ev.seq,
            ev.ts,
            ev.type,
            p.name,
            "error",
            where,
            f"{where}: {msg}",
            values=(("expression", source), ("error", msg)),
            key=key,
        )

    def _suppress(
        self,
        ev: Event,
        p: CompiledPolicy,
        key: str | None,
        code: str,
        reason: str,
        values: dict[str, Any],
    ) -> Decision:
        return Decision(
            ev.seq,
            ev.ts,
            ev.type,
            p.name,
            "suppressed",
            code,
            reason,
            values=tuple(values.items()),
            key=key,
        )

    def _would_fire(
        self, ev: Event, p: CompiledPolicy, st: PolicyState, ks: KeyState, key: str | None
    ) -> Decision | None:
        ts = ev.ts
        last = ks.last_fired
        if p.cooldown_s and last is not None and ts - last < p.cooldown_s:
            left = p.cooldown_s - (ts - last)
            return self._suppress(
                ev,
                p,
                key,
                "cooldown",
                f"cooldown {_dur(p.cooldown_s)} after firing at {format_ts(last)}; "
                f"{_dur(left)} left",
                {
                    "last_fired": format_ts(last),
                    "cooldown": _dur(p.cooldown_s),
                    "remaining": _dur(left),
                },
            )
        if p.paused:
            # the guard refuses every run of a paused charter: nothing would happen, so no
            # cooldown, bound or budget is spent
            return self._suppress(
                ev,
                p,
                key,
                "paused",
                f"{', '.join(p.paused)} is paused: the action would be refused",
                {"paused": ", ".join(p.paused)},
            )
        if not p.calendar:
            return self._fire(ev, p, st, ks, key)
        day = self._roll(st, ts)
        if p.max_per_day is not None and st.fired_day >= p.max_per_day:
            return self._suppress(
                ev,
                p,
                key,
                "bound",
                f"max_per_day {p.max_per_day} reached on {day}",
                {"bound": "max_per_day", "limit": p.max_per_day, "count": st.fired_day, "day": day},
            )
        if p.max_per_hour is not None and st.fired_hour >= p.max_per_hour:
            return self._suppress(
                ev,
                p,
                key,
                "bound",
                f"max_per_hour {p.max_per_hour} reached in hour {st.hour}",
                {"bound": "max_per_hour", "limit": p.max_per_hour, "count": st.fired_hour},
            )
        for name, limit, spent in (
            ("per_day_usd", p.per_day_usd, st.spent_day),
            ("per_month_usd", p.per_month_usd, st.spent_month),
        ):
            if limit is not None and spent + p.cost > limit:
                return self._suppress(
                    ev,
                    p,
                    key,
                    "budget",
                    f"budget {name} {format_usd(limit)}: {format_usd(spent)} spent, this firing "
                    f"costs {format_usd(p.cost)}",
                    {
                        "budget": name,
                        "limit": float(limit),
                        "spent": float(spent),
                        "cost": float(p.cost),
                    },
                )
        return self._fire(ev, p, st, ks, key)

    def _fire(
        self, ev: Event, p: CompiledPolicy, st: PolicyState, ks: KeyState, key: str | None
    ) -> Decision:
        if p.fire_uses_state:
            self._ctx.add_variable("state", self._state_var(st, ks, key, ev.ts))
        planned: list[PlannedAction] = []
        value = Decimal(0)
        any_value = False
        for a in p.actions:
            try:
                if a.input_expr is not None:
                    where, source = "input", a.input_expr.source
                    payload = _canonical(expr.from_cel(self._cel(a.input_expr, ev)))
                    if not isinstance(payload, dict):
                        raise expr.CelError(f"gave {_show(payload)}, not a map")
                elif a.input_fields:
                    payload = {}
                    for field, e, fast in a.input_fields:
                        where, source = f"input.{field}", e.source
                        payload[field] = _canonical(expr.from_cel(self._eval(e, fast, ev, _SCALAR)))
                else:
                    payload = None
                if a.value_expr is not None:
                    where, source = "value", a.value_expr.source
                    v = self._eval(a.value_expr, a.value_fast, ev, _SCALAR)
                    if isinstance(v, bool) or not isinstance(v, int | float):
                        raise expr.CelError(f"gave {_show(v)}, not a number")
                    if not -MAX_USD <= v <= MAX_USD:  # also NaN and the infinities
                        raise expr.CelError(f"gave {_show(v)}, not an amount of money")
                    value += Decimal(repr(float(v))).quantize(CENT)
                    any_value = True
            except expr.CelError as exc:
                code = "value" if where == "value" else "input"
                return self._error(ev, p, code, source, f"{where}: {exc.message}", key)
            if a.schema is not None and payload is not None:
                bad = schemas.problems(a.schema, payload)
                if bad:
                    msg = f"not accepted by {a.target}'s input_schema: {'; '.join(bad)}"
                    return self._error(ev, p, "input", f"{a.target} spec.input_schema", msg, key)
            planned.append(PlannedAction(a.type, a.target, payload, a.cost))
        cost = p.cost
        amount = value if any_value else cost
        steps: tuple[ApprovalStep, ...] = ()
        if p.approvals:
            failed = self._approvals(ev, p, planned, cost, amount, key)
            if isinstance(failed, Decision):
                return failed
            steps = failed
        escalates = any(x.type == "escalate" for x in planned)
        if escalates or any(s.escalated for s in steps):
            outcome = "escalated"
            reason = approvals_mod.describe(steps) if steps else ""
            if escalates:
                targets = [x.target for x in planned if x.type == "escalate"]
                extra = "escalate to " + ", ".join(targets)
                reason = f"{reason}; {extra}" if reason else extra
        elif steps:
            outcome = "needs_approval"
            reason = approvals_mod.describe(steps) + f" ({format_usd(amount)})"
        else:
            outcome = "fired"
            reason = p.fired_reason
        values: tuple[tuple[str, Any], ...] = ()
        if p.for_s or p.metric_names:
            vals: dict[str, Any] = {}
            if p.for_s:
                held = ev.ts - (ks.pending_since if ks.pending_since is not None else ev.ts)
                vals["held"] = _dur(held)
                vals["for"] = _dur(p.for_s)
            for name in p.metric_names:
                vals[f"metrics.{name}"] = self.metrics.get(name)
            values = tuple(vals.items())
        ks.last_fired = st.last_fired = ev.ts
        if p.calendar:
            st.fired_day += 1
            st.fired_hour += 1
            st.spent_day += cost
            st.spent_month += cost
        return Decision(
            ev.seq,
            ev.ts,
            ev.type,
            p.name,
            outcome,
            "",
            reason,
            cost,
            amount,
            tuple(planned),
            steps,
            values,
            key,
        )

    def _approvals(
        self,
        ev: Event,
        p: CompiledPolicy,
        planned: list[PlannedAction],
        cost: Decimal,
        amount: Decimal,
        key: str | None,
    ) -> tuple[ApprovalStep, ...] | Decision:
        """The approval steps a firing needs, or the error decision of a failed rule."""
        first_input = next((x.input for x in planned if x.type == "invoke"), None)
        plan = {
            "policy": p.name,
            "event_type": ev.type,
            "charters": [x.target for x in planned if x.type == "invoke"],
            "input": first_input if first_input is not None else {},
            "cost_usd": float(cost),
            "value_usd": float(amount),
        }
        self._vars["plan"] = plan
        in_ctx = False
        required: list[str] = []
        for when, fast, role in p.approvals:
            try:
                hit: Any = Fallback
                if fast is not None:
                    try:
                        hit = fast(self._vars)
                    except Fallback:
                        hit = Fallback
                if hit is Fallback:
                    if not in_ctx:
                        self._ctx.add_variable("plan", expr.to_cel(plan))
                        in_ctx = True
                    hit = self._cel(when, ev)
            except expr.CelError as exc:
                return self._error(ev, p, "approval", when.source, exc.message, key)
            if hit is True and role not in required:
                required.append(role)
            elif hit is not True and hit is not False:
                msg = f"gave {_show(hit)}, not a bool"
                return self._error(ev, p, "approval", when.source, msg, key)
        return tuple(approvals_mod.resolve(r, amount, self.roles) for r in required)


_Plain = tuple[str, str, tuple[PlannedAction, ...]]  # outcome, reason, actions
_Watch = tuple[CompiledPolicy, PolicyState, "_Plain | None"]


def _plain_firing(p: CompiledPolicy) -> _Plain | None:
    """What every firing of `p` decides, when nothing in it depends on the event or the
    policy's memory (see Engine._fire, which this must agree with); else None."""
    if (
        p.key is not None
        or p.uses_state
        or p.for_s
        or p.cooldown_s
        or p.calendar
        or p.approvals
        or p.metric_names
        or p.paused
        or any(a.input_fields or a.input_expr or a.value_expr for a in p.actions)
    ):
        return None
    planned = tuple(PlannedAction(a.type, a.target, None, a.cost) for a in p.actions)
    targets = [a.target for a in p.actions if a.type == "escalate"]
    if targets:
        return "escalated", "escalate to " + ", ".join(targets), planned
    return "fired", p.fired_reason, planned


def _canonical(value: Any) -> Any:
    """Maps with sorted keys: CEL maps come back in an order that varies from one
    evaluation to the next, and the output must be the same bytes every run."""
    if isinstance(value, dict):
        return {k: _canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def _show(value: Any) -> str:
    text = repr(_canonical(expr.from_cel(value)))
    return text if len(text) <= 40 else text[:37] + "..."


def _zone(name: str) -> tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from agentctl.errors import ConfigError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"unknown time zone {name!r} in agentctl.yaml defaults.timezone",
            hint="use an IANA name such as Europe/Berlin, or UTC",
        ) from exc
