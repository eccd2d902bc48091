"""The guard: every call an agent makes passes here first. Deny by default.

A pure core: decisions come from the charter, the workspace, the counters of this run, the
day's totals read from the ledger (by the shell) and the time passed in (`today`, and
`elapsed_s`, seconds since the run started). It never reads the clock or the disk.

The order of the checks is part of the contract (the first failing one is reported):
operation known → scope granted → contract scopes (when serving an ask) → data classes →
rate limit → budgets (per run, then per day). Budget and wall-time denials are hard stops.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from agentctl.model.index import OperationRef, Resource, Workspace
from agentctl.model.kinds import CharterDoc, ContractDoc, Limits
from agentctl.model.permissions import covers, effective_permissions
from agentctl.model.types import format_usd
from agentctl.runtime.errors import Denied, Stopped

ZERO = Decimal(0)


@dataclass
class Counters:
    """What a run (or a day) has used so far."""

    usd: Decimal = ZERO
    tokens: int = 0
    steps: int = 0
    tool_calls: int = 0
    wall_time_s: float = 0.0


@dataclass
class Want:
    """What one request would add to the counters."""

    usd: Decimal = ZERO
    steps: int = 1
    tool_calls: int = 0
    tokens: int = 0  # a model call's worst case (its max_tokens), for reservations


# the counters a per-day limit can be reserved on (wall time is known only at run end)
LEASED = ("usd", "steps", "tool_calls", "tokens")


def _over(limits: Limits, used: Counters, want: Want, wall_s: float) -> tuple[str, str] | None:
    """The first limit that `want` would exceed: (which, message), or None."""
    if limits.steps is not None and used.steps + want.steps > limits.steps:
        return "steps", f"{limits.steps} steps"
    if limits.tool_calls is not None and used.tool_calls + want.tool_calls > limits.tool_calls:
        return "tool_calls", f"{limits.tool_calls} tool calls"
    if limits.usd is not None and used.usd + want.usd > limits.usd:
        spent = format_usd(used.usd)
        return "usd", f"{format_usd(limits.usd)} (spent {spent}, this call {format_usd(want.usd)})"
    if limits.tokens is not None and (
        used.tokens >= limits.tokens or used.tokens + want.tokens > limits.tokens
    ):
        return "tokens", f"{limits.tokens} tokens (used {used.tokens})"
    if limits.wall_time is not None and wall_s > limits.wall_time.total_seconds():
        return "wall_time", f"{limits.wall_time.total_seconds():g}s of wall time"
    return None


@dataclass
class Guard:
    """The decisions for one run of one charter."""

    workspace: Workspace
    charter: Resource[CharterDoc]
    today: date
    day: Counters = field(default_factory=Counters)
    # serving an ask under a contract: only these scopes, and at most this much per request
    contract_scopes: frozenset[str] | None = None
    usd_ceiling: Decimal | None = None
    # what set usd_ceiling, for the message of a denial (e.g. "contract/x per_request_usd")
    ceiling_source: str = "the request's cost ceiling"
    used: Counters = field(default_factory=Counters)
    # other runs of this charter today that hold reservations not used yet (for messages:
    # `day` includes what they hold)
    day_in_flight: int = 0
    # paused in the run's environment by `agentctl pause` (agentctl/deploy/pause.py): the
    # refusal's message and hint, read from the ledger by the shell at the run's start
    paused: tuple[str, str] | None = None
    _day_flags: tuple[bool, ...] | None = None  # which LEASED counters have a per-day limit
    _granted: dict[str, OperationRef] | None = None

    @property
    def name(self) -> str:
        return self.charter.name

    @property
    def spec(self) -> Any:
        return self.charter.doc.spec

    # --- the run itself ----------------------------------------------------------------

    def check_run(self) -> Denied | None:
        """Refuse the whole run: a paused charter, an expired credential, a spent day."""
        spec = self.spec
        if self.paused is not None:
            return Denied(self.paused[0], rule="paused", hint=self.paused[1])
        if spec.paused:
            return Denied(
                f"charter/{self.name} is paused: runs are refused",
                rule="paused",
                hint="set spec.paused: false after review",
            )
        cred = spec.credential
        if cred is not None and cred.expires <= self.today:
            return Denied(
                f"the credential of charter/{self.name} expired on {cred.expires.isoformat()}",
                rule="credential-expired",
                hint="rotate the credential: set spec.credential.issued to a new date",
            )
        over = _over(spec.budget.per_day, self.day, Want(steps=1), self.day.wall_time_s)
        if over is not None:
            return Stopped(
                f"daily budget of charter/{self.name} spent: {over[1]}{self._flying()}",
                rule="budget",
                limit=over[0],
                period="day",
                hint="wait for tomorrow or raise spec.budget.per_day",
            )
        return None

    # --- tool calls --------------------------------------------------------------------

    def _contract_ops(self) -> frozenset[str]:
        """The operations the contract's grants reach: scopes, `c.op` and `c.*` mean what
        they mean in a charter's tools (agentctl/model/permissions.py)."""
        grants = self.contract_scopes or frozenset()
        return frozenset(r.qualified for g in grants for r in self.workspace.operations_for(g))

    def granted(self) -> dict[str, OperationRef]:
        if self._granted is None:
            ops = self.workspace.granted_operations(self.charter.doc)
            self._granted = {o.qualified: o for o in ops}
        return self._granted

    def resolve(self, operation: str) -> OperationRef | Denied:
        """`connector.operation` → the operation, if it exists anywhere in the workspace."""
        conn_name, _, op_name = operation.partition(".")
        conn = self.workspace.get(f"connector/{conn_name}")
        if conn is not None and op_name in conn.doc.spec.operations:
            return OperationRef(conn, op_name, conn.doc.spec.operations[op_name])
        from agentctl.model.validate import did_you_mean

        known = [f"{c.name}.{o}" for c in self.workspace.connectors for o in c.doc.spec.operations]
        return Denied(
            f"unknown operation {operation!r}",
            rule="unknown-operation",
            operation=operation,
            hint=did_you_mean(operation, known) or "write CONNECTOR.OPERATION",
        )

    def check_call(
        self, ref: OperationRef, elapsed_s: float, recent_calls: int = 0
    ) -> Denied | None:
        """A tool call. `recent_calls`: the calls of its connector in the rate limit's
        window, all runs and processes included (the shell counts them in the ledger)."""
        op = ref.op
        name = ref.qualified
        allowed = set(self.spec.data_classes)
        bad = [d for d in op.data_classes if d not in allowed]
        if name not in self.granted():
            return Denied(
                f"charter/{self.name} is not granted scope {op.scope!r} (needed by {name})",
                rule="scope",
                scope=op.scope,
                operation=name,
                # the classes it may not touch either: red-team cases probe for both
                data_class=bad[0] if bad else None,
                hint=f"add {op.scope!r} to spec.tools of charter/{self.name} after review",
            )
        if self.contract_scopes is not None and name not in self._contract_ops():
            return Denied(
                f"{name} needs scope {op.scope!r}, outside the contract this request is served "
                f"under ({', '.join(sorted(self.contract_scopes))})",
                rule="contract-scope",
                scope=op.scope,
                operation=name,
            )
        if bad:
            return Denied(
                f"charter/{self.name} may not touch data class {', '.join(bad)} "
                f"(touched by {name})",
                rule="data-class",
                data_class=bad[0],
                scope=op.scope,
                operation=name,
                hint="add it to spec.data_classes only after a privacy review",
            )
        limit = ref.connector.doc.spec.rate_limit
        if limit is not None and recent_calls >= limit.calls:
            per = limit.per.total_seconds()
            return Denied(
                f"rate limit of connector/{ref.connector.name}: {limit.calls} calls per "
                f"{per:g}s ({recent_calls} in the last {per:g}s, all runs)",
                rule="rate-limit",
                scope=op.scope,
                operation=name,
                limit=f"{limit.calls} calls",
                period=f"{per:g}s",
                hint="slow down and retry later",
            )
        return self._budget(Want(usd=op.cost_usd, tool_calls=1), elapsed_s)

    def note_call(self, ref: OperationRef, elapsed_s: float) -> None:
        """Count an executed call (also when it failed: it ran and may have cost money)."""
        self.used.steps += 1
        self.used.tool_calls += 1
        self.used.usd += ref.op.cost_usd

    # --- model calls -------------------------------------------------------------------

    def check_model(self, elapsed_s: float) -> Denied | None:
        return self._budget(Want(), elapsed_s)

    def check_day(self, want: Want, elapsed_s: float) -> Denied | None:
        """The budgets again, against a fresh `day` (before a reservation is made)."""
        return self._budget(want, elapsed_s)

    def _left(self) -> tuple[list[tuple[int, str]], list[tuple[Decimal, str]]]:
        """What the budgets have left: [(tokens, period)], [(usd, period)]."""
        tokens: list[tuple[int, str]] = []
        usd: list[tuple[Decimal, str]] = []
        day = Counters(usd=self.day.usd + self.used.usd, tokens=self.day.tokens + self.used.tokens)
        for period, limits, used in (
            ("run", self.spec.budget.per_run, self.used),
            ("day", self.spec.budget.per_day, day),
        ):
            if limits.tokens is not None:
                tokens.append((limits.tokens - used.tokens, period))
            if limits.usd is not None:
                usd.append((limits.usd - used.usd, period))
        if self.usd_ceiling is not None:
            usd.append((self.usd_ceiling - self.used.usd, "request"))
        return tokens, usd

    def model_max_tokens(
        self, configured: int | None, usd_per_1k_output: Decimal
    ) -> int | Denied | None:
        """The max_tokens a model call is sent with, or a hard stop before it is sent.

        The worst case of a call is its max_tokens, all generated, at the output price. A
        configured max_tokens whose worst case does not fit what a budget has left (tokens,
        or USD) is refused; without one, max_tokens is what the budgets can still pay for
        (None: unbounded). Input tokens are known only from the reply and are counted then.
        """
        tokens, usd = self._left()
        caps: list[tuple[int, str, str]] = [(max(0, t), p, "tokens") for t, p in tokens]
        if usd_per_1k_output > 0:
            for left, p in usd:
                afford = int(max(ZERO, left) * 1000 / usd_per_1k_output)
                caps.append((afford, p, "usd"))
        if not caps:
            return configured
        cap, period, limit = min(caps)
        who = "this request" if period == "request" else f"charter/{self.name} per {period}"
        if configured is not None and configured <= cap:
            return configured
        if configured is None and cap >= 1:
            return cap
        if limit == "tokens":
            msg = f"{cap} tokens left in the budget of {who}"
        else:
            left = min(x for x, p in usd if p == period)
            msg = f"{format_usd(max(ZERO, left))} left in the budget of {who}"
        if configured is not None:
            worst = f"max_tokens {configured}"
            if limit == "usd":
                worst += f" at {format_usd(usd_per_1k_output)}/1k output tokens is "
                worst += format_usd(usd_per_1k_output * configured / 1000)
            why = f"its worst case ({worst}) exceeds the {msg}"
        else:
            why = f"only {msg}"
        return Stopped(
            f"model call refused before it was sent: {why}",
            rule="budget",
            limit=limit,
            period=period,
            hint="lower spec.runtime.model.max_tokens, or raise the budget after review",
        )

    def note_model(self, tokens: int, usd: Decimal) -> Denied | None:
        """Count a model call; a budget it overran stops the run from here on."""
        self.used.steps += 1
        self.used.tokens += tokens
        self.used.usd += usd
        return self._budget(Want(steps=0), 0.0, spent=True)

    # --- asks ----------------------------------------------------------------------------

    def check_ask(
        self, provider: str, elapsed_s: float
    ) -> tuple[Resource[ContractDoc], Resource[CharterDoc]] | Denied:
        """An ask of another charter: a contract must cover consumer → provider today."""
        ref = provider if provider.startswith("charter/") else f"charter/{provider}"
        target = self.workspace.charter(ref)
        if target is None:
            from agentctl.model.validate import did_you_mean

            names = [c.ref for c in self.workspace.charters]
            return Denied(
                f"unknown charter {ref!r}",
                rule="unknown-charter",
                operation=ref,
                hint=did_you_mean(ref, names) or "ask an existing charter",
            )
        me = f"charter/{self.name}"
        mine = [
            c
            for c in self.workspace.contracts
            if c.doc.spec.consumer == me and c.doc.spec.provider == ref
        ]
        if not mine:
            return Denied(
                f"no contract lets {me} ask {ref}",
                rule="contract",
                operation=ref,
                hint=f"add a Contract with consumer {me} and provider {ref}",
            )
        valid = [c for c in mine if _valid(c.doc, self.today)]
        if not valid:
            c = mine[0]
            v = c.doc.spec.valid
            assert v is not None
            return Denied(
                f"contract/{c.name} is valid {v.from_.isoformat()} to {v.until.isoformat()}, "
                f"not on {self.today.isoformat()}",
                rule="contract-validity",
                operation=ref,
                contract=c.name,
                hint="renew the contract's spec.valid period",
            )
        contract = valid[0]
        held = effective_permissions(self.workspace, target.doc)
        uncovered = [
            s
            for s in contract.doc.spec.scopes
            if not self.workspace.operations_for(s) or covers(held, s, self.workspace)
        ]
        if uncovered:
            return Denied(
                f"contract/{contract.name} covers {', '.join(uncovered)}, which {ref} is not "
                "granted",
                rule="contract-scope",
                operation=ref,
                contract=contract.name,
                hint="the provider's charter must hold every scope of the contract",
            )
        stop = self._budget(Want(), elapsed_s)
        if stop is not None:
            return stop
        return contract, target

    def check_contract_day(
        self, contract: Resource[ContractDoc], spent: Decimal, in_flight: int = 0
    ) -> Denied | None:
        """A contract's per-day cost ceiling, from what was spent under it today and what
        the `in_flight` requests hold (the shell reads both from the ledger)."""
        ceiling = contract.doc.spec.cost_ceiling.per_day_usd
        if ceiling is None or spent < ceiling:
            return None
        held = f" ({in_flight} in flight included)" if in_flight else ""
        return Denied(
            f"contract/{contract.name} has reached its daily cost ceiling: "
            f"{format_usd(spent)} of {format_usd(ceiling)} spent{held} on "
            f"{self.today.isoformat()}",
            rule="contract-ceiling",
            operation=contract.doc.spec.provider,
            contract=contract.name,
            limit="usd",
            period="day",
            hint=f"wait for tomorrow, or raise spec.cost_ceiling.per_day_usd of "
            f"contract/{contract.name} after review",
        )

    def ask_ceiling(
        self, contract: Resource[ContractDoc], spent_today: Decimal = ZERO
    ) -> tuple[Decimal, str] | None:
        """The most the provider may spend on this request, and what sets it: the contract
        (per request; per day, less what was spent today) and our own budgets."""
        caps: list[tuple[Decimal, str]] = []
        cc = contract.doc.spec.cost_ceiling
        if cc.per_request_usd is not None:
            caps.append((cc.per_request_usd, f"contract/{contract.name} per_request_usd"))
        if cc.per_day_usd is not None:
            left = max(ZERO, cc.per_day_usd - spent_today)
            caps.append(
                (
                    left,
                    f"contract/{contract.name} per_day_usd of {format_usd(cc.per_day_usd)}, "
                    f"{format_usd(spent_today)} spent today",
                )
            )
        for period, limits, used in (
            ("run", self.spec.budget.per_run, self.used),
            ("day", self.spec.budget.per_day, self.day),
        ):
            if limits.usd is not None:
                extra = self.used.usd if used is self.day else ZERO
                left = max(ZERO, limits.usd - used.usd - extra)
                caps.append((left, f"the budget per {period} of charter/{self.name}"))
        if self.usd_ceiling is not None:  # serving an ask itself: what that request has left
            left = max(ZERO, self.usd_ceiling - self.used.usd)
            caps.append((left, f"the cost ceiling of this request ({self.ceiling_source})"))
        return min(caps, key=lambda c: c[0]) if caps else None

    def note_ask(self, usd: Decimal) -> None:
        self.used.steps += 1
        self.used.usd += usd

    # --- budgets -----------------------------------------------------------------------

    def _flying(self) -> str:
        n = self.day_in_flight
        if not n:
            return ""
        return f"; {n} run{'s' if n > 1 else ''} in flight hold{'' if n > 1 else 's'} part of it"

    def lease_need(self, want: Want, held: Counters) -> Counters | None:
        """What this run must hold of the day's limits to take `want`, or None when what it
        `held` already covers it (or there is no per-day limit to hold).

        `self.day` must be fresh (what the other runs used or hold, read under the charter's
        lock) and `want` admitted by the budget checks against it. The reservation tops up
        to the run's own per-run allowance where it has one, so that one reservation usually
        covers a whole run; never beyond what the day has left, never less than needed.
        """
        per_day = self.spec.budget.per_day
        flags = self._day_flags
        if flags is None:
            flags = self._day_flags = tuple(getattr(per_day, d) is not None for d in LEASED)
        u = self.used
        # the common case first, cheaply (it runs before every step): what is held covers it
        if not (
            (flags[0] and u.usd + want.usd > held.usd)
            or (flags[1] and u.steps + want.steps > held.steps)
            or (flags[2] and u.tool_calls + want.tool_calls > held.tool_calls)
            or (flags[3] and u.tokens + want.tokens > held.tokens)
        ):
            return None
        per_run = self.spec.budget.per_run
        dims = [d for d, on in zip(LEASED, flags, strict=True) if on]
        need = Counters(
            usd=u.usd + want.usd,
            tokens=u.tokens + want.tokens,
            steps=u.steps + want.steps,
            tool_calls=u.tool_calls + want.tool_calls,
        )
        target = Counters()
        for d in dims:
            n = getattr(need, d)
            left = getattr(per_day, d) - getattr(self.day, d)
            top = getattr(per_run, d)
            setattr(target, d, max(getattr(held, d), n, min(n if top is None else top, left)))
        return target

    def _budget(self, want: Want, elapsed_s: float, *, spent: bool = False) -> Denied | None:
        budget = self.spec.budget
        if self.usd_ceiling is not None and self.used.usd + want.usd > self.usd_ceiling:
            return Stopped(
                f"the cost ceiling of this request ({format_usd(self.usd_ceiling)}: "
                f"{self.ceiling_source}) would be exceeded (spent {format_usd(self.used.usd)}, "
                f"this call {format_usd(want.usd)})",
                rule="budget",
                limit="usd",
                period="request",
            )
        day_used = Counters(
            usd=self.day.usd + self.used.usd,
            tokens=self.day.tokens + self.used.tokens,
            steps=self.day.steps + self.used.steps,
            tool_calls=self.day.tool_calls + self.used.tool_calls,
        )
        for period, limits, used, wall in (
            ("run", budget.per_run, self.used, elapsed_s),
            ("day", budget.per_day, day_used, self.day.wall_time_s + elapsed_s),
        ):
            over = _spent(limits, used) if spent else _over(limits, used, want, wall)
            if over is not None:
                flying = self._flying() if period == "day" else ""
                return Stopped(
                    f"budget per {period} of charter/{self.name} reached: {over[1]}{flying}",
                    rule="budget",
                    limit=over[0],
                    period=period,
                    hint=f"raise spec.budget.per_{period} after review, or do less per run",
                )
        return None


def _spent(limits: Limits, used: Counters) -> tuple[str, str] | None:
    """After the fact (a model call's tokens are known only once it answered)."""
    if limits.tokens is not None and used.tokens > limits.tokens:
        return "tokens", f"{limits.tokens} tokens (used {used.tokens})"
    if limits.usd is not None and used.usd > limits.usd:
        return "usd", f"{format_usd(limits.usd)} (spent {format_usd(used.usd)})"
    if limits.steps is not None and used.steps > limits.steps:
        return "steps", f"{limits.steps} steps"
    return None


def _valid(contract: ContractDoc, today: date) -> bool:
    v = contract.spec.valid
    return v is None or v.from_ <= today <= v.until
