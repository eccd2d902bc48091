"""One resolver for the ledger file: `run` writes where `ledger` commands read."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from agentctl.ledger.location import ledger_path, resolve


def test_resolve_expands_home_and_joins_relative_paths(tmp_path: Path) -> None:
    home = Path(os.environ["HOME"])  # conftest points HOME at a temporary folder
    assert resolve(tmp_path, "~/trace.db") == home / "trace.db"
    assert resolve(tmp_path, "var/trace.db") == tmp_path / "var" / "trace.db"
    assert resolve(tmp_path, "/abs/trace.db") == Path("/abs/trace.db")


def test_run_writes_the_ledger_that_ledger_commands_read(cli: Any, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert cli("init", ws).exit_code == 0
    settings = ws / "agentctl.yaml"
    settings.write_text(
        settings.read_text().replace("ledger: .agentctl/ledger.db", "ledger: ~/trail/x.db")
    )
    home = Path(os.environ["HOME"])
    assert ledger_path(ws) == home / "trail" / "x.db"
    r = cli("run", "triage-agent", "-w", ws, "-i", '{"ticket_id": "T-1001"}', "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert (home / "trail" / "x.db").is_file()
    assert not (ws / "~").exists()
    trace = json.loads(r.stdout)["trace_id"]
    shown = cli("ledger", "show", trace, "-w", ws, "-f", "json")
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)["trace_id"] == trace
