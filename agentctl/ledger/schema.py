"""The ledger's tables, triggers, indexes and views (plain SQLite; sqlite-utils and Datasette
open it as is), and the check that a file holds exactly these objects.

One source: the DDL below. The expected objects are what SQLite itself stores in
sqlite_master when it runs this DDL (an in-memory database, built once per process), so a
ledger's sqlite_master is compared with them text for text.

Schema versions: 1 (agentctl 0.1: erase wiped whole payloads) and 2 (per-reference
erasure: the erased_refs table, v_events hiding erased references, a payload's content
restorable when the same content is appended again). A writer upgrades a version-1 file
whose objects are exactly version 1's; verify judges a file against the version it records.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from agentctl.ledger.errors import LedgerError

SCHEMA_VERSION = "2"

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    ts TEXT NOT NULL,
    kind TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    parent_span_id TEXT,
    principal TEXT NOT NULL,
    principal_version TEXT NOT NULL,
    git_commit TEXT,
    operation TEXT,
    status TEXT NOT NULL,
    input_hash TEXT,
    output_hash TEXT,
    prompt_hash TEXT,
    data_classes TEXT NOT NULL,
    cost_usd REAL NOT NULL,
    tokens INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    attrs TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS payloads (
    hash TEXT PRIMARY KEY,
    content TEXT
);
CREATE TABLE IF NOT EXISTS event_data_classes (
    seq INTEGER NOT NULL,
    data_class TEXT NOT NULL,
    ts TEXT NOT NULL,
    principal TEXT NOT NULL,
    PRIMARY KEY (seq, data_class)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS data_classes (
    name TEXT PRIMARY KEY
) WITHOUT ROWID;
"""


# Version 2: which (event, payload reference) pairs an erase event erased. A payload's content
# is wiped only when every reference to it is erased, so content shared with events outside
# the request stays readable for them. Rows are written with their erase event and must match
# the "refs" that event lists (its attrs are in the chain); verify checks both.
_ERASED_REFS = """
CREATE TABLE IF NOT EXISTS erased_refs (
    seq INTEGER NOT NULL,
    part TEXT NOT NULL,
    erase_seq INTEGER NOT NULL,
    PRIMARY KEY (seq, part)
) WITHOUT ROWID;
"""

INDEXES = """
CREATE INDEX IF NOT EXISTS events_trace ON events (trace_id);
CREATE INDEX IF NOT EXISTS events_principal_ts ON events (principal, ts);
CREATE INDEX IF NOT EXISTS events_kind_ts ON events (kind, ts);
CREATE INDEX IF NOT EXISTS events_ts ON events (ts);
CREATE INDEX IF NOT EXISTS edc_class_ts_principal
    ON event_data_classes (data_class, ts, principal);
"""

# Append-only: events and their data-class rows never change. A payload's content may only
# be set to NULL (erase, recorded as an event); its key never changes and rows never go.
_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: events cannot be updated'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: events cannot be deleted'); END;
CREATE TRIGGER IF NOT EXISTS edc_no_update BEFORE UPDATE ON event_data_classes
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: data-class rows cannot be updated'); END;
CREATE TRIGGER IF NOT EXISTS edc_no_delete BEFORE DELETE ON event_data_classes
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: data-class rows cannot be deleted'); END;
CREATE TRIGGER IF NOT EXISTS payloads_no_delete BEFORE DELETE ON payloads
BEGIN SELECT RAISE(ABORT, 'payloads cannot be deleted: use agentctl ledger erase'); END;
"""

# v1: content may only go to NULL
_PAYLOADS_ERASE_ONLY_V1 = """
CREATE TRIGGER IF NOT EXISTS payloads_erase_only BEFORE UPDATE ON payloads
WHEN NEW.hash IS NOT OLD.hash OR NEW.content IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'payloads can only be erased: use agentctl ledger erase'); END;
"""


# v2: content may also be filled in where it was NULL (the same content appended again after
# an erasure: the new event's payload is readable; verify checks every content against its
# hash). Content that is there never changes.
_PAYLOADS_ERASE_ONLY_V2 = """
CREATE TRIGGER IF NOT EXISTS payloads_erase_only BEFORE UPDATE ON payloads
WHEN NEW.hash IS NOT OLD.hash OR (NEW.content IS NOT NULL AND OLD.content IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'payloads can only be erased: use agentctl ledger erase'); END;
"""

_ERASED_REFS_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS erased_refs_no_update BEFORE UPDATE ON erased_refs
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: erasures cannot be updated'); END;
CREATE TRIGGER IF NOT EXISTS erased_refs_no_delete BEFORE DELETE ON erased_refs
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: erasures cannot be deleted'); END;
"""

_V_EVENTS_V1 = """
CREATE VIEW IF NOT EXISTS v_events AS
SELECT e.seq, e.ts, e.kind, e.trace_id, e.span_id, e.parent_span_id, e.principal,
       e.principal_version, e.git_commit, e.operation, e.status, e.data_classes,
       e.cost_usd, e.tokens, e.latency_ms, e.attrs,
       pi.content AS input, po.content AS output, pp.content AS prompt, e.hash
FROM events e
LEFT JOIN payloads pi ON pi.hash = e.input_hash
LEFT JOIN payloads po ON po.hash = e.output_hash
LEFT JOIN payloads pp ON pp.hash = e.prompt_hash;
"""

# v2: an erased reference reads as NULL even where the payload is shared and still there
_V_EVENTS_V2 = """
CREATE VIEW IF NOT EXISTS v_events AS
SELECT e.seq, e.ts, e.kind, e.trace_id, e.span_id, e.parent_span_id, e.principal,
       e.principal_version, e.git_commit, e.operation, e.status, e.data_classes,
       e.cost_usd, e.tokens, e.latency_ms, e.attrs,
       CASE WHEN ri.seq IS NULL THEN pi.content END AS input,
       CASE WHEN ro.seq IS NULL THEN po.content END AS output,
       CASE WHEN rp.seq IS NULL THEN pp.content END AS prompt, e.hash
FROM events e
LEFT JOIN payloads pi ON pi.hash = e.input_hash
LEFT JOIN payloads po ON po.hash = e.output_hash
LEFT JOIN payloads pp ON pp.hash = e.prompt_hash
LEFT JOIN erased_refs ri ON ri.seq = e.seq AND ri.part = 'input'
LEFT JOIN erased_refs ro ON ro.seq = e.seq AND ro.part = 'output'
LEFT JOIN erased_refs rp ON rp.seq = e.seq AND rp.part = 'prompt';
"""

_VIEWS = """
CREATE VIEW IF NOT EXISTS v_data_class_access AS
SELECT d.data_class, d.principal AS agent, d.ts, e.kind, e.operation, e.status,
       e.trace_id, d.seq
FROM event_data_classes d JOIN events e ON e.seq = d.seq;

CREATE VIEW IF NOT EXISTS v_denials AS
SELECT seq, ts, principal AS agent, operation, kind, status,
       json_extract(attrs, '$.reason') AS reason, trace_id
FROM events WHERE kind = 'denial' OR status = 'denied';

CREATE VIEW IF NOT EXISTS v_runs AS
SELECT s.trace_id, s.principal AS agent, s.principal_version AS version, s.git_commit,
       s.ts AS started, e.ts AS ended, e.status AS status, e.latency_ms AS wall_ms,
       (SELECT total(cost_usd) FROM events x WHERE x.trace_id = s.trace_id) AS cost_usd,
       (SELECT total(tokens) FROM events x WHERE x.trace_id = s.trace_id) AS tokens,
       (SELECT count(*) FROM events x WHERE x.trace_id = s.trace_id
            AND x.kind IN ('model_call', 'tool_call', 'agent_request')) AS steps,
       (SELECT count(*) FROM events x WHERE x.trace_id = s.trace_id
            AND (x.kind = 'denial' OR x.status = 'denied')) AS denials
FROM events s
LEFT JOIN events e ON e.trace_id = s.trace_id AND e.kind = 'run_end'
    AND e.span_id = s.span_id
WHERE s.kind = 'run_start';
"""


# The DDL of each schema version, in creation order.
DDL = {
    "1": _TABLES + INDEXES + _TRIGGERS + _PAYLOADS_ERASE_ONLY_V1 + _V_EVENTS_V1 + _VIEWS,
    "2": _TABLES
    + _ERASED_REFS
    + INDEXES
    + _TRIGGERS
    + _PAYLOADS_ERASE_ONLY_V2
    + _ERASED_REFS_TRIGGERS
    + _V_EVENTS_V2
    + _VIEWS,
}
ALL = DDL[SCHEMA_VERSION]

# From version 1 to 2, in one transaction (objects replaced are dropped first).
_UPGRADE_1_TO_2 = (
    "DROP TRIGGER payloads_erase_only;\nDROP VIEW v_events;\n"
    + _ERASED_REFS
    + _ERASED_REFS_TRIGGERS
    + _PAYLOADS_ERASE_ONLY_V2
    + _V_EVENTS_V2
    + "UPDATE meta SET value = '2' WHERE key = 'schema_version';"
)


# SQLite's own tables (ANALYZE statistics, AUTOINCREMENT counters) change no result.
_INTERNAL = {"sqlite_sequence", "sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4"}


@dataclass(frozen=True)
class SchemaDiff:
    """One schema object that is not as the DDL defines it."""

    type: str  # table | index | trigger | view
    name: str
    how: str  # missing | unexpected | changed

    def message(self, version: str) -> str:
        what = f"{self.type} {self.name}"
        if self.how == "missing":
            return f"{what} is missing (schema version {version} defines it)"
        if self.how == "unexpected":
            return f"{what} is not part of the ledger schema (version {version}): it was added"
        return f"{what} differs from its definition in schema version {version}"


Objects = dict[tuple[str, str], tuple[str, str]]  # (type, name) -> (tbl_name, sql)


def statements(script: str) -> list[str]:
    """Split our own DDL into statements (a trigger body holds ';')."""
    out: list[str] = []
    buf = ""
    for part in script.split(";"):
        buf += part + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \n;"):
                out.append(buf.strip())
            buf = ""
    return out


@cache
def expected(version: str) -> Objects:
    """The objects schema `version` defines, as SQLite stores them (built once)."""
    conn = sqlite3.connect(":memory:")
    try:
        for stmt in statements(DDL[version]):
            conn.execute(stmt)
        return actual(conn)
    finally:
        conn.close()


def actual(conn: sqlite3.Connection) -> Objects:
    """Every schema object in the file, but SQLite's internal ones. Automatic indexes
    (sql NULL) belong to their table's definition; integrity_check covers their content."""
    out: Objects = {}
    for type_, name, tbl, sql in conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master"
    ):
        if sql is None and type_ == "index":
            continue
        if type_ == "table" and name in _INTERNAL and str(sql).startswith(f"CREATE TABLE {name}("):
            continue
        out[(str(type_), str(name))] = (str(tbl), str(sql))
    return out


def differences(conn: sqlite3.Connection, version: str) -> list[SchemaDiff]:
    """How the file's objects differ from schema `version`: sorted, extras first (a planted
    trigger is the likeliest attack), then changed, then missing."""
    want, have = expected(version), actual(conn)
    rank = {"unexpected": 0, "changed": 1, "missing": 2}
    diffs = [SchemaDiff(t, n, "unexpected") for (t, n) in have.keys() - want.keys()]
    diffs += [SchemaDiff(t, n, "missing") for (t, n) in want.keys() - have.keys()]
    diffs += [
        SchemaDiff(t, n, "changed")
        for (t, n) in want.keys() & have.keys()
        if want[(t, n)] != have[(t, n)]
    ]
    return sorted(diffs, key=lambda d: (rank[d.how], d.type, d.name))


def recorded_version(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return "1" if row is None else str(row[0])


def prepare_for_writing(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse to append to a ledger whose schema objects differ from the definitions (a
    planted trigger can drop events, a redefined view can hide them); upgrade an intact
    version-1 file to the current version first. One read of sqlite_master when nothing
    needs doing."""
    version = recorded_version(conn)
    if version == SCHEMA_VERSION and not differences(conn, version):
        return
    if version not in DDL:
        raise LedgerError(
            f"{path}: schema version {version} is newer than this agentctl knows",
            hint="upgrade agentctl to write to this ledger",
        )
    conn.execute("BEGIN IMMEDIATE")  # re-read under the write lock: another writer may upgrade
    try:
        version = recorded_version(conn)
        diffs = differences(conn, version)
        if diffs:
            raise LedgerError(
                f"{path}: refusing to append: {diffs[0].message(version)}"
                + (f" (and {len(diffs) - 1} more)" if len(diffs) > 1 else ""),
                hint="run agentctl ledger verify; restore the ledger from a copy you trust",
            )
        if version == "1":
            for stmt in statements(_UPGRADE_1_TO_2):
                conn.execute(stmt)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


# Column order of an INSERT into events.
EVENT_COLUMNS = (
    "seq",
    "ts",
    "kind",
    "trace_id",
    "span_id",
    "parent_span_id",
    "principal",
    "principal_version",
    "git_commit",
    "operation",
    "status",
    "input_hash",
    "output_hash",
    "prompt_hash",
    "data_classes",
    "cost_usd",
    "tokens",
    "latency_ms",
    "attrs",
    "prev_hash",
    "hash",
)
INSERT_EVENT = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
)
# a payload erased earlier gets its content back when the same content is appended again
# (the new event must be readable; the erased references stay hidden through erased_refs)
INSERT_PAYLOAD = (
    "INSERT INTO payloads (hash, content) VALUES (?, ?) "
    "ON CONFLICT (hash) DO UPDATE SET content = excluded.content WHERE payloads.content IS NULL"
)
INSERT_EDC = "INSERT INTO event_data_classes (seq, data_class, ts, principal) VALUES (?, ?, ?, ?)"
INSERT_CLASS = "INSERT OR IGNORE INTO data_classes (name) VALUES (?)"
