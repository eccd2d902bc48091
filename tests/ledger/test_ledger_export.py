"""`ledger export`: JSON lines, and OTLP JSON parsed with the official protobuf definitions."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from google.protobuf import json_format
from opentelemetry.proto.trace.v1 import trace_pb2


def _hex_ids_to_base64(obj):
    """OTLP/JSON writes ids as hex; protobuf's JSON mapping expects base64 bytes."""
    if isinstance(obj, dict):
        return {
            k: (
                base64.b64encode(bytes.fromhex(v)).decode()
                if k in ("traceId", "spanId", "parentSpanId")
                else _hex_ids_to_base64(v)
            )
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_hex_ids_to_base64(x) for x in obj]
    return obj


def test_otlp_json_parses_as_traces_data(cli, sample_ledger: Path, tmp_path: Path) -> None:
    out = tmp_path / "traces.jsonl"
    r = cli("ledger", "export", "-l", sample_ledger, "--format", "otlp-json", "--out", out)
    assert r.exit_code == 0, r.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 10  # one TracesData per trace
    names: list[str] = []
    for line in lines:
        msg = json_format.Parse(
            json.dumps(_hex_ids_to_base64(json.loads(line))), trace_pb2.TracesData()
        )
        for rs in msg.resource_spans:
            for ss in rs.scope_spans:
                for span in ss.spans:
                    assert len(span.trace_id) == 16 and len(span.span_id) == 8
                    assert span.end_time_unix_nano >= span.start_time_unix_nano > 0
                    names.append(span.name)
    assert "invoke_agent replenishment-planner" in names
    assert "execute_tool inventory.lookup" in names
    assert "chat gpt-4o-mini" in names
    assert "invoke_agent procurement" in names
    first = json.loads(lines[2])
    spans = first["resourceSpans"][0]["scopeSpans"][0]["spans"]
    run = spans[0]
    assert run["traceId"] == f"{3:032x}" and "parentSpanId" not in run
    attrs = {a["key"]: a["value"] for a in run["attributes"]}
    assert attrs["gen_ai.operation.name"] == {"stringValue": "invoke_agent"}
    assert attrs["gen_ai.agent.name"] == {"stringValue": "replenishment-planner"}
    tool = {a["key"]: a["value"] for a in spans[2]["attributes"]}
    assert tool["gen_ai.tool.name"] == {"stringValue": "inventory.lookup"}
    assert tool["agentctl.data_classes"] == {
        "arrayValue": {"values": [{"stringValue": "internal"}, {"stringValue": "pii.ssn"}]}
    }
    assert set(tool) >= {"agentctl.ledger.seq", "agentctl.ledger.hash", "agentctl.cost_usd"}
    model = {a["key"]: a["value"] for a in spans[1]["attributes"]}
    assert model["gen_ai.usage.input_tokens"] == {"intValue": "400"}


def test_denials_are_error_spans(cli, sample_ledger: Path) -> None:
    r = cli("ledger", "export", "-l", sample_ledger, "-f", "otlp-json", "--trace", f"{10:032x}")
    spans = json.loads(r.stdout)["resourceSpans"][0]["scopeSpans"][0]["spans"]
    denial = next(s for s in spans if s["name"].startswith("agentctl.denial"))
    assert denial["status"] == {"code": 2, "message": "scope billing.write not granted"}


def test_jsonl_resolves_payloads(cli, sample_ledger: Path) -> None:
    r = cli("ledger", "export", "-l", sample_ledger, "--agent", "claims-intake")
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(rows) == 8 and {x["principal"] for x in rows} == {"claims-intake"}
    assert rows[0]["input"] == {"sku": 20, "store": "s-12"}
    assert rows[0]["hash"] and rows[0]["seq"] == 44
