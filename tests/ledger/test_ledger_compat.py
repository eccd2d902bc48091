"""The ledger is a plain SQLite file: sqlite-utils (and so Datasette) and the sqlite3
command-line shell read it as it is, views included. Ledgers written by earlier versions
verify against their own schema version and are upgraded by the next writer."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
import sqlite_utils


def test_sqlite_utils_reads_tables_and_views(sample_ledger: Path) -> None:
    db = sqlite_utils.Database(sample_ledger)
    assert {"events", "payloads", "event_data_classes"} <= set(db.table_names())
    assert {"v_events", "v_runs", "v_denials", "v_data_class_access"} <= set(db.view_names())
    events = db["events"]
    assert isinstance(events, sqlite_utils.db.Table)
    assert events.count > 0
    ssn = list(
        db.query("SELECT DISTINCT agent FROM v_data_class_access WHERE data_class = ?", ["pii.ssn"])
    )
    assert ssn, "the sample ledger has runs touching pii.ssn"
    # every event row's hash column is there for anyone to recompute
    assert {"seq", "prev_hash", "hash"} <= set(events.columns_dict)


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="no sqlite3 shell")
def test_the_sqlite3_shell_reads_it(sample_ledger: Path) -> None:
    out = subprocess.run(
        ["sqlite3", "-readonly", str(sample_ledger), "SELECT count(*) FROM v_runs;"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert int(out.strip()) > 0


# -- ledgers written by earlier versions -----------------------------------------------------

V1 = Path(__file__).with_name("data") / "ledger-v1.db"  # written by agentctl 0.1 (schema 1)


@pytest.fixture
def v1_ledger(tmp_path: Path) -> Path:
    """Two runs and one whole-payload erase, as agentctl 0.1 wrote them (WAL mode)."""
    dst = tmp_path / "old.db"
    shutil.copyfile(V1, dst)
    return dst


def test_a_schema_1_ledger_verifies_against_schema_1(v1_ledger: Path) -> None:
    from agentctl.ledger import Ledger, schema
    from agentctl.ledger.verify import verify

    with Ledger.open(v1_ledger, readonly=True) as led:
        assert schema.recorded_version(led.conn) == "1"
        rep = verify(led)
    assert rep.ok, rep.problems
    assert rep.warnings == [
        "schema version 1 (written by an earlier agentctl); the next append upgrades it to "
        "version 2"
    ]


def test_the_writer_upgrades_an_intact_schema_1_ledger(v1_ledger: Path, data) -> None:
    from agentctl.ledger import Ledger, schema
    from agentctl.ledger.erasure import EraseRequest, erase
    from agentctl.ledger.verify import verify

    with Ledger.open(v1_ledger) as led:
        assert schema.recorded_version(led.conn) == "2"
        assert schema.differences(led.conn, "2") == []
        led.append(data.run_events(3, "claims-intake", "v1", 600))
        erase(led, EraseRequest(trace=data.tid(2)), by="dpo", reason="r", ts=data.ts(700))
        rep = verify(led)
    assert rep.ok and rep.warnings == [], (rep.problems, rep.warnings)


def test_a_tampered_schema_1_ledger_is_not_upgraded(v1_ledger: Path) -> None:
    from agentctl.ledger import Ledger, LedgerError, schema

    conn = sqlite3.connect(v1_ledger)
    conn.execute("CREATE TRIGGER t BEFORE INSERT ON events BEGIN SELECT RAISE(IGNORE); END")
    conn.commit()
    conn.close()
    with pytest.raises(
        LedgerError, match=r"trigger t is not part of the ledger schema \(version 1\)"
    ):
        Ledger.open(v1_ledger)
    with Ledger.open(v1_ledger, readonly=True) as led:
        assert schema.recorded_version(led.conn) == "1"


def test_setting_a_ledger_back_to_schema_1_is_caught(sample_ledger: Path, data) -> None:
    """Per-reference erasures recorded in the chain need schema 2: rebuilding the schema-1
    objects (erased references readable again through v_events) does not pass."""
    from agentctl.ledger import Ledger, schema
    from agentctl.ledger.erasure import EraseRequest, erase
    from agentctl.ledger.verify import verify

    with Ledger.open(sample_ledger) as led:
        erase(led, EraseRequest(trace=data.tid(1)), by="dpo", reason="r", ts=data.ts(9e5))
    conn = sqlite3.connect(sample_ledger)
    for stmt in [
        "DROP TRIGGER erased_refs_no_update",
        "DROP TRIGGER erased_refs_no_delete",
        "DROP TABLE erased_refs",
        "DROP TRIGGER payloads_erase_only",
        "DROP VIEW v_events",
    ]:
        conn.execute(stmt)
    v1 = schema.statements(schema.DDL["1"])
    for stmt in v1:
        if "payloads_erase_only" in stmt or "VIEW IF NOT EXISTS v_events" in stmt:
            conn.execute(stmt)
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with Ledger.open(sample_ledger, readonly=True) as led:
        assert schema.differences(led.conn, "1") == []
        problems = verify(led).problems
    assert [(p.code, p.seq) for p in problems] == [("schema", 52)]
    assert "the ledger's schema was set back to version 1" in problems[0].message
