"""The ledger is a plain SQLite file: sqlite-utils (and so Datasette) and the sqlite3
command-line shell read it as it is, views included."""

from __future__ import annotations

import shutil
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
