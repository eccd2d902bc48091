"""`ledger verify`: recompute the chain, the side tables and the payload hashes; compare every
schema object with its definition and run SQLite's integrity check; compare with a
checkpoint. Names the first row that was changed, deleted, inserted or reordered."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from agentctl.ledger import clock, erasure, merkle, schema
from agentctl.ledger.record import CHAINED, GENESIS, canonical
from agentctl.ledger.store import Ledger

# integrity_check lists at most this many errors: the first few name the damaged object
_INTEGRITY_ERRORS = 5


@dataclass(frozen=True)
class Problem:
    """One way the ledger differs from what was appended. `seq` is the row it points at."""

    # changed | deleted | inserted | reordered | relinked | payload | index | schema | corrupt
    # | unreadable | truncated | rewritten | checkpoint
    code: str
    seq: int | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "seq": self.seq, "message": self.message}


@dataclass
class VerifyReport:
    path: str
    ledger_id: str
    events: int = 0
    last_seq: int = 0
    last_hash: str = ""
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checkpoint: dict[str, Any] | None = None  # the one compared against, when given
    leaf_hashes: list[bytes] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "ledger": self.path,
            "ledger_id": self.ledger_id,
            "ok": self.ok,
            "events": self.events,
            "last_seq": self.last_seq,
            "last_hash": self.last_hash,
            "problems": [p.to_dict() for p in self.problems],
            "warnings": self.warnings,
        }
        if self.checkpoint is not None:
            d["checkpoint"] = {
                k: self.checkpoint.get(k) for k in ("tree_size", "root_hash", "created")
            }
        return d


def _clock_warning(ledger: Ledger, rep: VerifyReport) -> None:
    """Runs whose times are not real times (written under --now/--today)."""
    override = clock.verify_warning(ledger)
    if override:
        rep.warnings.append(override)


def verify(ledger: Ledger, *, keep_leaves: bool = False) -> VerifyReport:
    """Check everything the ledger can check about itself (no checkpoint)."""
    rep = VerifyReport(str(ledger.path), ledger.ledger_id)
    conn = ledger.conn
    erase_rows: list[tuple[int, str]] = []
    conn.execute("BEGIN")  # one consistent snapshot while writers carry on
    try:
        # each check on its own: a damaged page that stops one still lets the others report
        checks: list[Callable[[], None]] = [
            lambda: _walk(conn, rep, keep_leaves, erase_rows),
            lambda: _check_payloads(conn, rep, erase_rows),
            lambda: _check_schema(conn, rep),
            lambda: _check_integrity(conn, rep),
            lambda: _clock_warning(ledger, rep),
        ]
        for check in checks:
            try:
                check()
            except sqlite3.DatabaseError as exc:
                text = f"the ledger cannot be read: {exc}"
                if all(p.message != text for p in rep.problems):
                    rep.problems.append(Problem("unreadable", None, text))
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")  # read-only: nothing to keep
    return rep


def _find_by_hash(conn: sqlite3.Connection, digest: str) -> int | None:
    row = conn.execute("SELECT seq FROM events WHERE hash = ? LIMIT 1", (digest,)).fetchone()
    return None if row is None else int(row[0])


def _classify_changed(conn: sqlite3.Connection, row: tuple[Any, ...], seq: int) -> Problem:
    """The row's content does not match its own hash: edited in place, or moved here from
    another position (then it verifies with the seq it was recorded under)."""
    prev_hex, stored = row[-2], row[-1]
    candidates = {seq - 1, seq + 1}
    if prev_hex == GENESIS.hex():
        candidates.add(1)
    elif isinstance(prev_hex, str):
        before = _find_by_hash(conn, prev_hex)
        if before is not None:
            candidates.add(before + 1)
    seq_at = CHAINED.index("seq")
    for original in sorted(candidates - {seq}):
        moved = list(row[: len(CHAINED)])
        moved[seq_at] = original
        if original > 0 and _rehash(prev_hex, moved) == stored:
            return Problem(
                "reordered",
                seq,
                f"seq {seq} holds the event recorded as seq {original} (rows reordered)",
            )
    return Problem("changed", seq, f"seq {seq} was changed: its content no longer matches its hash")


def _rehash(prev_hex: Any, chained: list[Any] | tuple[Any, ...]) -> str | None:
    try:
        prev = bytes.fromhex(prev_hex)
        body = canonical(tuple(chained))
    except (TypeError, ValueError, orjson.JSONEncodeError):
        return None
    return hashlib.sha256(prev + body).hexdigest()


def _walk(
    conn: sqlite3.Connection,
    rep: VerifyReport,
    keep_leaves: bool,
    erase_rows: list[tuple[int, str]],
) -> None:
    cols = ", ".join(CHAINED) + ", prev_hash, hash"
    n_chained = len(CHAINED)
    seq_at = CHAINED.index("seq")
    kind_at, attrs_at = CHAINED.index("kind"), CHAINED.index("attrs")
    dc_at = CHAINED.index("data_classes")
    ts_at, pr_at = CHAINED.index("ts"), CHAINED.index("principal")
    sha = hashlib.sha256
    dumps = orjson.dumps
    keys = CHAINED
    edc = conn.execute(
        "SELECT seq, data_class, ts, principal FROM event_data_classes ORDER BY seq, data_class"
    )
    edc_next = edc.fetchone()
    edc_problem: Problem | None = None
    expected_seq, prev, prev_hex = 1, GENESIS, GENESIS.hex()
    leaves = rep.leaf_hashes
    count = 0
    for row in conn.execute(f"SELECT {cols} FROM events ORDER BY seq"):
        count += 1
        seq = row[seq_at]
        stored_prev, stored = row[n_chained], row[n_chained + 1]
        if keep_leaves:
            try:
                leaves.append(bytes.fromhex(stored))
            except (TypeError, ValueError):
                leaves.append(b"")
        if row[kind_at] == "erase":  # read here, from the table: no index to trust
            erase_rows.append((seq, row[attrs_at]))
        problem: Problem | None = None
        if not isinstance(seq, int) or seq < expected_seq:
            problem = Problem(
                "inserted",
                seq if isinstance(seq, int) else None,
                f"seq {seq!r} was inserted: sequence numbers run 1, 2, 3... "
                f"and {expected_seq} was expected",
            )
        elif seq > expected_seq:
            gap = (
                f"seq {expected_seq}"
                if seq == expected_seq + 1
                else (f"seqs {expected_seq}..{seq - 1}")
            )
            problem = Problem("deleted", expected_seq, f"{gap} deleted (the next row is seq {seq})")
        else:
            try:
                body = dumps(dict(zip(keys, row[:n_chained], strict=True)))
                mine = sha(prev + body).digest().hex() if stored_prev == prev_hex else None
            except (TypeError, orjson.JSONEncodeError):
                mine = "?"
            if mine is None:
                # does not link to the row before it: which one is to blame?
                if _rehash(stored_prev, row[:n_chained]) == stored:
                    came_after = _find_by_hash(conn, stored_prev)
                    if came_after is not None and came_after != seq - 1:
                        problem = Problem(
                            "reordered",
                            seq,
                            f"seq {seq} was recorded after seq {came_after}, "
                            f"not after seq {seq - 1} (rows reordered)",
                        )
                    else:
                        problem = Problem(
                            "relinked",
                            seq - 1 if seq > 1 else seq,
                            f"seq {seq} no longer links to seq {seq - 1}: seq {seq - 1} was "
                            f"changed and its hash recomputed, or seq {seq} was inserted",
                        )
                else:
                    problem = _classify_changed(conn, row, seq)
            elif mine != stored:
                problem = _classify_changed(conn, row, seq)
        if problem is not None:
            rep.problems.append(problem)
            if problem.code == "inserted":
                continue  # judge the next row against the chain as it was before this one
        # resynchronise on the stored values so one edit is reported once
        if isinstance(seq, int):
            expected_seq = max(expected_seq, seq + 1)
        prev_hex = stored if isinstance(stored, str) else ""
        try:
            prev = bytes.fromhex(prev_hex)
        except ValueError:
            prev = b""
        rep.last_seq, rep.last_hash = (seq if isinstance(seq, int) else rep.last_seq), prev_hex
        # the data-class side table must hold exactly this row's classes
        if edc_problem is None:
            dc = row[dc_at]
            want: list[str] = []
            if dc != "[]":
                try:
                    want = sorted(orjson.loads(dc))
                except (TypeError, orjson.JSONDecodeError):
                    want = []
            if edc_next is not None and isinstance(seq, int) and edc_next[0] < seq:
                edc_problem = Problem(
                    "index",
                    edc_next[0],
                    f"the data-class index has a row for seq {edc_next[0]} ({edc_next[1]}) "
                    "that no event holds",
                )
            for name in want:
                if edc_problem is not None:
                    break
                if edc_next != (seq, name, row[ts_at], row[pr_at]):
                    edc_problem = Problem(
                        "index", seq, f"the data-class index does not match seq {seq} ({name})"
                    )
                else:
                    edc_next = edc.fetchone()
            if edc_problem is None and edc_next is not None and edc_next[0] == seq:
                edc_problem = Problem(
                    "index",
                    seq,
                    f"the data-class index lists {edc_next[1]} for seq {seq}, the event does not",
                )
    if edc_problem is None and edc_next is not None:
        edc_problem = Problem(
            "index",
            edc_next[0],
            f"the data-class index has a row for seq {edc_next[0]} that no event holds",
        )
    rep.events = count
    if edc_problem is not None:
        rep.problems.append(edc_problem)
    known = {r[0] for r in conn.execute("SELECT name FROM data_classes")}
    used = {r[0] for r in conn.execute("SELECT DISTINCT data_class FROM event_data_classes")}
    if used != known:
        diff = sorted(used ^ known)
        rep.problems.append(
            Problem(
                "index",
                None,
                "the data_classes table does not match the data-class index: "
                + ", ".join(diff[:5]),
            )
        )


def _check_payloads(
    conn: sqlite3.Connection, rep: VerifyReport, erase_rows: list[tuple[int, str]]
) -> None:
    missing = conn.execute(
        """
        SELECT min(e.seq), e.h FROM (
            SELECT seq, input_hash AS h FROM events WHERE input_hash IS NOT NULL
            UNION ALL SELECT seq, output_hash FROM events WHERE output_hash IS NOT NULL
            UNION ALL SELECT seq, prompt_hash FROM events WHERE prompt_hash IS NOT NULL
        ) e LEFT JOIN payloads p ON p.hash = e.h WHERE p.hash IS NULL
        """
    ).fetchone()
    if missing is not None and missing[0] is not None:
        rep.problems.append(
            Problem(
                "payload",
                missing[0],
                f"seq {missing[0]}: its payload {str(missing[1])[:12]}… is gone from the "
                "payloads table",
            )
        )
    found, erased = erasure.check(conn, erase_rows, schema.recorded_version(conn))
    rep.problems.extend(Problem(*p) for p in found)
    bad: list[tuple[str, str]] = []
    for digest, content in conn.execute("SELECT hash, content FROM payloads"):
        if content is None:
            if digest not in erased:
                bad.append((str(digest), "was erased without an erase event"))
            continue
        data = content.encode() if isinstance(content, str) else content
        if not isinstance(data, bytes) or hashlib.sha256(data).hexdigest() != digest:
            bad.append((str(digest), "was changed: its content no longer matches its hash"))
    if not bad:
        return
    # name the first event that points at a bad payload
    firsts: list[tuple[int, str, str]] = []
    for digest, why in bad:
        row = conn.execute(
            "SELECT min(seq) FROM events WHERE input_hash = ?1 OR output_hash = ?1 "
            "OR prompt_hash = ?1",
            (digest,),
        ).fetchone()
        firsts.append((row[0] if row and row[0] is not None else 0, digest, why))
    firsts.sort()
    seq, digest, why = firsts[0]
    where = f"seq {seq}: its payload" if seq else "a payload no event refers to,"
    rep.problems.append(Problem("payload", seq or None, f"{where} {digest[:12]}… {why}"))


def _check_schema(conn: sqlite3.Connection, rep: VerifyReport) -> None:
    """Every table, index, trigger and view exactly as schema.py defines it: a planted
    trigger can drop events as they are written, a redefined view can hide them."""
    version = schema.recorded_version(conn)
    if version not in schema.DDL:
        rep.problems.append(
            Problem("schema", None, f"schema version {version} is unknown to this agentctl")
        )
        return
    for d in schema.differences(conn, version):
        rep.problems.append(Problem("schema", None, d.message(version)))
    if version != schema.SCHEMA_VERSION:
        rep.warnings.append(
            f"schema version {version} (written by an earlier agentctl); the next append "
            f"upgrades it to version {schema.SCHEMA_VERSION}"
        )


def _check_integrity(conn: sqlite3.Connection, rep: VerifyReport) -> None:
    """SQLite's own check of every page and index entry: a flipped byte in an index makes
    queries that use it (query --kind, --data-class, the guard's daily totals) wrong while
    every row still hashes right."""
    rows = [r[0] for r in conn.execute(f"PRAGMA integrity_check({_INTEGRITY_ERRORS})")]
    if rows == ["ok"]:
        return
    more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
    rep.problems.append(
        Problem("corrupt", None, f"the database file is damaged: {str(rows[0]).strip()}{more}")
    )


def compare_checkpoint(rep: VerifyReport, cp: dict[str, Any]) -> None:
    """Does the ledger still hold exactly the events the checkpoint covered?"""
    rep.checkpoint = cp
    size = int(cp["tree_size"])
    if cp.get("ledger_id") != rep.ledger_id:
        rep.problems.append(
            Problem(
                "checkpoint",
                None,
                f"the checkpoint is for ledger {cp.get('ledger_id')}, this is {rep.ledger_id}",
            )
        )
        return
    held = len(rep.leaf_hashes)
    if held < size:
        tail = "" if rep.problems else f": seq {held + 1} onwards were removed"
        rep.problems.append(
            Problem(
                "truncated",
                held + 1,
                f"the checkpoint covers {size} events, the ledger holds {held}{tail}",
            )
        )
        return
    got = merkle.root(rep.leaf_hashes[:size]).hex()
    if got != cp["root_hash"]:
        rep.problems.append(
            Problem(
                "rewritten",
                None,
                f"events 1..{size} no longer match the checkpoint's Merkle root: "
                "the ledger was rewritten after the checkpoint was taken",
            )
        )
