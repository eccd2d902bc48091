"""Tampering behind the tool's back, as anyone holding the file can: plain sqlite3, triggers
dropped first. Every mutation must be detected; truncation and a full re-hash of the chain
against a checkpoint taken before.

Sized by AGENTCTL_STRESS_SCALE (1.0: 1,000 mutations; never fewer than 50). Each mutation
starts from a byte copy of one pristine file rather than a rebuilt ledger.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentctl.ledger import Ledger, schema
from agentctl.ledger import checkpoint as cpmod
from agentctl.ledger.erasure import EraseRequest, erase
from agentctl.ledger.record import CHAINED
from agentctl.ledger.verify import compare_checkpoint, verify

SCALE = float(os.environ.get("AGENTCTL_STRESS_SCALE", "1.0"))
N = max(50, int(1000 * SCALE))
TRIGGERS = sorted(n for t, n in schema.expected(schema.SCHEMA_VERSION) if t == "trigger")
EVENT_COLS = ["seq", *[c for c in CHAINED if c != "seq"], "prev_hash", "hash"]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    from datetime import UTC, datetime

    from agentctl.ledger import format_ts

    folder = tmp_path_factory.mktemp("pristine")
    path = folder / "ledger.db"
    conftest = _conftest()
    with Ledger.open(path) as led:
        led.append(conftest.sample_events())
        # an erased payload, so "erased without an erase event" has a lawful twin
        h = led.conn.execute("SELECT input_hash FROM events WHERE seq = 1").fetchone()[0]
        erase(
            led,
            EraseRequest(payloads=(h,)),
            by="auditor@example.com",
            reason="test",
            ts=format_ts(datetime(2026, 3, 9, tzinfo=UTC)),
        )
        # a trace whose outputs other traces share: those payloads stay, hidden for it only
        erase(
            led,
            EraseRequest(trace=conftest.tid(20)),
            by="dpo@example.com",
            reason="test",
            ts=format_ts(datetime(2026, 3, 9, 1, tzinfo=UTC)),
        )
        for n in range(3):  # more after the erase, so truncating the tail keeps the erase
            led.append(conftest.run_events(30 + n, "claims-intake", "sha256:77", 9 * 86400 + n))
        rep = verify(led, keep_leaves=True)
        assert rep.ok, rep.problems
        cp = cpmod.make(rep, "2026-03-10T00:00:00.000000Z")
    assert not Path(str(path) + "-wal").exists() or Path(str(path) + "-wal").stat().st_size == 0
    return path, cp


def _conftest() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_ledger_data", Path(__file__).with_name("conftest.py")
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# -- mutations: each takes (conn, rnd) and returns the seq it expects to be named, or None --


def _other_value(old: Any, rnd: random.Random) -> list[Any]:
    """Candidate replacements of different kinds; the caller keeps the first that sticks."""
    out: list[Any] = []
    if isinstance(old, str):
        if old:
            i = rnd.randrange(len(old))
            out.append(old[:i] + ("0" if old[i] != "0" else "1") + old[i + 1 :])
        out += [old + " ", old.upper() + "x", ""]
    elif isinstance(old, int):
        out += [old + 1, old - 1, old * 2 + 1]
    elif isinstance(old, float):
        out += [old + 0.001, old * 10 + 1, -old - 1]
    out += [None, "tampered", 42, 1.5]
    return out


def _snapshot(conn: sqlite3.Connection, table: str) -> list[Any]:
    return conn.execute(
        f"SELECT *, typeof({table}.{_first_col(conn, table)}) FROM {table} ORDER BY 1, 2"
    ).fetchall()


def _first_col(conn: sqlite3.Connection, table: str) -> str:
    return str(conn.execute(f"PRAGMA table_info({table})").fetchone()[1])


def _update(
    conn: sqlite3.Connection, rnd: random.Random, table: str, key: str, cols: list[str]
) -> Any:
    """Change one column of one row (`key` is a SQL expression naming the row) so that the
    stored table really differs; SQLite's type affinity undoes some edits (0 → 0.0)."""
    keys = [r[0] for r in conn.execute(f"SELECT {key} FROM {table}")]
    for _ in range(50):
        kv, col = rnd.choice(keys), rnd.choice(cols)
        before = _snapshot(conn, table)
        old = conn.execute(f"SELECT {col} FROM {table} WHERE {key} = ?", (kv,)).fetchone()[0]
        for new in _other_value(old, rnd):
            try:
                conn.execute(f"UPDATE {table} SET {col} = ? WHERE {key} = ?", (new, kv))
            except sqlite3.IntegrityError:
                continue  # NOT NULL or a duplicate key: try another value
            if _snapshot(conn, table) != before:
                return kv, col
    raise AssertionError("no effective update found")


def m_update_event(conn: sqlite3.Connection, rnd: random.Random) -> int | None:
    seq, _col = _update(conn, rnd, "events", "seq", EVENT_COLS)
    return seq


def m_update_payload(conn: sqlite3.Connection, rnd: random.Random) -> int | None:
    _update(conn, rnd, "payloads", "rowid", ["hash", "content"])
    return None


def m_update_index(conn: sqlite3.Connection, rnd: random.Random) -> int | None:
    if rnd.random() < 0.15:
        _update(conn, rnd, "data_classes", "name", ["name"])
    else:
        _update(
            conn,
            rnd,
            "event_data_classes",
            "seq || '/' || data_class",
            ["seq", "data_class", "ts", "principal"],
        )
    return None


def m_delete(conn: sqlite3.Connection, rnd: random.Random) -> int | None:
    r = rnd.random()
    if r < 0.6:
        last = conn.execute("SELECT max(seq) FROM events").fetchone()[0]
        seq = rnd.randrange(1, last)  # not the tail: that is truncation, caught by checkpoint
        conn.execute("DELETE FROM events WHERE seq = ?", (seq,))
        if rnd.random() < 0.5:  # a careful attacker cleans the side table too
            conn.execute("DELETE FROM event_data_classes WHERE seq = ?", (seq,))
        return seq
    table, key = (
        ("payloads", "hash")
        if r < 0.8
        else ("event_data_classes", "seq || '/' || data_class")
        if r < 0.95
        else ("data_classes", "name")
    )
    kv = rnd.choice([x[0] for x in conn.execute(f"SELECT {key} FROM {table}")])
    conn.execute(f"DELETE FROM {table} WHERE {key} = ?", (kv,))
    return None


def m_insert(conn: sqlite3.Connection, rnd: random.Random) -> int | None:
    cols = ", ".join(EVENT_COLS[1:])
    last = conn.execute("SELECT max(seq) FROM events").fetchone()[0]
    src = rnd.randrange(1, last + 1)
    r = rnd.random()
    if r < 0.3:  # a copy appended at the end, its stored hashes kept
        conn.execute(
            f"INSERT INTO events (seq, {cols}) SELECT ?, {cols} FROM events WHERE seq = ?",
            (last + 1, src),
        )
        return last + 1
    if r < 0.45:  # before the first row
        conn.execute(
            f"INSERT INTO events (seq, {cols}) SELECT ?, {cols} FROM events WHERE seq = ?",
            (rnd.choice([0, -1]), src),
        )
        return None
    if r < 0.85:  # in the middle: renumber everything after it to make room
        at = rnd.randrange(2, last + 1)
        if src == at:  # a copy of the very row it displaces would be that row: no insert
            src = at - 1
        conn.execute("UPDATE events SET seq = -seq WHERE seq >= ?", (at,))
        conn.execute("UPDATE events SET seq = 1 - seq WHERE seq < 0")
        conn.execute(
            f"INSERT INTO events (seq, {cols}) SELECT ?, {cols} FROM events WHERE seq = ?",
            (at, src if src < at else src + 1),
        )
        return at
    if r < 0.93:  # a fake data-class access
        conn.execute(
            "INSERT INTO event_data_classes VALUES (?, 'pii.fake', ?, 'intruder')",
            (src, "2026-03-01T09:00:00.000000Z"),
        )
        return None
    # a payload whose content does not match its key
    conn.execute("INSERT INTO payloads VALUES (?, '{\"forged\":true}')", ("ab" * 32,))
    return None


def m_swap(conn: sqlite3.Connection, rnd: random.Random) -> int | None:
    last = conn.execute("SELECT max(seq) FROM events").fetchone()[0]
    i, j = sorted(rnd.sample(range(1, last + 1), 2))
    rest = EVENT_COLS[1:]
    a = conn.execute(f"SELECT {', '.join(rest)} FROM events WHERE seq = ?", (i,)).fetchone()
    b = conn.execute(f"SELECT {', '.join(rest)} FROM events WHERE seq = ?", (j,)).fetchone()
    sets = ", ".join(f"{c} = ?" for c in rest)
    conn.execute(f"UPDATE events SET {sets} WHERE seq = ?", (*b, i))
    conn.execute(f"UPDATE events SET {sets} WHERE seq = ?", (*a, j))
    if a == b:
        return None
    return i


def m_erasure(conn: sqlite3.Connection, rnd: random.Random) -> int | None:
    """Hide a reference no erase event names, or un-hide one an erase event names."""
    rows = conn.execute("SELECT seq, part FROM erased_refs").fetchall()
    if rows and rnd.random() < 0.3:
        seq, part = rnd.choice(rows)
        conn.execute("DELETE FROM erased_refs WHERE seq = ? AND part = ?", (seq, part))
        return seq
    hidden = {(s, p) for s, p in rows}
    refs = [
        (seq, part)
        for seq, i, o, p in conn.execute(
            "SELECT seq, input_hash, output_hash, prompt_hash FROM events"
        )
        for part, h in (("input", i), ("output", o), ("prompt", p))
        if h and (seq, part) not in hidden
    ]
    seq, part = rnd.choice(refs)
    erase_seq = conn.execute("SELECT max(seq) FROM events WHERE kind = 'erase'").fetchone()[0]
    conn.execute("INSERT INTO erased_refs VALUES (?, ?, ?)", (seq, part, erase_seq))
    return seq


def m_truncate(conn: sqlite3.Connection, rnd: random.Random) -> int | None:
    last = conn.execute("SELECT max(seq) FROM events").fetchone()[0]
    cut = rnd.randrange(1, min(10, last) + 1)
    conn.execute("DELETE FROM events WHERE seq > ?", (last - cut,))
    conn.execute("DELETE FROM event_data_classes WHERE seq > ?", (last - cut,))
    return None


def m_rehash(conn: sqlite3.Connection, rnd: random.Random) -> int | None:
    """Change one row, then recompute its hash and every later hash and link."""
    last = conn.execute("SELECT max(seq) FROM events").fetchone()[0]
    seq = rnd.randrange(1, last + 1)
    col = rnd.choice(["cost_usd", "status", "operation", "principal", "tokens", "attrs"])
    new: Any = {
        "cost_usd": 999.0,
        "status": "ok" if rnd.random() < 0.5 else "error",
        "operation": "billing.refund",
        "principal": "someone-else",
        "tokens": 7,
        "attrs": '{"reason":"nothing to see"}',
    }[col]
    old = conn.execute(f"SELECT {col} FROM events WHERE seq = ?", (seq,)).fetchone()[0]
    if old == new:
        new = {"status": "stopped", "cost_usd": 998.0}.get(col, f"{new}-2")
    conn.execute(f"UPDATE events SET {col} = ? WHERE seq = ?", (new, seq))
    if col == "principal":
        conn.execute("UPDATE event_data_classes SET principal = ? WHERE seq = ?", (new, seq))
    prev = bytes.fromhex(
        conn.execute("SELECT prev_hash FROM events WHERE seq = ?", (seq,)).fetchone()[0]
    )
    rows = conn.execute(
        f"SELECT {', '.join(CHAINED)} FROM events WHERE seq >= ? ORDER BY seq", (seq,)
    ).fetchall()
    for row in rows:
        digest = hashlib.sha256(prev + orjson.dumps(dict(zip(CHAINED, row, strict=True))))
        conn.execute(
            "UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?",
            (prev.hex(), digest.hexdigest(), row[CHAINED.index("seq")]),
        )
        prev = digest.digest()
    return None


CHAIN_MUTATIONS: list[Callable[[sqlite3.Connection, random.Random], int | None]] = [
    m_update_event,
    m_update_event,
    m_update_event,
    m_update_payload,
    m_update_index,
    m_delete,
    m_insert,
    m_swap,
    m_erasure,
]
CHECKPOINT_MUTATIONS = [m_truncate, m_rehash]


def _mutate(src: Path, dst: Path, fn: Any, rnd: random.Random) -> int | None:
    shutil.copyfile(src, dst)
    conn = sqlite3.connect(dst, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")  # a scratch copy: no need to wait for the disk
    for t in TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {t}")
    conn.execute("BEGIN")
    expected: int | None = fn(conn, rnd)
    _restore_triggers(conn)  # as a careful attacker would: the schema check sees nothing
    conn.execute("COMMIT")
    conn.close()
    return expected


def _restore_triggers(conn: sqlite3.Connection) -> None:
    for stmt in schema.statements(schema.ALL):
        if stmt.startswith("CREATE TRIGGER"):
            conn.execute(stmt)


@pytest.mark.slow
def test_every_random_mutation_is_detected(pristine, tmp_path: Path) -> None:
    src, cp = pristine
    rnd = random.Random(20260301)
    missed: list[str] = []
    counts: dict[str, int] = {}
    for i in range(N):
        against_checkpoint = i % 10 >= 8  # the last two kinds, a fifth of the runs
        fn = rnd.choice(CHECKPOINT_MUTATIONS if against_checkpoint else CHAIN_MUTATIONS)
        counts[fn.__name__] = counts.get(fn.__name__, 0) + 1
        dst = tmp_path / f"m{i % 4}.db"
        expected = _mutate(src, dst, fn, rnd)
        with Ledger.open(dst, readonly=True) as led:
            rep = verify(led, keep_leaves=against_checkpoint)
        if against_checkpoint:
            compare_checkpoint(rep, cp)
        if rep.ok:
            missed.append(f"#{i} {fn.__name__}")
            continue
        if expected is not None and not any(p.seq == expected for p in rep.problems):
            missed.append(f"#{i} {fn.__name__}: seq {expected} not named: {rep.problems}")
    assert not missed, "\n".join(missed[:10])
    assert sum(counts.values()) == N and len(counts) == 9  # every kind ran


def test_rehash_and_truncation_pass_the_chain_but_not_the_checkpoint(
    pristine, tmp_path: Path
) -> None:
    """Why checkpoints exist: these two leave a self-consistent chain."""
    src, cp = pristine
    for fn, code in ((m_rehash, "rewritten"), (m_truncate, "truncated")):
        dst = tmp_path / f"{fn.__name__}.db"
        _mutate(src, dst, fn, random.Random(3))
        with Ledger.open(dst, readonly=True) as led:
            rep = verify(led, keep_leaves=True)
        assert rep.ok, rep.problems  # triggers restored: schema and chain look intact
        compare_checkpoint(rep, cp)
        assert [p.code for p in rep.problems] == [code]


def _first(path: Path) -> Any:
    with Ledger.open(path, readonly=True) as led:
        rep = verify(led)
    return rep.problems[0]


def test_named_rows(pristine, tmp_path: Path) -> None:
    src, _ = pristine

    def edit(sql: str, *args: Any) -> Any:
        dst = tmp_path / "e.db"
        shutil.copyfile(src, dst)
        conn = sqlite3.connect(dst)
        for t in TRIGGERS:
            conn.execute(f"DROP TRIGGER IF EXISTS {t}")
        conn.execute(sql, args)
        _restore_triggers(conn)
        conn.commit()
        conn.close()
        return _first(dst)

    p = edit("UPDATE events SET cost_usd = 0 WHERE seq = 7")
    assert (p.code, p.seq, p.message) == (
        "changed",
        7,
        "seq 7 was changed: its content no longer matches its hash",
    )
    p = edit("DELETE FROM events WHERE seq = 12")
    assert (p.code, p.seq, p.message) == ("deleted", 12, "seq 12 deleted (the next row is seq 13)")
    p = edit("DELETE FROM events WHERE seq IN (12, 13, 14)")
    assert p.message == "seqs 12..14 deleted (the next row is seq 15)"
    p = edit("UPDATE payloads SET content = '{\"on_hand\":300}' WHERE content = '{\"on_hand\":3}'")
    assert p.code == "payload" and p.seq == 3
    assert p.message.endswith("was changed: its content no longer matches its hash")
    p = edit("UPDATE payloads SET content = NULL WHERE content = '{\"on_hand\":3}'")
    assert p.message.endswith("was erased without an erase event")
    p = edit("UPDATE event_data_classes SET principal = 'someone' WHERE seq = 3")
    assert (p.code, p.seq) == ("index", 3)
