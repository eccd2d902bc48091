"""`agentctl run` through the CLI: exit codes, messages, output formats, the summary."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from rt_helpers import WORKER, Ws, ws_fixture  # noqa: F401 - ws_fixture

from agentctl.runtime.session import RunResult
from agentctl.runtime.summary import render_text

NOW = "2026-11-25T10:00:00Z"


def run(cli: Any, ws: Ws, *args: str) -> Any:
    return cli("run", *args, "-w", ws.root, "--ledger", ws.ledger_path, "--now", NOW)


def test_success_prints_output_and_summary(cli: Any, ws: Ws) -> None:
    ws.add(WORKER)
    payload = json.dumps({"steps": [["call", "sys.read", {"a": 1}]]})
    r = run(cli, ws, "worker", "--input", payload)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == {"results": [{"ok": {"op": "read", "echo": {"a": 1}}}]}
    lines = r.stderr.splitlines()
    assert lines[0] == "run worker: ok"
    assert lines[1] == "  steps     1 (tool calls 1, model calls 0, asks 0)"
    assert lines[3] == "  tools     sys.read x1"
    assert all(len(line) <= 80 for line in lines)


def test_json_format(cli: Any, ws: Ws) -> None:
    ws.add(WORKER)
    payload = json.dumps({"steps": [["call", "sys.write", {}]], "catch": False})
    r = run(cli, ws, "worker", "--input", payload, "--format", "json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["format_version"] == 1
    assert doc["status"] == "denied"
    assert doc["summary"]["denials"][0]["rule"] == "scope"
    assert len(doc["trace_id"]) == 32
    assert r.stderr == ""


def test_input_from_a_file(cli: Any, ws: Ws, tmp_path: Path) -> None:
    ws.add(WORKER)
    f = tmp_path / "in.json"
    f.write_text('{"steps": [], "extra": {"from": "file"}}')
    r = run(cli, ws, "worker", "--input", f"@{f}")
    assert r.exit_code == 0 and json.loads(r.stdout)["from"] == "file"


def test_bad_json_input_names_line_and_column(cli: Any, ws: Ws, tmp_path: Path) -> None:
    ws.add(WORKER)
    r = run(cli, ws, "worker", "--input", '{"steps": [,]}')
    assert r.exit_code == 2
    assert (
        r.stderr.splitlines()[0] == "agentctl: error: --input:1:12: invalid JSON: Expecting value"
    )
    f = tmp_path / "bad.json"
    f.write_text('{\n  "a": 1,\n}\n')
    r = run(cli, ws, "worker", "--input", f"@{f}")
    assert r.exit_code == 2
    assert f"{f}:3:1: invalid JSON" in r.stderr
    r = run(cli, ws, "worker", "--input", "@/nonexistent.json")
    assert r.exit_code == 2
    assert "--input /nonexistent.json: No such file or directory" in r.stderr


def test_unknown_charter_suggests(cli: Any, ws: Ws) -> None:
    ws.add(WORKER)
    r = run(cli, ws, "wroker")
    assert r.exit_code == 2
    assert r.stderr == "agentctl: error: unknown charter 'wroker'\n  hint: did you mean 'worker'?\n"
    assert "Traceback" not in r.stderr


def test_unloadable_runtime_is_a_config_error(cli: Any, ws: Ws) -> None:
    from rt_helpers import charter

    ws.add(charter("ghost", runtime='python: "no_such_agents:main"'))
    r = run(cli, ws, "ghost")
    assert r.exit_code == 2
    assert r.stderr.startswith(
        "agentctl: error: charter/ghost: cannot load its runtime: cannot import 'no_such_agents'"
    )
    assert not ws.events()


def test_usage_errors_for_dates(cli: Any, ws: Ws) -> None:
    ws.add(WORKER)
    r = cli("run", "worker", "-w", ws.root, "--ledger", ws.ledger_path, "--today", "soon")
    assert r.exit_code == 2 and "--today 'soon' is not a date" in r.stderr
    r = cli("run", "worker", "-w", ws.root, "--ledger", ws.ledger_path, "--now", "later")
    assert r.exit_code == 2 and "--now 'later' is not an RFC 3339 instant" in r.stderr


def test_ledger_defaults_to_the_workspace_setting(cli: Any, ws: Ws) -> None:
    ws.add(WORKER)
    r = cli("run", "worker", "-w", ws.root, "--now", NOW)
    assert r.exit_code == 0
    assert (ws.root / ".agentctl" / "ledger.db").is_file()


def test_summary_text(snapshot: Any) -> None:
    res = RunResult(
        charter="support-tier1",
        trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
        status="stopped",
        output={"x": 1},
        error="budget per run of charter/support-tier1 reached: 8 tool calls",
        hint="raise spec.budget.per_run after review, or do less per run",
        steps=9,
        tool_calls=8,
        asks=1,
        cost_usd=Decimal("0.0450"),
        wall_s=1.25,
        denials=[
            {
                "operation": "billing.refund",
                "message": "charter/support-tier1 is not granted scope 'billing.refund' "
                "(needed by billing.refund)",
            },
        ],
        escalations=[
            {
                "to": "role/claims-adjuster",
                "contract": "intake-eligibility",
                "reasons": ["latency 130.000s over 120s"],
            }
        ],
        data_classes={"pii.contact", "financial"},
        tools={"ticketing.get_ticket": 1, "billing.get_invoice": 7},
    )
    text = render_text(res)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert text == snapshot


def test_rev_reads_fixtures_from_git(cli: Any, ws: Ws) -> None:
    """--rev: the charter, connectors and fixtures as committed; the commit is recorded."""
    from support import commit_all, git

    git(ws.root, "init", "-q", "-b", "main")
    (ws.root / "rec.jsonl").write_text('{"operation": "ping", "output": {"v": "committed"}}\n')
    ws.add(
        "apiVersion: agentctl/v1\nkind: Connector\nmetadata: {name: rec, owner: role/ops}\n"
        "spec:\n  transport: {fixture: rec.jsonl}\n  operations:\n    ping: {scope: rec.read}\n",
        WORKER.replace("[sys.read, limited.read]", "[rec.read]"),
    )
    sha = commit_all(ws.root, "first")
    (ws.root / "rec.jsonl").write_text('{"operation": "ping", "output": {"v": "edited"}}\n')
    payload = json.dumps({"steps": [["call", "rec.ping", {}]]})
    r = run(cli, ws, "worker", "--input", payload, "--rev", "HEAD")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["results"] == [{"ok": {"v": "committed"}}]
    r = run(cli, ws, "worker", "--input", payload)
    assert json.loads(r.stdout)["results"] == [{"ok": {"v": "edited"}}]
    assert {e["git_commit"] for e in ws.events()} == {sha}
