"""`agentctl pause|resume`: an emergency brake on a charter in one environment.

The brake is ledger events, not a file: `charter_paused` and `charter_resumed`, hash-chained
like the rest, so it takes effect at once (no commit, no deployment) and the record of who
pulled it, when and why cannot be edited away. The latest of the two for a (charter,
environment) decides. Every run reads the pauses of its environment at its start
(`paused_in`) and the guard refuses a paused charter's run, nested asks included.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from agentctl.deploy.state import DEFAULT_ENV
from agentctl.errors import UsageError
from agentctl.ledger import Ledger, LedgerEvent, new_span_id, new_trace_id

PAUSED = "charter_paused"
RESUMED = "charter_resumed"


@dataclass(frozen=True)
class Pause:
    """A charter paused in an environment: by whom, since when, why (seq: its event)."""

    charter: str
    env: str
    by: str
    reason: str
    since: str
    seq: int

    def message(self) -> str:
        return (
            f"charter/{self.charter} is paused in environment {self.env} by {self.by} "
            f"since {self.since}: {self.reason}"
        )

    def hint(self) -> str:
        env = "" if self.env == DEFAULT_ENV else f" --env {self.env}"
        return f'after review: agentctl resume {self.charter}{env} --reason "..."'

    def to_dict(self) -> dict[str, Any]:
        return {
            "charter": self.charter,
            "env": self.env,
            "by": self.by,
            "reason": self.reason,
            "since": self.since,
            "seq": self.seq,
        }


@dataclass(frozen=True)
class Change:
    """What `pause`/`resume` did: the event's seq (None: nothing to do) and the pause it
    set or lifted (None: the charter was not paused there)."""

    seq: int | None
    pause: Pause | None


@dataclass(frozen=True)
class YamlEdit:
    """`paused: true` written into (or removed from) a charter's file, at `line`."""

    file: str
    line: int
    paused: bool
    changed: bool  # False: the file already said so


@dataclass
class BrakeReport:
    """What `agentctl pause|resume` did, for the renderers."""

    charter: str
    env: str
    paused: bool  # pause (True) or resume (False)
    change: Change
    yaml: YamlEdit | None = None

    def headline(self) -> str:
        ref, p = f"charter/{self.charter}", self.change.pause
        if self.paused and self.change.seq is not None:
            return (
                f"Paused {ref} in environment {self.env} (ledger seq {self.change.seq}): "
                "its runs there are refused from now on."
            )
        if self.paused and p is not None:
            return f"{p.message()}: already paused, nothing recorded."
        if self.change.seq is not None and p is not None:
            return (
                f"Resumed {ref} in environment {self.env} (ledger seq {self.change.seq}); "
                f"it was paused by {p.by} since {p.since}."
            )
        return f"{ref} is not paused in environment {self.env}: nothing recorded."

    def to_dict(self) -> dict[str, Any]:
        y = self.yaml
        return {
            "action": "pause" if self.paused else "resume",
            "charter": self.charter,
            "env": self.env,
            "recorded": self.change.seq is not None,
            "seq": self.change.seq,
            "pause": self.change.pause.to_dict() if self.change.pause else None,
            "yaml": None
            if y is None
            else {"file": y.file, "line": y.line, "paused": y.paused, "changed": y.changed},
        }


_QUERY = (
    "SELECT seq, kind, principal, ts, attrs FROM events "
    f"WHERE kind IN ('{PAUSED}', '{RESUMED}') ORDER BY seq"
)


def _pauses(conn: sqlite3.Connection, env: str | None) -> dict[tuple[str, str], Pause]:
    """(charter, env) → Pause, for what is paused now; every environment when env is None.
    A range scan of the (kind, ts) index: pauses are rare, runs are many."""
    state: dict[tuple[str, str], Pause] = {}
    for seq, kind, principal, ts, attrs in conn.execute(_QUERY):
        a = orjson.loads(attrs)
        where = str(a.get("env", DEFAULT_ENV))
        if env is not None and where != env:
            continue
        key = (str(principal), where)
        if kind == PAUSED:
            state[key] = Pause(
                key[0], where, str(a.get("by", "")), str(a.get("reason", "")), str(ts), int(seq)
            )
        else:
            state.pop(key, None)
    return state


def paused_in(ledger: Ledger, env: str | None) -> dict[str, Pause]:
    """Charter name → its pause, for the charters paused in `env` now. None: in any
    environment (the oldest pause of each charter), for a run that names none in a
    workspace with several: omitting --env never bypasses a brake."""
    out: dict[str, Pause] = {}
    for (c, _e), p in sorted(_pauses(ledger.conn, env).items(), key=lambda kv: -kv[1].seq):
        out[c] = p
    return out


def all_pauses(ledger: Ledger) -> list[Pause]:
    """Every pause in force, in any environment, oldest first."""
    return sorted(_pauses(ledger.conn, None).values(), key=lambda p: p.seq)


def _event(kind: str, charter: str, env: str, by: str, reason: str, ts: str) -> LedgerEvent:
    return LedgerEvent(
        kind=kind,
        trace_id=new_trace_id(),
        span_id=new_span_id(),
        parent_span_id=None,
        ts=ts,
        principal=charter,
        operation=f"charter/{charter}",
        attrs={"env": env, "by": by, "reason": reason},
    )


class _Nothing(Exception):
    """Raised inside the write transaction: nothing to record (rolled back)."""

    def __init__(self, pause: Pause | None) -> None:
        self.pause = pause


def set_paused(
    ledger: Ledger, charter: str, env: str, *, paused: bool, by: str, reason: str, ts: str
) -> Change:
    """Pause (or resume) `charter` in `env`, recorded as one event stamped `ts`. The state
    is read and the event appended under the ledger's write lock, so two brakes pulled at
    once record one pause. Nothing is recorded when it is already so."""
    if not reason.strip():
        verb = "pause" if paused else "resume"
        raise UsageError(f"{verb} needs a reason", hint='pass --reason "what happened"')
    if not by.strip():
        raise UsageError("who is acting is unknown", hint="pass --by NAME")
    found: list[Pause | None] = []

    def build(conn: sqlite3.Connection) -> LedgerEvent:
        current = _pauses(conn, env).get((charter, env))
        found.append(current)
        if (current is not None) == paused:
            raise _Nothing(current)
        return _event(PAUSED if paused else RESUMED, charter, env, by.strip(), reason, ts)

    try:
        seq = ledger.append_with(build, lambda _conn, _seq: None)
    except _Nothing as nothing:
        return Change(None, nothing.pause)
    if paused:
        return Change(seq, Pause(charter, env, by.strip(), reason, ts, seq))
    return Change(seq, found[0])


def write_paused(root: Path, file: str, doc: int, paused: bool) -> YamlEdit:
    """Set `spec.paused: true` (or remove `spec.paused`) in document `doc` of the workspace
    file `file`, changing that one line and nothing else (agentctl/workspace/edit.py)."""
    from agentctl.workspace.edit import remove_key, set_key, write_text

    path = root / file
    text = path.read_text(encoding="utf-8")
    key = ("spec", "paused")
    new = set_key(text, doc, key, True, file) if paused else remove_key(text, doc, key, file)
    old_lines, new_lines = text.splitlines(), new.splitlines()
    line = next(
        (i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=False)) if a != b),
        min(len(old_lines), len(new_lines)),
    )
    if new != text:
        write_text(path, new)
    return YamlEdit(file, line + 1, paused, new != text)
