"""Ledger output formats come from the renderer registry (render/registry.py): `--format`
choices, the default and the help text are read from it, an unknown format lists its
choices, and every registered renderer renders a real result."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentctl.render.registry import formats, renderer

COMMANDS = {
    "verify": "ledger-verify",
    "query": "ledger-query",
    "show": "ledger-trace",
    "sql": "ledger-sql",
    "report": "ledger-report",
    "export": "ledger-export",
    "erase": "ledger-erase",
}


@pytest.mark.parametrize(("command", "report"), sorted(COMMANDS.items()))
def test_format_help_comes_from_the_registry(cli, command: str, report: str) -> None:
    out = cli("ledger", command, "--help").stdout
    packed = "".join(c for c in out if not c.isspace() and c != "│")  # rich wraps in a box
    assert "Outputformat:" + "|".join(formats(report)) + "." in packed
    assert f"[default:{formats(report)[0]}]" in packed


def test_an_unknown_format_lists_the_registry(cli, sample_ledger: Path) -> None:
    r = cli("ledger", "sql", "-l", sample_ledger, "SELECT 1", "-f", "yaml")
    assert r.exit_code == 2
    assert r.stderr == (
        "agentctl: error: unknown format 'yaml'\n  hint: choose one of: text, json, jsonl, csv\n"
    )


def test_every_renderer_renders(sample_ledger: Path) -> None:
    from agentctl.ledger import Ledger
    from agentctl.ledger.erasure import EraseRequest, EraseResult
    from agentctl.ledger.export import events
    from agentctl.ledger.query import Filters, run_query, show_trace
    from agentctl.ledger.sqlro import run_readonly
    from agentctl.ledger.stats import build
    from agentctl.ledger.verify import verify

    with Ledger.open(sample_ledger, readonly=True) as led:
        results = {
            "ledger-verify": verify(led),
            "ledger-query": run_query(led, Filters(kinds=["denial"])),
            "ledger-trace": show_trace(led, "0000000000000000000000000000000c"),
            "ledger-sql": run_readonly(led, "SELECT seq, kind FROM events LIMIT 2"),
            "ledger-report": build(led, None, None, []),
            "ledger-erase": EraseResult(52, "dpo", "r", EraseRequest(trace="ab" * 16)),
        }
        for report, result in results.items():
            for fmt in formats(report):
                assert renderer(report, fmt)(result), (report, fmt)
        for fmt in formats("ledger-export"):
            assert renderer("ledger-export", fmt)(events(led, Filters())), fmt
