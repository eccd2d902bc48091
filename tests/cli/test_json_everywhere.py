"""Every command has machine-readable output: --format json carries a format_version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def test_explain_json(cli: Any) -> None:
    r = cli("explain", "write-without-gate", "--format", "json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["format_version"] == "1"
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
