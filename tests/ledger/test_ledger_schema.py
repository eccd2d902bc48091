"""Attacks that leave every row hashing right: a planted trigger, a redefined view, a flipped
byte in an index page. verify names each, and the writer refuses to append to a ledger
whose schema objects differ from schema.py."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agentctl.ledger import Ledger, LedgerError, schema
from agentctl.ledger.query import Filters, query
from agentctl.ledger.verify import verify

DROP_MY_EVENTS = (
    "CREATE TRIGGER hide_mine BEFORE INSERT ON events "
    "WHEN NEW.principal = 'replenishment-planner' BEGIN SELECT RAISE(IGNORE); END"
)


def _sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for s in statements:
        conn.execute(s)
    conn.commit()
    conn.close()


def _problems(path: Path) -> list[tuple[str, str]]:
    with Ledger.open(path, readonly=True) as led:
        return [(p.code, p.message) for p in verify(led).problems]


def test_the_schema_has_one_source(sample_ledger: Path) -> None:
    with Ledger.open(sample_ledger, readonly=True) as led:
        assert schema.differences(led.conn, schema.SCHEMA_VERSION) == []
        assert schema.recorded_version(led.conn) == schema.SCHEMA_VERSION
    kinds = {t for t, _ in schema.expected(schema.SCHEMA_VERSION)}
    assert kinds == {"table", "index", "trigger", "view"}


def test_a_planted_trigger_fails_verify_and_stops_the_writer(sample_ledger: Path, data) -> None:
    _sql(sample_ledger, DROP_MY_EVENTS)
    assert _problems(sample_ledger) == [
        (
            "schema",
            "trigger hide_mine is not part of the ledger schema (version 2): it was added",
        )
    ]
    with pytest.raises(LedgerError) as err:
        Ledger.open(sample_ledger)
    assert err.value.message == (
        f"{sample_ledger}: refusing to append: trigger hide_mine is not part of the ledger "
        "schema (version 2): it was added"
    )
    # the attack it stops: appends through a plain connection vanish without an error
    conn = sqlite3.connect(sample_ledger)
    conn.execute(
        "INSERT INTO events SELECT 99, ts, kind, trace_id, span_id, parent_span_id, principal, "
        "principal_version, git_commit, operation, status, input_hash, output_hash, "
        "prompt_hash, data_classes, cost_usd, tokens, latency_ms, attrs, prev_hash, hash "
        "FROM events WHERE seq = 1"
    )
    assert conn.execute("SELECT count(*) FROM events WHERE seq = 99").fetchone()[0] == 0
    conn.close()


def test_a_redefined_view_fails_verify(sample_ledger: Path) -> None:
    with Ledger.open(sample_ledger, readonly=True) as led:
        before = led.conn.execute("SELECT count(*) FROM v_denials").fetchone()[0]
    _sql(
        sample_ledger,
        "DROP VIEW v_denials",
        "CREATE VIEW v_denials AS SELECT seq, ts, principal AS agent, operation, kind, status, "
        "json_extract(attrs, '$.reason') AS reason, trace_id FROM events WHERE 0",
    )
    with Ledger.open(sample_ledger, readonly=True) as led:
        assert (before, led.conn.execute("SELECT count(*) FROM v_denials").fetchone()[0]) == (2, 0)
    assert _problems(sample_ledger) == [
        ("schema", "view v_denials differs from its definition in schema version 2")
    ]
    with pytest.raises(LedgerError, match="refusing to append: view v_denials differs"):
        Ledger.open(sample_ledger)


@pytest.mark.parametrize(
    ("statements", "message"),
    [
        (["DROP TRIGGER payloads_erase_only"], "trigger payloads_erase_only is missing"),
        (["DROP INDEX events_kind_ts"], "index events_kind_ts is missing"),
        (["CREATE INDEX sneaky ON events (cost_usd)"], "index sneaky is not part of"),
        (["CREATE TABLE notes (x)"], "table notes is not part of"),
        (
            ["DROP INDEX events_ts", "CREATE INDEX events_ts ON events (ts DESC)"],
            "index events_ts differs from its definition",
        ),
    ],
)
def test_every_kind_of_schema_change_is_named(
    sample_ledger: Path, statements: list[str], message: str
) -> None:
    _sql(sample_ledger, *statements)
    problems = _problems(sample_ledger)
    assert len(problems) == 1 and problems[0][0] == "schema", problems
    assert problems[0][1].startswith(message)


def _flip_in_index(path: Path, index: str, old: bytes, new: bytes, count: int = 1) -> None:
    """Rewrite bytes inside `index`'s one page (found with dbstat), as a hex editor would."""
    conn = sqlite3.connect(path)
    pages = conn.execute(
        "SELECT pageno, pagetype FROM dbstat WHERE name = ? ORDER BY pageno", (index,)
    ).fetchall()
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    assert pages and pages[0][1] == "leaf", pages  # a small ledger: the root is a leaf
    with path.open("r+b") as fh:
        fh.seek((pages[0][0] - 1) * size)
        page = fh.read(size)
        assert page.count(old) >= 1
        fh.seek((pages[0][0] - 1) * size)
        fh.write(page.replace(old, new, count))


def test_a_flipped_byte_in_an_index_fails_verify(sample_ledger: Path) -> None:
    _flip_in_index(sample_ledger, "events_kind_ts", b"denial", b"denia1")
    with Ledger.open(sample_ledger, readonly=True) as led:
        # the attack: queries through the index now answer wrong while every row hashes right
        found = [(e["seq"], e["kind"]) for e in query(led, Filters(kinds=["denial"]))]
        truth = led.conn.execute(
            "SELECT seq, kind FROM events NOT INDEXED WHERE kind = 'denial'"
        ).fetchall()
        assert truth == [(24, "denial"), (36, "denial")] and found != truth
    problems = _problems(sample_ledger)
    assert [c for c, _ in problems] == ["corrupt"]
    assert problems[0][1].startswith("the database file is damaged: ")
    assert "events_kind_ts" in problems[0][1]


def test_a_flipped_byte_in_the_principal_index_fails_verify(sample_ledger: Path) -> None:
    """The guard's daily totals read the (principal, ts) index."""
    _flip_in_index(
        sample_ledger, "events_principal_ts", b"claims-intake", b"claims-intakf", count=-1
    )
    with Ledger.open(sample_ledger, readonly=True) as led:
        totals = led.daily_totals("claims-intake", "2026-03-01", "2026-03-09")
    assert totals["runs"] == 0  # wrong: two runs were recorded, the budget sees none
    problems = _problems(sample_ledger)
    assert [c for c, _ in problems] == ["corrupt"] and "events_principal_ts" in problems[0][1]


def test_a_ledger_from_a_newer_agentctl_is_not_written(sample_ledger: Path) -> None:
    _sql(sample_ledger, "UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    with pytest.raises(LedgerError, match="schema version 9 is newer than this agentctl knows"):
        Ledger.open(sample_ledger)
    assert _problems(sample_ledger) == [("schema", "schema version 9 is unknown to this agentctl")]


def test_verify_through_the_cli_names_the_trigger(cli, sample_ledger: Path) -> None:
    _sql(sample_ledger, DROP_MY_EVENTS)
    r = cli("ledger", "verify", "-l", sample_ledger)
    assert r.exit_code == 1
    assert r.stdout.splitlines()[1:] == [
        "51 events, 1 problem",
        "  schema: trigger hide_mine is not part of the ledger schema (version 2): it was",
        "    added",
    ]
    r = cli("ledger", "erase", "-l", sample_ledger, "-t", "0000000000000000000000000000000c")
    assert r.exit_code == 2  # --reason missing: usage
    r = cli(
        "ledger", "erase", "-l", sample_ledger, "-t", "0000000000000000000000000000000c", "-r", "x"
    )
    assert r.exit_code == 2
    assert r.stderr.startswith(
        f"agentctl: error: {sample_ledger}: refusing to append: trigger hide_mine"
    )
