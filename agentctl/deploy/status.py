"""`agentctl status`: what is deployed where, and what needs a human's attention.

- per environment, its last deployment and the drift between the workspace's versions and
  the deployed ones (deploy/state.py `applied`);
- paused charters: by `agentctl pause` (ledger) and by `spec.paused` (the YAML);
- credentials expiring within 14 days (lint's `credential-expiring` window) or expired;
- permission reviews due (`review_by`), or due within the same 14 days;
- grants unused for a window (30 days by default): from the ledger's `tool_call` events of
  each charter, the operations its effective permissions reach that it never called, and
  the `tools:` entries (file:line:col) that reach only such operations: remove them.

`build` is pure (the workspace, the applied states, the pauses, the calls seen and the time
come in); `gather` is the shell that reads them from the ledger.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agentctl.deploy.pause import Pause, all_pauses
from agentctl.deploy.state import AppliedState, applied, environments
from agentctl.ledger import Ledger, format_ts
from agentctl.lint.rules_time import EXPIRY_WARNING
from agentctl.model.index import Resource, Workspace
from agentctl.model.kinds import CharterDoc
from agentctl.model.types import format_duration

DEFAULT_WINDOW = _dt.timedelta(days=30)


@dataclass(frozen=True)
class Drift:
    ref: str
    change: str  # modified | not-deployed | not-in-workspace
    deployed: str | None  # the version deployed, None when not there
    workspace: str | None  # the workspace's version, None when not there

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "change": self.change,
            "deployed": self.deployed,
            "workspace": self.workspace,
        }


@dataclass
class EnvStatus:
    name: str
    state: AppliedState
    drift: list[Drift] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        dep = self.state.deployment
        return {
            "env": self.name,
            "deployment": None
            if dep is None
            else {"id": dep.id, "ts": dep.ts, "by": dep.by, "commit": dep.commit, "seq": dep.seq},
            "resources": {ref: d.as_dict() for ref, d in sorted(self.state.resources.items())},
            "drift": [d.to_dict() for d in self.drift],
        }


@dataclass(frozen=True)
class Dated:
    """A charter's date that needs attention: a credential's expiry, a review."""

    charter: str
    date: _dt.date
    days: int  # from today: negative when past
    where: str  # file:line:col

    def to_dict(self) -> dict[str, Any]:
        return {
            "charter": self.charter,
            "date": self.date.isoformat(),
            "days": self.days,
            "where": self.where,
        }


@dataclass(frozen=True)
class Grant:
    """One `tools:` entry of a charter and what the window saw of it."""

    grant: str
    where: str  # file:line:col of the entry
    operations: tuple[str, ...]  # what it reaches
    unused: tuple[str, ...]  # of those, never called in the window

    @property
    def removable(self) -> bool:
        return bool(self.operations) and self.unused == self.operations

    def to_dict(self) -> dict[str, Any]:
        return {
            "grant": self.grant,
            "where": self.where,
            "operations": list(self.operations),
            "unused": list(self.unused),
            "remove": self.removable,
        }


@dataclass(frozen=True)
class Unused:
    """A charter's grants that reached operations it did not call in the window."""

    charter: str
    runs: int  # runs in the window
    grants: tuple[Grant, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "charter": self.charter,
            "runs": self.runs,
            "grants": [g.to_dict() for g in self.grants],
        }


@dataclass(frozen=True)
class Evidence:
    """What the ledger saw of each charter in the window: operations called, runs."""

    called: Mapping[str, frozenset[str]]
    runs: Mapping[str, int]
    since: str | None  # the ledger's first event: no evidence before it


@dataclass
class StatusReport:
    now: str
    window: str
    window_start: str
    envs: list[EnvStatus]
    paused: list[Pause]
    paused_in_yaml: list[dict[str, str]]  # charter, where: its YAML says paused: true
    credentials: list[Dated]
    reviews: list[Dated]
    unused: list[Unused]
    evidence_since: str | None

    @property
    def evidence_short(self) -> bool:
        """The ledger starts after the window does: "unused" covers less than the window."""
        return self.evidence_since is None or self.evidence_since > self.window_start

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "environments": [e.to_dict() for e in self.envs],
            "paused": [p.to_dict() for p in self.paused],
            "paused_in_yaml": self.paused_in_yaml,
            "credentials_expiring": [c.to_dict() for c in self.credentials],
            "reviews_due": [r.to_dict() for r in self.reviews],
            "unused_grants": {
                "window": self.window,
                "since": self.window_start,
                "evidence_since": self.evidence_since,
                "charters": [u.to_dict() for u in self.unused],
            },
        }


def _where(res: Resource[Any], *path: str | int) -> str:
    loc = res.location(*path)
    return f"{loc.file}:{loc.line}:{loc.column}"


def drift(desired: Mapping[str, str], state: AppliedState) -> list[Drift]:
    out: list[Drift] = []
    deployed = state.versions()
    for ref in sorted(set(desired) | set(deployed)):
        want, have = desired.get(ref), deployed.get(ref)
        if want == have:
            continue
        change = (
            "not-deployed" if have is None else "not-in-workspace" if want is None else "modified"
        )
        out.append(Drift(ref, change, have, want))
    return out


def unused_grants(
    ws: Workspace, charter: Resource[CharterDoc], called: frozenset[str]
) -> tuple[Grant, ...]:
    """Each `tools:` entry that reaches an operation `charter` did not call."""
    perms = ws.effective_permissions(charter.doc)
    out = []
    for i, grant in enumerate(charter.doc.spec.tools):
        ops = tuple(sorted(op for op, p in perms.items() if grant in p.grants))
        unused = tuple(op for op in ops if op not in called)
        if unused:
            out.append(Grant(grant, _where(charter, "spec", "tools", i), ops, unused))
    return tuple(out)


def build(
    ws: Workspace,
    desired: Mapping[str, str],
    states: list[AppliedState],
    pauses: list[Pause],
    evidence: Evidence,
    *,
    now: _dt.datetime,
    today: _dt.date,
    window: _dt.timedelta,
) -> StatusReport:
    """The report, from values only (no clock, no disk)."""
    envs = [EnvStatus(s.env, s, drift(desired, s)) for s in states]
    in_yaml = [
        {"charter": c.name, "where": _where(c, "spec", "paused")}
        for c in ws.charters
        if c.doc.spec.paused
    ]
    creds: list[Dated] = []
    reviews: list[Dated] = []
    for c in ws.charters:
        cred = c.doc.spec.credential
        if cred is not None:
            try:
                expires = cred.expires
            except OverflowError:  # past year 9999: never
                expires = None
            if expires is not None and expires - today <= EXPIRY_WARNING:
                creds.append(
                    Dated(c.name, expires, (expires - today).days, _where(c, "spec", "credential"))
                )
        due = c.doc.spec.review_by
        if due is not None and due - today <= EXPIRY_WARNING:
            reviews.append(Dated(c.name, due, (due - today).days, _where(c, "spec", "review_by")))
    unused = []
    for c in ws.charters:
        grants = unused_grants(ws, c, evidence.called.get(c.name, frozenset()))
        if grants:
            unused.append(Unused(c.name, evidence.runs.get(c.name, 0), grants))
    return StatusReport(
        now=format_ts(now),
        window=format_duration(window),
        window_start=format_ts(now - window),
        envs=envs,
        paused=pauses,
        paused_in_yaml=in_yaml,
        credentials=sorted(creds, key=lambda d: (d.date, d.charter)),
        reviews=sorted(reviews, key=lambda d: (d.date, d.charter)),
        unused=unused,
        evidence_since=evidence.since,
    )


# --- the shell: what the ledger says -----------------------------------------------------

_CALLED = (
    "SELECT DISTINCT operation FROM events "
    "WHERE principal = ? AND ts >= ? AND ts <= ? AND +kind = 'tool_call' AND operation IS NOT NULL"
)
_RUNS = (
    "SELECT count(*) FROM events "
    "WHERE principal = ? AND ts >= ? AND ts <= ? AND +kind = 'run_start'"
)


def evidence(ledger: Ledger, charters: list[str], since: str, until: str) -> Evidence:
    """Per charter, the operations its tool calls named in [since, until] (executed calls:
    ok or error; denials are `denial` events) and its runs: range scans of the (principal,
    ts) index, one per charter."""
    conn = ledger.conn
    called = {
        c: frozenset(r[0] for r in conn.execute(_CALLED, (c, since, until))) for c in charters
    }
    runs = {c: int(conn.execute(_RUNS, (c, since, until)).fetchone()[0]) for c in charters}
    first = conn.execute("SELECT min(ts) FROM events").fetchone()[0]
    return Evidence(called, runs, first)


def gather(
    ws: Workspace,
    ledger: Ledger | None,
    desired: Mapping[str, str],
    *,
    env: str | None,
    now: _dt.datetime,
    today: _dt.date,
    window: _dt.timedelta = DEFAULT_WINDOW,
) -> StatusReport:
    """Read what `build` needs from `ledger` (None: no ledger yet, so nothing deployed,
    paused or called) and build the report; `env` limits it to one environment."""
    names = [env] if env is not None else list(environments(ws.settings))
    if ledger is None:
        from agentctl.deploy.state import Position

        states = [AppliedState(n, {}, Position()) for n in names]
        pauses: list[Pause] = []
        ev = Evidence({}, {}, None)
    else:
        states = [applied(ledger, n) for n in names]
        pauses = [p for p in all_pauses(ledger) if env is None or p.env == env]
        ev = evidence(
            ledger, [c.name for c in ws.charters], format_ts(now - window), format_ts(now)
        )
    return build(ws, desired, states, pauses, ev, now=now, today=today, window=window)
