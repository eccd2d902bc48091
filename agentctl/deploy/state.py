"""Environments and the applied state of each, read from the ledger.

An environment's applied state is what its last `deployment` event says: every deployment
event holds the whole state of its environment (each resource's version, commit, since,
by and the deployment that brought it), so reading it is one indexed lookup of one row,
never a scan of the history. Deployment events carry `principal = env/NAME`, which the
ledger's (principal, ts) index serves.

`position` is where the state was read: the seq and hash of that deployment event (0 and
"" before the first one). A plan records it; apply refuses when it moved, and the
deployment is written in the transaction that checks it (`record`), so two applies can
never both build on one position.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from agentctl.errors import AgentctlError, UsageError
from agentctl.ledger.record import LedgerEvent, new_span_id, new_trace_id
from agentctl.ledger.store import Ledger
from agentctl.model.kinds import WorkspaceSpec

KIND = "deployment"
DEFAULT_ENV = "default"


class StaleStateError(AgentctlError):
    """The environment's applied state moved since it was read (another apply ran)."""

    exit_code = 1


@dataclass(frozen=True)
class Environment:
    name: str
    after: str | None = None  # the environment before it in the promotion order
    description: str | None = None


def environments(settings: WorkspaceSpec) -> dict[str, Environment]:
    """The declared environments, in their order in agentctl.yaml; `default` when none."""
    envs = settings.environments
    if not envs:
        return {DEFAULT_ENV: Environment(DEFAULT_ENV)}
    if isinstance(envs, list):
        return {name: Environment(name) for name in envs}
    return {name: Environment(name, e.after, e.description) for name, e in envs.items()}


def environment(settings: WorkspaceSpec, name: str | None) -> Environment:
    """`--env NAME` (None: the only environment, or `default`), refused when undeclared."""
    envs = environments(settings)
    if name is None:
        if DEFAULT_ENV in envs:
            return envs[DEFAULT_ENV]
        if len(envs) == 1:
            return next(iter(envs.values()))
        raise UsageError(
            "this workspace declares several environments: name one with --env",
            hint="environments: " + ", ".join(envs),
        )
    if name not in envs:
        raise UsageError(
            f"no environment {name!r} in agentctl.yaml",
            hint="environments: " + ", ".join(envs) + " (spec.environments)",
        )
    return envs[name]


def principal(env: str) -> str:
    """The principal column of an environment's deployment events (indexed)."""
    return f"env/{env}"


@dataclass(frozen=True)
class Position:
    """Where an environment's applied state was read: its last deployment event."""

    seq: int = 0
    hash: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash}


@dataclass(frozen=True)
class Deployed:
    """One resource as deployed in an environment."""

    ref: str
    version: str  # sha256:… (model/versions.py)
    commit: str | None  # the git commit it was deployed from
    since: str  # when this version was deployed (RFC 3339, the deployment's ts)
    by: str  # who applied it
    deployment: str  # the id of the deployment that brought this version
    # the digest of its document alone (Resource.digest): tells whether the document at
    # `commit` is the one deployed (a working copy with edits deploys other bytes)
    document: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "commit": self.commit,
            "since": self.since,
            "by": self.by,
            "deployment": self.deployment,
            "document": self.document,
        }


@dataclass(frozen=True)
class Deployment:
    """One deployment event, as read back."""

    id: str
    env: str
    seq: int
    hash: str
    ts: str
    by: str
    commit: str | None
    tree: str | None
    resources: dict[str, Deployed]
    changes: list[str] = field(default_factory=list)  # refs created, updated or deleted
    gates: list[dict[str, Any]] = field(default_factory=list)
    approvals: list[str] = field(default_factory=list)
    rollback_of: str | None = None  # a rollback: the deployment whose version it restores

    @property
    def position(self) -> Position:
        return Position(self.seq, self.hash)


@dataclass(frozen=True)
class AppliedState:
    env: str
    resources: dict[str, Deployed]
    position: Position
    deployment: Deployment | None = None  # the last one; None before the first

    def version(self, ref: str) -> str | None:
        got = self.resources.get(ref)
        return got.version if got else None

    def versions(self) -> dict[str, str]:
        return {ref: d.version for ref, d in self.resources.items()}


_COLUMNS = "seq, hash, ts, git_commit, attrs"


def _deployment(row: tuple[Any, ...]) -> Deployment:
    seq, digest, ts, commit, attrs_text = row
    attrs = orjson.loads(attrs_text)
    resources = {
        ref: Deployed(
            ref,
            d["version"],
            d.get("commit"),
            d["since"],
            d.get("by", ""),
            d["deployment"],
            d.get("document"),
        )
        for ref, d in attrs.get("resources", {}).items()
    }
    return Deployment(
        id=attrs["id"],
        env=attrs["env"],
        seq=int(seq),
        hash=str(digest),
        ts=str(ts),
        by=attrs.get("by", ""),
        commit=commit,
        tree=attrs.get("tree"),
        resources=resources,
        changes=list(attrs.get("changes", [])),
        gates=list(attrs.get("gates", [])),
        approvals=list(attrs.get("approvals", [])),
        rollback_of=attrs.get("rollback_of"),
    )


# unary + keeps the planner on the (principal, ts) index: the kind index would visit
# every deployment of every environment
LAST_SQL = (
    f"SELECT {_COLUMNS} FROM events WHERE principal = ? AND +kind = ? ORDER BY seq DESC LIMIT 1"
)


def _last(conn: sqlite3.Connection, env: str) -> Deployment | None:
    row = conn.execute(LAST_SQL, (principal(env), KIND)).fetchone()
    return _deployment(row) if row else None


def _state(env: str, last: Deployment | None) -> AppliedState:
    if last is None:
        return AppliedState(env, {}, Position())
    return AppliedState(env, last.resources, last.position, last)


def applied(ledger: Ledger, env: str) -> AppliedState:
    """The applied state of `env`: one indexed lookup of its last deployment event."""
    return _state(env, _last(ledger.conn, env))


def history(ledger: Ledger, env: str, limit: int | None = None) -> list[Deployment]:
    """The deployments of `env`, newest first."""
    sql = f"SELECT {_COLUMNS} FROM events WHERE principal = ? AND +kind = ? ORDER BY seq DESC" + (
        " LIMIT ?" if limit is not None else ""
    )
    args: tuple[Any, ...] = (principal(env), KIND) + ((limit,) if limit is not None else ())
    return [_deployment(r) for r in ledger.conn.execute(sql, args)]


# A deployment's id is `dep-` and the first 8 hex digits of its event's span id: found
# and checked for uniqueness on a column, without parsing any deployment's (large) attrs.
_ID = re.compile(r"dep-[0-9a-f]{8}\Z")
_BY_ID = (
    f"SELECT {_COLUMNS} FROM events WHERE kind = ? AND substr(span_id, 1, 8) = ? ORDER BY seq DESC"
)


def find(ledger: Ledger, deployment_id: str) -> Deployment | None:
    """A deployment by its id (any environment)."""
    if not _ID.match(deployment_id):
        return None
    for row in ledger.conn.execute(_BY_ID, (KIND, deployment_id[4:])):
        dep = _deployment(row)
        if dep.id == deployment_id:
            return dep
    return None


def new_id() -> str:
    """A deployment id short enough to type: `dep-` and 8 hex digits."""
    return "dep-" + os.urandom(4).hex()


def _taken(conn: sqlite3.Connection, dep_id: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM events WHERE kind = ? AND substr(span_id, 1, 8) = ? LIMIT 1",
        (KIND, dep_id[4:]),
    ).fetchone()
    return row is not None


def _fresh_id(conn: sqlite3.Connection) -> str:
    """A deployment id the ledger does not hold yet (read under the write lock: 32 bits
    collide once in a while among thousands of deployments)."""
    while True:
        got = new_id()
        if not _taken(conn, got):
            return got


@dataclass(frozen=True)
class Desired:
    """What a deployment makes an environment hold: each resource's version (a resource
    left out is deleted from the environment)."""

    versions: Mapping[str, str]
    commit: str | None
    tree: str | None = None
    documents: Mapping[str, str] = field(default_factory=dict)  # ref → document digest


def next_state(
    before: AppliedState, desired: Desired, dep_id: str, ts: str, by: str
) -> tuple[dict[str, Deployed], list[str]]:
    """The environment's resources after deploying `desired`, and the refs that changed.
    A resource whose version did not change keeps its since, by and deployment."""
    out: dict[str, Deployed] = {}
    changed: list[str] = []
    for ref in sorted(desired.versions):
        version = desired.versions[ref]
        old = before.resources.get(ref)
        if old is not None and old.version == version:
            out[ref] = old
        else:
            doc = desired.documents.get(ref)
            out[ref] = Deployed(ref, version, desired.commit, ts, by, dep_id, doc)
            changed.append(ref)
    changed.extend(sorted(set(before.resources) - set(desired.versions)))
    return out, sorted(changed)


def deployment_event(
    env: str,
    dep_id: str,
    resources: Mapping[str, Deployed],
    changes: Sequence[str],
    *,
    ts: str,
    by: str,
    commit: str | None,
    tree: str | None,
    gates: Sequence[Mapping[str, Any]] = (),
    approvals: Sequence[str] = (),
    rollback_of: str | None = None,
) -> LedgerEvent:
    attrs: dict[str, Any] = {
        "id": dep_id,
        "env": env,
        "by": by,
        "tree": tree,
        "resources": {ref: d.as_dict() for ref, d in sorted(resources.items())},
        "changes": list(changes),
        "gates": [dict(g) for g in gates],
        "approvals": list(approvals),
    }
    if rollback_of is not None:
        attrs["rollback_of"] = rollback_of
    assert _ID.match(dep_id), dep_id
    return LedgerEvent(
        kind=KIND,
        trace_id=new_trace_id(),
        span_id=dep_id[4:] + new_span_id()[8:],  # the id is the span's prefix (`find`)
        parent_span_id=None,
        ts=ts,
        principal=principal(env),
        commit=commit,
        operation="rollback" if rollback_of else "apply",
        attrs=attrs,
    )


# more events for a deployment's transaction, made from the ledger under the write lock
Extra = Callable[[sqlite3.Connection, str], Sequence[LedgerEvent]]


def record(
    ledger: Ledger,
    env: str,
    desired: Desired,
    *,
    expected: Position,
    ts: str,
    by: str,
    gates: Sequence[Mapping[str, Any]] = (),
    approvals: Sequence[str] = (),
    rollback_of: str | None = None,
    extra: Extra | None = None,
    dep_id: str | None = None,
) -> Deployment:
    """Record a deployment of `desired` to `env` in one transaction, refused (nothing
    written) when the environment's state is no longer at `expected`. `extra(conn, id)`
    returns more events for the same transaction (the approvals' use), and may raise to
    refuse."""
    chosen = dep_id
    made: list[Deployment] = []

    def build(conn: sqlite3.Connection) -> list[LedgerEvent]:
        if chosen is not None and _taken(conn, chosen):
            raise ValueError(f"deployment id {chosen} is taken")
        dep_id = chosen or _fresh_id(conn)
        last = _last(conn, env)
        before = _state(env, last)
        if before.position != expected:
            raise StaleStateError(
                f"the applied state of {env!r} moved since the plan was made "
                f"(now at deployment {last.id if last else 'none'}, ledger seq "
                f"{before.position.seq}; the plan was made at seq {expected.seq})",
                hint=f"make a new plan: agentctl plan --env {env}",
            )
        resources, changes = next_state(before, desired, dep_id, ts, by)
        event = deployment_event(
            env,
            dep_id,
            resources,
            changes,
            ts=ts,
            by=by,
            commit=desired.commit,
            tree=desired.tree,
            gates=gates,
            approvals=approvals,
            rollback_of=rollback_of,
        )
        more = list(extra(conn, dep_id)) if extra is not None else []
        made.append(
            Deployment(
                dep_id,
                env,
                0,
                "",
                ts,
                by,
                desired.commit,
                desired.tree,
                resources,
                changes,
                [dict(g) for g in gates],
                list(approvals),
                rollback_of,
            )
        )
        return [event, *more]

    seqs = ledger.append_built(build)
    row = ledger.conn.execute("SELECT hash FROM events WHERE seq = ?", (seqs[0],)).fetchone()
    return replace(made[0], seq=seqs[0], hash=str(row[0]))
