"""Hostile `ledger sql`: native pointers through fts3_tokenizer, an unbounded recursive CTE,
randomblob(5e8). Each is refused with a clear message and exit 2, never a hang."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentctl.ledger import Ledger, LedgerError
from agentctl.ledger.sqlro import Limits, run_readonly

FOREVER = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            "SELECT fts3_tokenizer('simple')",
            "ledger sql does not allow the function fts3_tokenizer()",
        ),
        (
            "SELECT fts3_tokenizer('mine', x'0000000000000000')",
            "ledger sql does not allow the function fts3_tokenizer()",
        ),
        (
            "SELECT load_extension('/tmp/evil.so')",
            "ledger sql does not allow the function load_extension()",
        ),
        (
            "SELECT length(randomblob(5e8))",
            "the statement built a value longer than 64 MiB and was stopped",
        ),
        ("SELECT length(zeroblob(5e8))", "the statement built a value longer than 64 MiB"),
        (
            "SELECT length(replace(hex(zeroblob(30000000)), '0', 'ab'))",
            "the statement built a value longer than 64 MiB",
        ),
        ("PRAGMA writable_schema = 1", "ledger sql is read-only"),
        ("PRAGMA wal_checkpoint", "ledger sql does not allow PRAGMA wal_checkpoint"),
        ("VACUUM INTO '/tmp/copy.db'", "ledger sql is read-only"),
    ],
)
def test_hostile_statements_are_refused(
    cli, sample_ledger: Path, statement: str, message: str
) -> None:
    r = cli("ledger", "sql", "-l", sample_ledger, statement)
    assert r.exit_code == 2, (statement, r.stdout)
    assert r.stderr.startswith(f"agentctl: error: {message}"), (statement, r.stderr)
    assert "Traceback" not in r.stderr


def test_an_unbounded_recursive_cte_is_stopped_by_the_timeout(cli, sample_ledger: Path) -> None:
    # an aggregate returns nothing until the recursion ends, which it never does: only the
    # timeout can stop it, so the outcome does not depend on the machine's speed
    r = cli(
        "ledger", "sql", "-l", sample_ledger, "--timeout", "0.3", FOREVER + "SELECT max(x) FROM c"
    )
    assert r.exit_code == 2
    assert r.stderr == (
        "agentctl: error: the statement ran longer than 0.3 s and was stopped\n"
        "  hint: add a LIMIT or a narrower WHERE, or pass --timeout SECONDS\n"
    )


def test_too_many_rows_are_refused(cli, sample_ledger: Path) -> None:
    r = cli(
        "ledger",
        "sql",
        "-l",
        sample_ledger,
        "--timeout",
        "3600",
        "--max-rows",
        "1000",
        FOREVER + "SELECT x FROM c",
    )
    assert r.exit_code == 2
    assert r.stderr.startswith("agentctl: error: the result has more than 1000 rows\n")


def test_the_result_size_is_capped(sample_ledger: Path) -> None:
    with (
        Ledger.open(sample_ledger, readonly=True) as led,
        pytest.raises(LedgerError, match="the result is larger than 1 MiB"),
    ):
        run_readonly(
            led,
            FOREVER + "SELECT hex(zeroblob(100000)) FROM c LIMIT 100",
            Limits(max_bytes=1024 * 1024),
        )


def test_big_values_stop_at_the_byte_cap_row_by_row(sample_ledger: Path) -> None:
    """Rows of 20 MB each: refused at the third, not after a batch of a thousand (20 GB)."""
    with (
        Ledger.open(sample_ledger, readonly=True) as led,
        pytest.raises(LedgerError, match="the result is larger than 50 MiB"),
    ):
        run_readonly(
            led,
            FOREVER + "SELECT randomblob(20000000) FROM c LIMIT 1000",
            Limits(max_bytes=50 * 1024 * 1024),
        )


def test_reading_stays_possible(cli, sample_ledger: Path) -> None:
    for stmt, rows in [
        ("SELECT value FROM json_each('[1,2]')", [{"value": 1}, {"value": 2}]),
        (
            "SELECT name FROM pragma_table_info('meta') ORDER BY cid",
            [{"name": "key"}, {"name": "value"}],
        ),
        ("SELECT count(*) AS n FROM v_events", [{"n": 51}]),
        (
            "SELECT attrs ->> '$.reason' AS r FROM events WHERE seq = 24",
            [{"r": "scope billing.write not granted"}],
        ),
        (FOREVER + "SELECT x FROM c LIMIT 2", [{"x": 1}, {"x": 2}]),
        ("SELECT length(randomblob(1000)) AS n", [{"n": 1000}]),
    ]:
        r = cli("ledger", "sql", "-l", sample_ledger, stmt, "-f", "json")
        assert r.exit_code == 0, (stmt, r.stderr)
        assert json.loads(r.stdout)["rows"] == rows, stmt
    r = cli("ledger", "sql", "-l", sample_ledger, "PRAGMA table_info(meta)", "-f", "csv")
    assert r.stdout.splitlines()[0] == "cid,name,type,notnull,dflt_value,pk"


def test_limits_are_lifted_after_the_statement(sample_ledger: Path) -> None:
    """The connection is the ledger's: other reads through it must not inherit the caps."""
    import sqlite3

    with Ledger.open(sample_ledger, readonly=True) as led:
        before = led.conn.getlimit(sqlite3.SQLITE_LIMIT_LENGTH)
        with pytest.raises(LedgerError):
            run_readonly(led, "SELECT fts3_tokenizer('simple')")
        assert led.conn.getlimit(sqlite3.SQLITE_LIMIT_LENGTH) == before
        assert led.conn.execute("SELECT fts3_tokenizer('simple') IS NOT NULL").fetchone() == (1,)
