"""Every command has machine-readable output: --format json starts with one envelope."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from support import commit_all, git

from agentctl import __version__
from agentctl.cli.main import app

# Commands whose output is not a `--format json` document, and why.
NO_JSON = {
    "ledger checkpoint": "writes a checkpoint file, a format of its own (type, format_version)",
    "ledger export": "streams JSON lines (jsonl, otlp-json), one document per event or trace",
    "serve": "a long-running process: one JSON object a line on stderr (docs/serve.md)",
}

# Commands whose JSON needs state built first (deployments, approvals, a lock): their
# envelope is checked where that state is built.
ELSEWHERE = {
    name: "tests/deploy/test_deploy_json.py"
    for name in ("plan", "apply", "approve", "deny", "approvals", "rollback", "force-unlock")
}


# These sort every key (stable diffs of ledger data), so the envelope is not first.
SORTED_KEYS = {"run", "ledger verify", "ledger query", "ledger show", "ledger sql"}
SORTED_KEYS |= {"ledger report", "ledger erase"}


def _commands(group: Any, prefix: str = "") -> list[str]:
    names = []
    for name, cmd in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        names += _commands(cmd, path + " ") if hasattr(cmd, "commands") else [path]
    return names


def _json_cases(cli: Any, tmp_path: Path) -> dict[str, list[str]]:
    """One invocation per command, on a workspace from `init` whose agent has run once."""
    ws = tmp_path / "ws"
    assert cli("init", ws).exit_code == 0
    run = cli("run", "triage-agent", "-w", ws, "-i", '{"ticket_id": "T-1001"}', "-f", "json")
    assert run.exit_code == 0, run.stderr
    trace = json.loads(run.stdout)["trace_id"]
    w = ["-w", str(ws)]
    git(ws, "init", "-q", "-b", "main")
    commit_all(ws, "the workspace init wrote")
    return {
        "diff": ["diff", "HEAD", *w],
        "eval": ["eval", *w, "--ledger", str(tmp_path / "eval.db")],
        "explain": ["explain", "unknown-role"],
        "help": ["help", "exit-codes"],
        "init": ["init", str(tmp_path / "other")],
        "inventory": ["inventory", *w],
        "lint": ["lint", *w],
        "schema": ["schema"],
        "simulate": ["simulate", *w],
        "run": ["run", "triage-agent", *w, "-i", '{"ticket_id": "T-1002"}'],
        "ledger verify": ["ledger", "verify", *w],
        "ledger query": ["ledger", "query", *w],
        "ledger show": ["ledger", "show", trace[:8], *w],
        "ledger sql": ["ledger", "sql", "SELECT count(*) AS n FROM events", *w],
        "ledger report": ["ledger", "report", *w],
        "ledger erase": ["ledger", "erase", "--trace", trace, "--reason", "test", *w],
        "pause": ["pause", "reply-writer", "--reason", "test", "--by", "ana", *w],
        "resume": ["resume", "reply-writer", "--reason", "test", "--by", "ana", *w],
        "status": ["status", *w],
        "tasks close": ["tasks", "close", _a_task(ws), "--reason", "test", "--by", "t", *w],
    }


def _a_task(ws: Path) -> str:
    """An open human task in the workspace's ledger (agentctl/serve/tasks.py)."""
    from agentctl.ledger import Ledger
    from agentctl.ledger.location import ledger_path
    from agentctl.serve.tasks import opened_attrs, opened_event

    attrs = opened_attrs("role/ops", "a task to close", "test")
    with Ledger.open(ledger_path(ws)) as led:
        led.append([opened_event(attrs, principal="test", ts="2026-11-25T10:00:00.000000Z")])
    return str(attrs["task_id"])


def test_every_command_json_has_the_envelope(cli: Any, tmp_path: Path) -> None:
    commands = _commands(typer.main.get_command(app))
    cases = _json_cases(cli, tmp_path)
    assert sorted(cases) == sorted(c for c in commands if c not in NO_JSON | ELSEWHERE.keys())
    for name, args in cases.items():
        r = cli(*args, "--format", "json")
        assert r.exit_code == 0, (name, r.stderr)
        data = json.loads(r.stdout)
        assert data["format_version"] == 1, name
        assert data["tool"] == {"name": "agentctl", "version": __version__}, name
        if name not in SORTED_KEYS:
            assert list(data)[:2] == ["format_version", "tool"], name


def test_explain_json(cli: Any) -> None:
    r = cli("explain", "write-without-gate", "--format", "json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert (data["id"], data["severity"], data["category"]) == (
        "write-without-gate",
        "error",
        "privilege",
    )
    assert data["summary"] and data["explanation"]


def test_help_json(cli: Any) -> None:
    data = json.loads(cli("help", "exit-codes", "-f", "json").stdout)
    assert data["topic"] == "exit-codes"
    assert "130  interrupted" in data["text"]


def test_init_json_lists_the_files(cli: Any, tmp_path: Path) -> None:
    r = cli("init", tmp_path / "ws", "--format", "json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["name"] == "ws"
    assert "agentctl.yaml" in data["files"]
    assert all((tmp_path / "ws" / f).is_file() for f in data["files"])


def test_unknown_format_is_a_usage_error(cli: Any) -> None:
    r = cli("explain", "unknown-role", "--format", "yaml")
    assert r.exit_code == 2
    assert "unknown format 'yaml'" in r.stderr
