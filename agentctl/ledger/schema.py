"""The ledger's tables, triggers, indexes and views (plain SQLite; sqlite-utils and Datasette
open it as is)."""

from __future__ import annotations

SCHEMA_VERSION = "1"

TABLES = """
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
TRIGGERS = """
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
CREATE TRIGGER IF NOT EXISTS payloads_erase_only BEFORE UPDATE ON payloads
WHEN NEW.hash IS NOT OLD.hash OR NEW.content IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'payloads can only be erased: use agentctl ledger erase'); END;
"""

VIEWS = """
CREATE VIEW IF NOT EXISTS v_events AS
SELECT e.seq, e.ts, e.kind, e.trace_id, e.span_id, e.parent_span_id, e.principal,
       e.principal_version, e.git_commit, e.operation, e.status, e.data_classes,
       e.cost_usd, e.tokens, e.latency_ms, e.attrs,
       pi.content AS input, po.content AS output, pp.content AS prompt, e.hash
FROM events e
LEFT JOIN payloads pi ON pi.hash = e.input_hash
LEFT JOIN payloads po ON po.hash = e.output_hash
LEFT JOIN payloads pp ON pp.hash = e.prompt_hash;

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

ALL = TABLES + INDEXES + TRIGGERS + VIEWS

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
INSERT_PAYLOAD = "INSERT OR IGNORE INTO payloads (hash, content) VALUES (?, ?)"
INSERT_EDC = "INSERT INTO event_data_classes (seq, data_class, ts, principal) VALUES (?, ?, ?, ?)"
INSERT_CLASS = "INSERT OR IGNORE INTO data_classes (name) VALUES (?)"
