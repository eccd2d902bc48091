"""`ledger sql`: one statement, read-only three times over — the file opened with mode=ro,
PRAGMA query_only, and an authorizer that allows reading and nothing else — and bounded:

- functions from an allow-list only (SQLite's core, date, math, JSON, aggregate and window
  functions): no fts3_tokenizer (it hands out and takes native pointers), load_extension
  or anything an extension may add;
- a wall-time limit (a progress handler stops the statement: an unbounded recursive CTE
  ends with a clear error, not a hang);
- a cap on the length of any one value (SQLITE_LIMIT_LENGTH: randomblob(5e8) fails at
  once), on the number of rows and on the bytes of the result.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from agentctl.ledger.errors import LedgerError
from agentctl.ledger.store import Ledger

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_ROWS = 100_000
MAX_VALUE_BYTES = 64 * 1024 * 1024  # longest string or blob a statement may build or read
MAX_RESULT_BYTES = 256 * 1024 * 1024
_PROGRESS_EVERY = 10_000  # virtual-machine instructions between clock reads


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FUNCTIONS = _words(
    """
    abs char coalesce concat concat_ws format glob hex ifnull iif instr length like
    likelihood likely lower ltrim max min nullif octet_length printf quote random
    randomblob replace round rtrim sign soundex sqlite_version substr substring trim
    typeof unhex unicode unlikely upper zeroblob avg count group_concat string_agg sum
    total date time datetime julianday unixepoch strftime timediff row_number rank
    dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
    acos acosh asin asinh atan atan2 atanh ceil ceiling cos cosh degrees exp floor ln
    log log10 log2 mod pi pow power radians sin sinh sqrt tan tanh trunc json json_array
    json_array_length json_error_position json_extract json_insert json_object
    json_patch json_pretty json_quote json_remove json_replace json_set json_type
    json_valid json_group_array json_group_object -> ->> jsonb jsonb_array jsonb_extract
    jsonb_insert jsonb_object jsonb_patch jsonb_remove jsonb_replace jsonb_set
    jsonb_group_array jsonb_group_object
    """
)
# reading these changes nothing (the table-valued pragma_* functions reach them too)
PRAGMAS = _words(
    """
    table_info table_xinfo table_list index_list index_info index_xinfo foreign_key_list
    integrity_check quick_check page_count page_size freelist_count schema_version
    user_version application_id encoding data_version
    """
)
_SETTABLE = frozenset({"user_version", "application_id", "schema_version"})

_ALWAYS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, getattr(sqlite3, "SQLITE_RECURSIVE", 33)}


@dataclass(frozen=True)
class Limits:
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_rows: int = DEFAULT_MAX_ROWS
    max_bytes: int = MAX_RESULT_BYTES
    max_value_bytes: int = MAX_VALUE_BYTES


@dataclass
class SqlResult:
    statement: str
    columns: list[str]
    rows: list[tuple[Any, ...]]


class _Guard:
    """The authorizer of one statement; remembers what it refused, for the message."""

    def __init__(self) -> None:
        self.refused: str | None = None
        self.started = False

    def __call__(
        self, action: int, arg1: str | None, arg2: str | None, db: str | None, _src: str | None
    ) -> int:
        first, self.started = not self.started, True
        if action in _ALWAYS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION:
            if (arg2 or "").lower() in FUNCTIONS:
                return sqlite3.SQLITE_OK
            return self._refuse(f"the function {arg2}()")
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            # table_info(x) passes x, integrity_check(N) passes N: an argument, not a value
            if name in PRAGMAS and (arg2 is None or name not in _SETTABLE):
                return sqlite3.SQLITE_OK
            return self._refuse("" if arg2 is not None else f"PRAGMA {arg1}")
        if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master" and not first:
            # a SELECT that names a table-valued function (json_each, pragma_table_info)
            # registers it in the in-memory schema; the file is read-only either way
            return sqlite3.SQLITE_OK
        return self._refuse("")

    def _refuse(self, what: str) -> int:
        if self.refused is None:
            self.refused = what
        return sqlite3.SQLITE_DENY


def run_readonly(ledger: Ledger, statement: str, limits: Limits | None = None) -> SqlResult:
    """Run `statement` within `limits`; its column names and rows. LedgerError for writes,
    refused functions, bad SQL, and a statement that runs too long or returns too much."""
    limits = limits or Limits()
    conn = ledger.conn
    guard = _Guard()
    deadline = time.monotonic() + limits.timeout_s
    timed_out = False

    def progress() -> int:
        nonlocal timed_out
        if time.monotonic() > deadline:
            timed_out = True
            return 1  # interrupts the statement
        return 0

    old_length = conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, limits.max_value_bytes)
    conn.set_authorizer(guard)
    conn.set_progress_handler(progress, _PROGRESS_EVERY)
    try:
        cur = conn.execute(statement)
        columns = [d[0] for d in cur.description or ()]
        rows = _fetch(cur, limits)
    except sqlite3.DatabaseError as exc:
        raise _error(str(exc), guard, limits, timed_out) from None
    except sqlite3.ProgrammingError as exc:
        raise LedgerError(f"SQL error: {exc}", hint="run one statement at a time") from None
    finally:
        conn.set_progress_handler(None, 0)
        conn.set_authorizer(None)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, old_length)
    return SqlResult(statement, columns, rows)


def _fetch(cur: sqlite3.Cursor, limits: Limits) -> list[tuple[Any, ...]]:
    """Row by row, so that no more than one row beyond a cap is ever held
    (SELECT randomblob(6e7) FROM a long CTE must stop at the byte cap, not a batch later)."""
    rows: list[tuple[Any, ...]] = []
    size = 0
    for r in cur:
        size += sum(len(v) if isinstance(v, str | bytes) else 8 for v in r)
        rows.append(r)
        if len(rows) > limits.max_rows:
            raise LedgerError(
                f"the result has more than {limits.max_rows} rows",
                hint="add a LIMIT, or pass --max-rows N; agentctl ledger export streams events",
            )
        if size > limits.max_bytes:
            raise LedgerError(
                f"the result is larger than {limits.max_bytes // (1024 * 1024)} MiB",
                hint="select fewer columns or add a LIMIT",
            )
    return rows


def _error(text: str, guard: _Guard, limits: Limits, timed_out: bool) -> LedgerError:
    if timed_out or text == "interrupted":
        return LedgerError(
            f"the statement ran longer than {limits.timeout_s:g} s and was stopped",
            hint="add a LIMIT or a narrower WHERE, or pass --timeout SECONDS",
        )
    if "too big" in text:
        return LedgerError(
            f"the statement built a value longer than {limits.max_value_bytes // (1024 * 1024)}"
            " MiB and was stopped",
            hint="ledger sql caps each string or blob",
        )
    if guard.refused:
        return LedgerError(
            f"ledger sql does not allow {guard.refused}",
            hint="read-only SELECT with SQLite's core, date, math, JSON, aggregate and "
            "window functions",
        )
    if guard.refused == "" or any(
        w in text for w in ("not authorized", "authorization denied", "readonly", "read-only")
    ):
        return LedgerError(
            "ledger sql is read-only: the statement would change the ledger or its settings",
            hint="use SELECT; erase payloads with agentctl ledger erase",
        )
    return LedgerError(
        f"SQL error: {text}",
        hint="one SELECT statement, e.g. SELECT kind, count(*) FROM events GROUP BY kind",
    )
