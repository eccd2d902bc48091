"""The output formats of `agentctl ledger`: for each result type, a registry (a plain dict)
of format name -> renderer, a pure function of the result. The CLI takes its `--format`
choices, default and help from here, as `lint` does from its renderers."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson

from agentctl.ledger import export
from agentctl.ledger.erasure import EraseResult
from agentctl.ledger.query import QueryResult, TraceResult
from agentctl.ledger.sqlro import SqlResult
from agentctl.ledger.stats import Report
from agentctl.ledger.verify import VerifyReport
from agentctl.render import ledger_text as text

T = TypeVar("T")
R = TypeVar("R")

LEDGER_FORMAT_VERSION = 1  # the JSON envelope of every ledger command


@dataclass(frozen=True)
class Format(Generic[T, R]):
    render: Callable[[T], R]
    help: str


Registry = Mapping[str, Format[T, str]]


def dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()


def envelope(data: Mapping[str, Any]) -> str:
    return dumps({"format_version": LEDGER_FORMAT_VERSION, **data})


def _lines(rows: Iterable[Mapping[str, Any]]) -> str:
    return b"".join(orjson.dumps(r) + b"\n" for r in rows).decode()


def help_text(registry: Mapping[str, Format[Any, Any]]) -> str:
    """`--format` help: every choice with what it gives, the first being the default."""
    return "Output format: " + "; ".join(f"{k} ({f.help})" for k, f in registry.items()) + "."


# -- one registry per result type ----------------------------------------------------------


def _verify_json(rep: VerifyReport) -> str:
    return dumps(rep.to_dict())  # to_dict carries format_version


VERIFY: Registry[VerifyReport] = {
    "text": Format(text.verify_text, "a summary and each problem"),
    "json": Format(_verify_json, "the report as one JSON object"),
}


def _query_text(r: QueryResult) -> str:
    return text.agents_table(r.rows) if r.agents else text.events_table(r.rows)


def _query_json(r: QueryResult) -> str:
    key = "agents" if r.agents else "events"
    return envelope({"since": r.filters.since, "until": r.filters.until, key: r.rows})


QUERY: Registry[QueryResult] = {
    "text": Format(_query_text, "a table"),
    "json": Format(_query_json, "one JSON object"),
    "jsonl": Format(lambda r: _lines(r.rows), "one JSON object per line"),
}

SHOW: Registry[TraceResult] = {
    "text": Format(lambda r: text.trace_tree(r.trace_id, r.events), "a tree of spans"),
    "json": Format(
        lambda r: envelope({"trace_id": r.trace_id, "events": r.events}), "one JSON object"
    ),
}


def _sql_records(r: SqlResult) -> list[dict[str, Any]]:
    return [dict(zip(r.columns, row, strict=True)) for row in r.rows]


def _sql_csv(r: SqlResult) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(r.columns)
    w.writerows(r.rows)
    return buf.getvalue()


SQL: Registry[SqlResult] = {
    "text": Format(lambda r: text.sql_table(r.columns, r.rows), "a table, or a block per row"),
    "json": Format(
        lambda r: envelope({"columns": r.columns, "rows": _sql_records(r)}), "one JSON object"
    ),
    "jsonl": Format(lambda r: _lines(_sql_records(r)), "one JSON object per row"),
    "csv": Format(_sql_csv, "RFC 4180 with a header row"),
}

REPORT: Registry[Report] = {
    "text": Format(text.report_text, "tables per charter"),
    "json": Format(lambda r: dumps(r.to_dict()), "one JSON object"),
}

ERASE: Registry[EraseResult] = {
    "text": Format(text.erase_text, "one line"),
    "json": Format(lambda r: envelope(r.to_dict()), "one JSON object"),
}

# export streams: its renderers turn events into lines of bytes
EXPORT: Mapping[str, Format[Iterable[dict[str, Any]], Iterator[bytes]]] = {
    "jsonl": Format(export.jsonl, "one event per line, payloads resolved"),
    "otlp-json": Format(export.otlp, "one OTLP/JSON TracesData per trace per line"),
}
