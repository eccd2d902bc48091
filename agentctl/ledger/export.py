"""`ledger export`: JSON lines of events, or OTLP JSON (one TracesData per trace per line)
following the OpenTelemetry GenAI semantic conventions v1.38.0 (Development status; the
version that added the `gen_ai.evaluation.result` event and its attributes)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from agentctl import __version__
from agentctl.ledger import erasure
from agentctl.ledger.query import Filters, _events_sql, _row
from agentctl.ledger.store import Ledger

SEMCONV_VERSION = "1.38.0"
SCHEMA_URL = f"https://opentelemetry.io/schemas/{SEMCONV_VERSION}"
SPAN_KIND_INTERNAL = 1
SPAN_KIND_CLIENT = 3
STATUS_ERROR = 2
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)


def events(ledger: Ledger, f: Filters) -> Iterator[dict[str, Any]]:
    """Matching events with their payloads resolved (None when erased), oldest first."""
    sql, args = _events_sql(ledger, f)
    if sql is None:
        return
    sql += " ORDER BY e.seq"
    hidden = erasure.hidden_parts(ledger.conn)
    for r in ledger.conn.execute(sql, args):
        e = _row(r)
        erased = hidden(e["seq"])
        for name in ("input", "output", "prompt"):
            e[name] = None if name in erased else ledger.payload(e[f"{name}_hash"])
        yield e


def jsonl(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    for e in rows:
        yield orjson.dumps(e, option=orjson.OPT_SORT_KEYS) + b"\n"


def _nanos(ts: str) -> int:
    t = _dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=_dt.UTC)
    delta = t - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def _value(v: Any) -> dict[str, Any] | None:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, str):
        return {"stringValue": v}
    if isinstance(v, list):
        values = [x for x in (_value(i) for i in v) if x is not None]
        return {"arrayValue": {"values": values}}
    return None


def _attrs(pairs: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for k, v in pairs.items():
        if v is None:
            continue
        val = _value(v)
        if val is not None:
            out.append({"key": k, "value": val})
    return out


def _span(e: dict[str, Any], end: dict[str, Any] | None = None) -> dict[str, Any]:
    """One span for one event (a run_start and its run_end make one span)."""
    kind, op, attrs = e["kind"], e["operation"] or "", e["attrs"]
    last = end or e
    a: dict[str, Any] = {}
    span_kind = SPAN_KIND_INTERNAL
    if kind in ("run_start", "run_end"):
        name = f"invoke_agent {e['principal']}"
        a["gen_ai.operation.name"] = "invoke_agent"
    elif kind == "tool_call":
        name = f"execute_tool {op}"
        a["gen_ai.operation.name"] = "execute_tool"
        a["gen_ai.tool.name"] = op
        a["gen_ai.tool.type"] = "function"
        a["gen_ai.tool.call.id"] = e["span_id"]
    elif kind == "model_call":
        name = f"chat {op}"
        span_kind = SPAN_KIND_CLIENT
        a["gen_ai.operation.name"] = "chat"
        a["gen_ai.request.model"] = op
        a["gen_ai.provider.name"] = attrs.get("provider")
    elif kind == "agent_request":
        target = op.removeprefix("charter/")
        name = f"invoke_agent {target}"
        span_kind = SPAN_KIND_CLIENT
        a["gen_ai.operation.name"] = "invoke_agent"
        a["agentctl.target"] = op
        a["agentctl.contract"] = attrs.get("contract")
        a["agentctl.sla_missed"] = attrs.get("sla_missed")
    else:
        name = f"agentctl.{kind} {op}".rstrip()
    if e["principal"]:
        a["gen_ai.agent.name"] = e["principal"]
        a["gen_ai.agent.id"] = f"charter/{e['principal']}"
    for key in ("input_tokens", "output_tokens"):
        if isinstance(attrs.get(key), int):
            a[f"gen_ai.usage.{key}"] = attrs[key]
    a["agentctl.event.kind"] = kind
    a["agentctl.principal_version"] = e["principal_version"] or None
    a["agentctl.git_commit"] = e["git_commit"]
    a["agentctl.status"] = last["status"]
    a["agentctl.cost_usd"] = float(e["cost_usd"] + (end["cost_usd"] if end else 0.0))
    a["agentctl.tokens"] = int(e["tokens"] + (end["tokens"] if end else 0))
    if e["data_classes"]:
        a["agentctl.data_classes"] = e["data_classes"]
    decision = attrs.get("decision") or ("deny" if kind == "denial" else None)
    a["agentctl.decision"] = decision
    a["agentctl.reason"] = last["attrs"].get("reason")
    a["agentctl.ledger.seq"] = last["seq"]
    a["agentctl.ledger.hash"] = last["hash"]
    if end is not None:
        a["agentctl.ledger.start_seq"] = e["seq"]
        start, stop = _nanos(e["ts"]), _nanos(end["ts"])
    else:
        stop = _nanos(e["ts"])
        start = stop - int(float(e["latency_ms"]) * 1_000_000)
    span: dict[str, Any] = {
        "traceId": e["trace_id"],
        "spanId": e["span_id"],
        "name": name,
        "kind": span_kind,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(max(start, stop)),
        "attributes": _attrs(a),
    }
    if e["parent_span_id"]:
        span["parentSpanId"] = e["parent_span_id"]
    if last["status"] != "ok":
        reason = last["attrs"].get("reason")
        span["status"] = {
            "code": STATUS_ERROR,
            "message": str(reason) if reason else last["status"],
        }
    return span


EVALUATION_EVENT = "gen_ai.evaluation.result"
# score.value and score.label per eval outcome; an errored case was not judged: no score
_SCORES = {"pass": 1.0, "fail": 0.0}


def _explanation(a: dict[str, Any]) -> str:
    if a.get("outcome") == "error":
        return str(a.get("error") or "the case errored and could not be judged")
    failures = a.get("failures") or []
    if not failures:
        return "every assertion held and every expected denial happened"
    return "; ".join(
        f"{f.get('check')}: {f.get('message')} (expected {f.get('expected')}, got {f.get('got')})"
        for f in failures
        if isinstance(f, dict)
    )


def evaluation_event(e: dict[str, Any]) -> dict[str, Any]:
    """An eval_case event as the OTel `gen_ai.evaluation.result` event: the evaluation is
    the suite (`evalsuite/NAME`), the case and the rest under `agentctl.eval.*`."""
    a = e["attrs"]
    outcome = str(a.get("outcome") or "")
    attrs: dict[str, Any] = {
        "gen_ai.evaluation.name": f"evalsuite/{a.get('suite')}",
        "gen_ai.evaluation.score.value": _SCORES.get(outcome),
        "gen_ai.evaluation.score.label": outcome or None,
        "gen_ai.evaluation.explanation": _explanation(a),
        "error.type": "agentctl.case_error" if outcome == "error" else None,
        "agentctl.eval.suite": a.get("suite"),
        "agentctl.eval.case": a.get("case"),
        "agentctl.eval.suite_version": a.get("suite_version"),
        "agentctl.eval.run": a.get("eval_run"),
        "agentctl.principal_version": e["principal_version"] or None,
        "agentctl.ledger.seq": e["seq"],
    }
    return {
        "timeUnixNano": str(_nanos(e["ts"])),
        "name": EVALUATION_EVENT,
        "attributes": _attrs(attrs),
    }


def _evaluated(evs: list[dict[str, Any]], spans: list[dict[str, Any]]) -> None:
    """Each eval_case's result as an event on the span it judged: the run's root
    invoke_agent span, as the conventions ask; else (the run never started, or the export's
    filter left it out) on the eval_case's own span."""
    by_id = {s["spanId"]: s for s in spans}
    for e in evs:
        if e["kind"] != "eval_case":
            continue
        root = next(
            (
                x["span_id"]
                for x in evs
                if x["kind"] == "run_start"
                and x["parent_span_id"] is None
                and x["principal"] == e["principal"]
            ),
            e["span_id"],
        )
        by_id[root].setdefault("events", []).append(evaluation_event(e))


def otlp(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """One OTLP/JSON TracesData per trace, in order of each trace's first event. Ids stay hex,
    as OTLP/JSON specifies (not protobuf JSON's base64)."""
    traces: dict[str, list[dict[str, Any]]] = {}
    for e in rows:
        traces.setdefault(e["trace_id"], []).append(e)
    for evs in traces.values():
        ends = {x["span_id"]: x for x in evs if x["kind"] == "run_end"}
        starts = {x["span_id"] for x in evs if x["kind"] == "run_start"}
        spans = []
        for e in evs:
            if e["kind"] == "run_end" and e["span_id"] in starts:
                continue  # folded into its run_start
            end = ends.get(e["span_id"]) if e["kind"] == "run_start" else None
            spans.append(_span(e, end))
        _evaluated(evs, spans)
        data = {
            "resourceSpans": [
                {
                    "resource": {"attributes": _attrs({"service.name": "agentctl"})},
                    "scopeSpans": [
                        {
                            "scope": {"name": "agentctl.ledger", "version": __version__},
                            "schemaUrl": SCHEMA_URL,
                            "spans": spans,
                        }
                    ],
                    "schemaUrl": SCHEMA_URL,
                }
            ]
        }
        yield orjson.dumps(data) + b"\n"
