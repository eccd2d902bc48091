"""Erasing payload content for privacy, one (event, payload) reference at a time.

Payloads are content-addressed: two events with the same input share one payloads row. So
an erasure names references, `(seq, part)` with part input, output or prompt, and:

- records them in `erased_refs` (with the seq of the erase event) and lists them in that
  event's attrs under "refs", which the chain covers: verify checks one against the other;
- wipes a payload's content only when every reference to it is erased (listed under
  "payloads"); content still referenced by an event outside the request stays, readable
  for that event and hidden for the erased ones (v_events, export);
- records who (the event's principal, `attrs.by`), why (`attrs.reason`) and what was asked
  (`attrs.request`: the trace or the payload hashes).

Ledgers of schema version 1 hold older erase events without "refs": they wiped whole
payloads, and verify still accepts what they wiped.
"""

from __future__ import annotations

import getpass
import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from agentctl.ledger.errors import LedgerError
from agentctl.ledger.record import LedgerEvent, new_span_id, new_trace_id

if TYPE_CHECKING:
    import sqlite3

    from agentctl.ledger.store import Ledger

PARTS = ("input", "output", "prompt")

Ref = tuple[int, str]  # (event seq, part)


@dataclass(frozen=True)
class EraseRequest:
    """What to erase: every payload reference of one trace, or every reference to these
    payload hashes. Ids and hashes are full and lowercase (see `query.resolve_trace`)."""

    trace: str | None = None
    payloads: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"trace": self.trace} if self.trace else {"payloads": list(self.payloads)}


@dataclass
class EraseResult:
    seq: int  # of the erase event
    by: str
    reason: str
    request: EraseRequest
    refs: list[Ref] = field(default_factory=list)  # erased by this request
    wiped: list[str] = field(default_factory=list)  # payloads whose content is gone
    kept: list[str] = field(default_factory=list)  # still referenced elsewhere: content kept

    def to_dict(self) -> dict[str, Any]:
        return {
            "erase_event_seq": self.seq,
            "by": self.by,
            "reason": self.reason,
            "request": self.request.to_dict(),
            "references": [{"seq": s, "part": p} for s, p in self.refs],
            "erased": self.wiped,
            "kept": self.kept,
        }


def actor(explicit: str | None, env: Mapping[str, str] | None = None) -> str:
    """Who is erasing: `explicit` (--by), else $GITHUB_ACTOR, else git's user.email, else
    the OS user. Never empty: an erasure always names someone."""
    env = os.environ if env is None else env
    for value in (explicit, env.get("GITHUB_ACTOR")):
        if value and value.strip():
            return value.strip()
    try:
        out = subprocess.run(
            ["git", "config", "user.email"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    if out:
        return out
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError):
        return "unknown"


def erase(ledger: Ledger, request: EraseRequest, *, by: str, reason: str, ts: str) -> EraseResult:
    """Erase what `request` names and record it as an `erase` event stamped `ts`, in one
    transaction under the write lock (no append between reading the references and
    erasing them). The event's attrs gain "refs" (the (seq, part) pairs erased now) and
    "payloads" (the contents wiped). LedgerError for an empty reason or actor, or a
    payload hash not there."""
    if not reason.strip():
        raise LedgerError("an erasure needs a reason", hint='pass --reason "GDPR art. 17 request"')
    if not by.strip():
        raise LedgerError("an erasure needs the name of who asked for it", hint="pass --by NAME")
    if bool(request.trace) == bool(request.payloads):
        raise LedgerError("give --payload HASH (repeatable) or --trace TRACE_ID, not both")
    if request.payloads:
        marks = ", ".join("?" * len(request.payloads))
        known = {
            r[0]
            for r in ledger.conn.execute(
                f"SELECT hash FROM payloads WHERE hash IN ({marks})", request.payloads
            )
        }
        unknown = [p for p in request.payloads if p not in known]
        if unknown:
            raise LedgerError(
                f"no payload {unknown[0]!r} in the ledger",
                hint="payload hashes are the input_hash/output_hash/prompt_hash "
                "columns (agentctl ledger query --format json)",
            )
    event = LedgerEvent(
        kind="erase",
        trace_id=new_trace_id(),
        span_id=new_span_id(),
        parent_span_id=None,
        ts=ts,
        principal=by,
        operation="erase",
        attrs={"by": by, "reason": reason, "request": request.to_dict()},
    )
    planned: list[tuple[list[Ref], list[str], list[str]]] = []

    def build(conn: sqlite3.Connection) -> LedgerEvent:
        refs, wiped, kept = plan(conn, request)
        planned.append((refs, wiped, kept))
        event.attrs = {**event.attrs, "refs": [list(r) for r in refs], "payloads": wiped}
        return event

    def apply(conn: sqlite3.Connection, seq: int) -> None:
        refs, wiped, _ = planned[0]
        record(conn, refs, wiped, seq)

    seq = ledger.append_with(build, apply)
    refs, wiped, kept = planned[0]
    return EraseResult(seq, by, reason, request, refs, wiped, kept)


def hidden_parts(conn: sqlite3.Connection) -> Callable[[int], set[str]]:
    """For readers: the parts of an event whose payload reference was erased (their
    content reads as None even where the payload is still there for other events)."""
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'erased_refs'"
    ).fetchone()
    if has_table is None:  # schema version 1: erasures wiped whole payloads
        return lambda _seq: set()

    def parts(seq: int) -> set[str]:
        rows = conn.execute("SELECT part FROM erased_refs WHERE seq = ?", (seq,))
        return {r[0] for r in rows}

    return parts


# -- inside the erase transaction (Ledger.append_with) -----------------------------------------


def _references(conn: sqlite3.Connection, request: EraseRequest) -> list[tuple[int, str, str]]:
    """(seq, part, hash) of every payload reference the request names."""
    out: list[tuple[int, str, str]] = []
    if request.trace:
        rows = conn.execute(
            "SELECT seq, input_hash, output_hash, prompt_hash FROM events WHERE trace_id = ?",
            (request.trace,),
        )
        for seq, *hashes in rows:
            out += [(seq, p, h) for p, h in zip(PARTS, hashes, strict=True) if h]
    else:
        out = _referrers(conn, set(request.payloads))
    return sorted(set(out))


def _referrers(conn: sqlite3.Connection, digests: set[str]) -> list[tuple[int, str, str]]:
    """Every reference to these payloads: one scan of the events (no index on the hashes)."""
    if not digests:
        return []
    rows = conn.execute(
        "WITH h(x) AS (SELECT value FROM json_each(?1)) "
        "SELECT seq, input_hash, output_hash, prompt_hash FROM events "
        "WHERE input_hash IN h OR output_hash IN h OR prompt_hash IN h",
        (orjson.dumps(sorted(digests)).decode(),),
    )
    return [
        (seq, p, h) for seq, *hs in rows for p, h in zip(PARTS, hs, strict=True) if h in digests
    ]


def plan(conn: sqlite3.Connection, request: EraseRequest) -> tuple[list[Ref], list[str], list[str]]:
    """The references to erase now (not erased before), the payloads to wipe (no reference
    left outside the erased ones) and those kept for other events."""
    done = {(s, p) for s, p in conn.execute("SELECT seq, part FROM erased_refs")}
    named = [(s, p, h) for s, p, h in _references(conn, request) if (s, p) not in done]
    refs = [(s, p) for s, p, _ in named]
    erased = done | set(refs)
    digests = {h for _, _, h in named}
    still = {h for s, p, h in _referrers(conn, digests) if (s, p) not in erased}
    wiped = sorted(digests - still)
    kept = sorted(still)
    if request.payloads:  # a named payload goes even when no event refers to it any more
        wiped = sorted(set(wiped) | set(request.payloads))
    marks = ", ".join("?" * len(wiped))
    present = {
        r[0]
        for r in conn.execute(
            f"SELECT hash FROM payloads WHERE content IS NOT NULL AND hash IN ({marks})", wiped
        )
    }
    return refs, [h for h in wiped if h in present], kept


def record(conn: sqlite3.Connection, refs: list[Ref], wiped: list[str], erase_seq: int) -> None:
    conn.executemany(
        "INSERT INTO erased_refs (seq, part, erase_seq) VALUES (?, ?, ?)",
        [(s, p, erase_seq) for s, p in refs],
    )
    conn.executemany(
        "UPDATE payloads SET content = NULL WHERE hash = ? AND content IS NOT NULL",
        [(h,) for h in wiped],
    )


# -- verify --------------------------------------------------------------------------------

Problem = tuple[str, int | None, str]  # code, seq, message (verify.Problem's fields)


def check(
    conn: sqlite3.Connection, erase_rows: list[tuple[int, str]], version: str
) -> tuple[list[Problem], set[str]]:
    """Are the erasures what the chained erase events say? `erase_rows` are (seq, attrs) of
    the erase events. Returns (problems, payloads any erase event wiped)."""
    problems: list[Problem] = []
    legacy: set[str] = set()
    wiped: set[str] = set()
    listed: set[tuple[int, str, int]] = set()
    for seq, attrs in erase_rows:
        try:
            a = orjson.loads(attrs)
        except (TypeError, orjson.JSONDecodeError):
            continue
        if not isinstance(a, dict):
            continue
        hashes = {h for h in a.get("payloads", []) if isinstance(h, str)}
        if "refs" not in a:
            legacy |= hashes
            continue
        wiped |= hashes
        for r in a["refs"] if isinstance(a["refs"], list) else []:
            if isinstance(r, list) and len(r) == 2:
                listed.add((r[0], r[1], seq))
    if version == "1":
        if listed:
            first = min(e for _, _, e in listed)
            problems.append(
                (
                    "schema",
                    first,
                    f"erase event seq {first} erased single references, which only schema "
                    "version 2 records: the ledger's schema was set back to version 1",
                )
            )
        return problems, legacy | wiped
    table = set(conn.execute("SELECT seq, part, erase_seq FROM erased_refs"))
    for extra in sorted(table - listed)[:1]:
        problems.append(
            (
                "index",
                extra[0],
                f"the erasure table hides seq {extra[0]}'s {extra[1]}, "
                f"and no erase event erased it (seq {extra[2]} does not list it)",
            )
        )
    for gone in sorted(listed - table)[:1]:
        problems.append(
            (
                "index",
                gone[0],
                f"erase event seq {gone[2]} erased seq {gone[0]}'s {gone[1]}, "
                "and the erasure table no longer says so",
            )
        )
    if not wiped:
        return problems, legacy  # nothing erased per reference: no reference to check
    # a wiped payload must have no reference left that no erasure names
    row = conn.execute(
        """
        SELECT r.seq, r.part, r.h FROM (
            SELECT seq, 'input' AS part, input_hash AS h FROM events WHERE input_hash IS NOT NULL
            UNION ALL SELECT seq, 'output', output_hash FROM events WHERE output_hash IS NOT NULL
            UNION ALL SELECT seq, 'prompt', prompt_hash FROM events WHERE prompt_hash IS NOT NULL
        ) r JOIN payloads p ON p.hash = r.h AND p.content IS NULL
        LEFT JOIN erased_refs x ON x.seq = r.seq AND x.part = r.part
        WHERE x.seq IS NULL AND r.h NOT IN (SELECT value FROM json_each(?))
        ORDER BY r.seq LIMIT 1
        """,
        (orjson.dumps(sorted(legacy)).decode(),),
    ).fetchone()
    if row is not None and row[2] in wiped:
        problems.append(
            (
                "payload",
                row[0],
                f"seq {row[0]}: its {row[1]} payload {row[2][:12]}… was erased, "
                "and no erase event erased it for this event",
            )
        )
    return problems, legacy | wiped
