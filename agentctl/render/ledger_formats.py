"""The renderers of `agentctl ledger`'s results, registered per report type in
render/registry.py ("ledger-verify", "ledger-query", …): pure functions of a result,
`fn(result, *, color=False) -> str`. JSON documents start with the common envelope."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from agentctl.render import ledger_text as text
from agentctl.render.envelope import envelope

if TYPE_CHECKING:
    from agentctl.ledger.erasure import EraseResult
    from agentctl.ledger.query import QueryResult, TraceResult
    from agentctl.ledger.sqlro import SqlResult
    from agentctl.ledger.stats import Report
    from agentctl.ledger.verify import VerifyReport


def dumps(value: Any) -> str:
    """Indented, keys sorted (also what a checkpoint file is written as)."""
    import orjson

    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()


def _document(body: Mapping[str, Any]) -> str:
    return dumps(envelope(body))


def _lines(rows: Iterable[Mapping[str, Any]]) -> str:
    import orjson

    return b"".join(orjson.dumps(r) + b"\n" for r in rows).decode()


def verify_text(rep: VerifyReport, *, color: bool = False) -> str:
    return text.verify_text(rep)


def verify_json(rep: VerifyReport, *, color: bool = False) -> str:
    return _document(rep.to_dict())


def query_text(r: QueryResult, *, color: bool = False) -> str:
    return text.agents_table(r.rows) if r.agents else text.events_table(r.rows)


def query_json(r: QueryResult, *, color: bool = False) -> str:
    key = "agents" if r.agents else "events"
    return _document({"since": r.filters.since, "until": r.filters.until, key: r.rows})


def query_jsonl(r: QueryResult, *, color: bool = False) -> str:
    return _lines(r.rows)


def trace_text(r: TraceResult, *, color: bool = False) -> str:
    return text.trace_tree(r.trace_id, r.events)


def trace_json(r: TraceResult, *, color: bool = False) -> str:
    return _document({"trace_id": r.trace_id, "events": r.events})


def _records(r: SqlResult) -> list[dict[str, Any]]:
    return [dict(zip(r.columns, row, strict=True)) for row in r.rows]


def sql_text(r: SqlResult, *, color: bool = False) -> str:
    return text.sql_table(r.columns, r.rows)


def sql_json(r: SqlResult, *, color: bool = False) -> str:
    return _document({"columns": r.columns, "rows": _records(r)})


def sql_jsonl(r: SqlResult, *, color: bool = False) -> str:
    return _lines(_records(r))


def sql_csv(r: SqlResult, *, color: bool = False) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(r.columns)
    w.writerows(r.rows)
    return buf.getvalue()


def report_text(rep: Report, *, color: bool = False) -> str:
    return text.report_text(rep)


def report_json(rep: Report, *, color: bool = False) -> str:
    return _document(rep.to_dict())


def erase_text(r: EraseResult, *, color: bool = False) -> str:
    return text.erase_text(r)


def erase_json(r: EraseResult, *, color: bool = False) -> str:
    return _document(r.to_dict())


def export_jsonl(rows: Iterable[dict[str, Any]], *, color: bool = False) -> str:
    """One event per line, payloads resolved (no envelope: each line is an event)."""
    from agentctl.ledger.export import jsonl

    return b"".join(jsonl(rows)).decode()


def export_otlp(rows: Iterable[dict[str, Any]], *, color: bool = False) -> str:
    """One OTLP/JSON TracesData per trace per line."""
    from agentctl.ledger.export import otlp

    return b"".join(otlp(rows)).decode()
