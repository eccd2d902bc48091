"""The output formats of `agentctl ledger`: for each result type, a registry (a plain dict)
of format name -> renderer, a pure function of the result. The CLI takes its `--format`
choices, default and help from here, as `lint` does from its renderers.

Every command module is imported at start-up (for `--help`), so this one imports the
ledger and the renderers only when a renderer runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from agentctl.ledger.erasure import EraseResult
    from agentctl.ledger.query import QueryResult, TraceResult
    from agentctl.ledger.sqlro import SqlResult
    from agentctl.ledger.stats import Report
    from agentctl.ledger.verify import VerifyReport

T = TypeVar("T")
R = TypeVar("R")

LEDGER_FORMAT_VERSION = 1  # the JSON envelope of every ledger command


@dataclass(frozen=True)
class Format(Generic[T, R]):
    render: Callable[[T], R]
    help: str


Registry = Mapping[str, Format[T, str]]


def dumps(value: Any) -> str:
    import orjson

    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()


def envelope(data: Mapping[str, Any]) -> str:
    return dumps({"format_version": LEDGER_FORMAT_VERSION, **data})


def _lines(rows: Iterable[Mapping[str, Any]]) -> str:
    import orjson

    return b"".join(orjson.dumps(r) + b"\n" for r in rows).decode()


def help_text(registry: Mapping[str, Format[Any, Any]]) -> str:
    """`--format` help: every choice with what it gives, the first being the default."""
    return "Output format: " + "; ".join(f"{k} ({f.help})" for k, f in registry.items()) + "."


# -- one registry per result type ----------------------------------------------------------


def _verify_text(rep: VerifyReport) -> str:
    from agentctl.render.ledger_text import verify_text

    return verify_text(rep)


def _verify_json(rep: VerifyReport) -> str:
    return dumps(rep.to_dict())  # to_dict carries format_version


VERIFY: Registry[VerifyReport] = {
    "text": Format(_verify_text, "a summary and each problem"),
    "json": Format(_verify_json, "the report as one JSON object"),
}


def _query_text(r: QueryResult) -> str:
    from agentctl.render import ledger_text as text

    return text.agents_table(r.rows) if r.agents else text.events_table(r.rows)


def _query_json(r: QueryResult) -> str:
    key = "agents" if r.agents else "events"
    return envelope({"since": r.filters.since, "until": r.filters.until, key: r.rows})


QUERY: Registry[QueryResult] = {
    "text": Format(_query_text, "a table"),
    "json": Format(_query_json, "one JSON object"),
    "jsonl": Format(lambda r: _lines(r.rows), "one JSON object per line"),
}


def _show_text(r: TraceResult) -> str:
    from agentctl.render.ledger_text import trace_tree

    return trace_tree(r.trace_id, r.events)


SHOW: Registry[TraceResult] = {
    "text": Format(_show_text, "a tree of spans"),
    "json": Format(
        lambda r: envelope({"trace_id": r.trace_id, "events": r.events}), "one JSON object"
    ),
}


def _sql_records(r: SqlResult) -> list[dict[str, Any]]:
    return [dict(zip(r.columns, row, strict=True)) for row in r.rows]


def _sql_text(r: SqlResult) -> str:
    from agentctl.render.ledger_text import sql_table

    return sql_table(r.columns, r.rows)


def _sql_csv(r: SqlResult) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(r.columns)
    w.writerows(r.rows)
    return buf.getvalue()


SQL: Registry[SqlResult] = {
    "text": Format(_sql_text, "a table, or a block per row"),
    "json": Format(
        lambda r: envelope({"columns": r.columns, "rows": _sql_records(r)}), "one JSON object"
    ),
    "jsonl": Format(lambda r: _lines(_sql_records(r)), "one JSON object per row"),
    "csv": Format(_sql_csv, "RFC 4180 with a header row"),
}


def _report_text(r: Report) -> str:
    from agentctl.render.ledger_text import report_text

    return report_text(r)


REPORT: Registry[Report] = {
    "text": Format(_report_text, "tables per charter"),
    "json": Format(lambda r: dumps(r.to_dict()), "one JSON object"),
}


def _erase_text(r: EraseResult) -> str:
    from agentctl.render.ledger_text import erase_text

    return erase_text(r)


ERASE: Registry[EraseResult] = {
    "text": Format(_erase_text, "what was erased, what was kept"),
    "json": Format(lambda r: envelope(r.to_dict()), "one JSON object"),
}


def _export_jsonl(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    from agentctl.ledger.export import jsonl

    return jsonl(rows)


def _export_otlp(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    from agentctl.ledger.export import otlp

    return otlp(rows)


# export streams: its renderers turn events into lines of bytes
EXPORT: Mapping[str, Format[Iterable[dict[str, Any]], Iterator[bytes]]] = {
    "jsonl": Format(_export_jsonl, "one event per line, payloads resolved"),
    "otlp-json": Format(_export_otlp, "one OTLP/JSON TracesData per trace per line"),
}
