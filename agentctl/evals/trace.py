"""`trace`: what one run did, as eval assertions see it (docs/evals.md, `agentctl help trace`).

Built from the ledger events of the run's trace, the same rows `agentctl ledger show`
prints, so an assertion judges what production would have recorded, not a second account
kept by the harness. Pure: the shell reads the rows and their payloads.

The contract (keys are stable; adding one is not a breaking change):

    trace.trace_id      the run's trace id (agentctl ledger show ID)
    trace.charter       the charter under test (its name)
    trace.status        the run's status: ok | error | denied | stopped
    trace.calls         tool and model calls in the order they finished, every agent of
                        the trace (asked agents included), each
                        {kind: tool|model, principal, operation, scope, effect, input,
                         output, status: ok|error, error, cost_usd, latency_ms,
                         data_classes}
    trace.denials       what the guard refused, in order, each
                        {principal, operation, scope, data_class, data_classes, rule,
                         reason, status: denied|stopped, input}
    trace.asks          requests to other agents under a contract, each
                        {principal, to, contract, input, output, status, cost_usd,
                         latency_ms, sla_missed}
    trace.escalations   each {principal, to, contract, reasons}
    trace.cost_usd      the run's total cost (asked agents included)
    trace.latency_ms    the run's wall time
    trace.steps, trace.tool_calls, trace.model_calls, trace.tokens   the run's totals
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

Row = Mapping[str, Any]
Payload = Callable[[str | None], Any]


def build_trace(rows: Iterable[Row], payload: Payload, charter: str) -> dict[str, Any]:
    """The `trace` of one run from its ledger rows (oldest first); `payload(hash)` reads a
    stored input or output. The root run is the first `run_start` of `charter`."""
    calls: list[dict[str, Any]] = []
    denials: list[dict[str, Any]] = []
    asks: list[dict[str, Any]] = []
    escalations: list[dict[str, Any]] = []
    trace: dict[str, Any] = {"trace_id": "", "charter": charter, "status": "error"}
    root_span: str | None = None
    totals: dict[str, Any] = {}
    for r in rows:
        kind = r["kind"]
        attrs = r.get("attrs") or {}
        who = r["principal"]
        trace["trace_id"] = r["trace_id"]
        if kind == "run_start" and root_span is None and who == charter:
            root_span = r["span_id"]
        elif kind == "run_end" and r["span_id"] == root_span:
            trace["status"] = r["status"]
            totals = {
                "cost_usd": float(attrs.get("total_cost_usd", 0.0)),
                "latency_ms": float(r["latency_ms"]),
                "steps": int(attrs.get("steps", 0)),
                "tool_calls": int(attrs.get("tool_calls", 0)),
                "model_calls": int(attrs.get("model_calls", 0)),
                "tokens": int(attrs.get("total_tokens", 0)),
            }
        elif kind in ("tool_call", "model_call"):
            calls.append(
                {
                    "kind": "tool" if kind == "tool_call" else "model",
                    "principal": who,
                    "operation": r["operation"],
                    "scope": attrs.get("scope"),
                    "effect": attrs.get("effect"),
                    "input": payload(r.get("input_hash") or r.get("prompt_hash")),
                    "output": payload(r.get("output_hash")),
                    "status": r["status"],
                    "error": attrs.get("error"),
                    "cost_usd": float(r["cost_usd"]),
                    "latency_ms": float(r["latency_ms"]),
                    "data_classes": list(r["data_classes"]),
                }
            )
        elif kind == "denial":
            denials.append(
                {
                    "principal": who,
                    "operation": r["operation"],
                    "scope": attrs.get("scope"),
                    "data_class": attrs.get("data_class"),
                    "data_classes": list(r["data_classes"]),
                    "rule": attrs.get("rule"),
                    "reason": attrs.get("reason"),
                    "status": r["status"],
                    "input": payload(r.get("input_hash")),
                }
            )
        elif kind == "agent_request":
            asks.append(
                {
                    "principal": who,
                    "to": r["operation"],
                    "contract": attrs.get("contract"),
                    "input": payload(r.get("input_hash")),
                    "output": payload(r.get("output_hash")),
                    "status": r["status"],
                    "cost_usd": float(attrs.get("cost_usd", 0.0)),
                    "latency_ms": float(r["latency_ms"]),
                    "sla_missed": bool(attrs.get("sla_missed", False)),
                }
            )
        elif kind == "escalation":
            escalations.append(
                {
                    "principal": who,
                    "to": attrs.get("to", r["operation"]),
                    "contract": attrs.get("contract"),
                    "reasons": list(attrs.get("reasons") or []),
                }
            )
    trace.update(calls=calls, denials=denials, asks=asks, escalations=escalations)
    for key in ("cost_usd", "latency_ms", "steps", "tool_calls", "model_calls", "tokens"):
        trace[key] = totals.get(key, 0)
    return trace


def short(trace: Mapping[str, Any], limit: int = 12) -> list[str]:
    """The trace in a few lines for a report: one per call, denial and ask, in order."""
    lines = []
    for c in trace.get("calls", [])[:limit]:
        lines.append(f"{c['status']:<7} {c['operation']}" + (f" ({c['principal']})"))
    for d in trace.get("denials", [])[:limit]:
        lines.append(f"{d['status']:<7} {d['operation']}: {d['reason']}")
    for a in trace.get("asks", [])[:limit]:
        lines.append(f"ask     {a['to']} ({a['status']})")
    return lines
