"""`ledger sql`: one statement, read-only three times over — the file opened with mode=ro,
PRAGMA query_only, and an authorizer that allows reading and nothing else (no ATTACH of a
writable file, no PRAGMA that changes a setting)."""

from __future__ import annotations

import sqlite3
from typing import Any

from agentctl.ledger.store import Ledger, LedgerError

_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION}
_RECURSIVE = getattr(sqlite3, "SQLITE_RECURSIVE", 33)


def _authorize(action: int, arg1: str | None, arg2: str | None, *_: Any) -> int:
    if action in _ALLOWED or action == _RECURSIVE:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and arg2 is None:
        return sqlite3.SQLITE_OK  # reading a pragma (table_info(x) passes x as arg2: allow)
    if action == sqlite3.SQLITE_PRAGMA and arg1 in {
        "table_info",
        "table_xinfo",
        "index_list",
        "index_info",
        "foreign_key_list",
    }:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def run_readonly(ledger: Ledger, statement: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run `statement`; its column names and rows. LedgerError for writes and bad SQL."""
    conn = ledger.conn
    conn.set_authorizer(_authorize)
    try:
        cur = conn.execute(statement)
        rows = cur.fetchall()
        columns = [d[0] for d in cur.description or ()]
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if "not authorized" in text or "readonly" in text or "read-only" in text:
            raise LedgerError(
                "ledger sql is read-only: the statement would change the ledger or its settings",
                hint="use SELECT; erase payloads with agentctl ledger erase",
            ) from None
        raise LedgerError(
            f"SQL error: {text}",
            hint="one SELECT statement, e.g. SELECT kind, count(*) FROM events GROUP BY kind",
        ) from None
    except sqlite3.ProgrammingError as exc:
        raise LedgerError(f"SQL error: {exc}", hint="run one statement at a time") from None
    finally:
        conn.set_authorizer(None)
    return columns, rows
