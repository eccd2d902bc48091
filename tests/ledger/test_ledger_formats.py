"""Ledger output formats come from one registry per result type: `--format` choices, the
default and the help text are read from it, and an unknown format lists its choices."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentctl.render import ledger_formats as formats

COMMANDS = {
    "verify": formats.VERIFY,
    "query": formats.QUERY,
    "show": formats.SHOW,
    "sql": formats.SQL,
    "report": formats.REPORT,
    "export": formats.EXPORT,
    "erase": formats.ERASE,
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_format_help_comes_from_the_registry(cli, name: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("ledger", name, "--help")
    assert r.exit_code == 0
    flat = " ".join(r.stdout.replace("│", " ").split())
    for fmt, entry in COMMANDS[name].items():
        assert f"{fmt} ({' '.join(entry.help.split())})" in flat, (name, fmt)
    assert f"[default: {next(iter(COMMANDS[name]))}]" in flat


def test_an_unknown_format_lists_the_registry(cli, sample_ledger: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("ledger", "sql", "-l", sample_ledger, "SELECT 1", "-f", "yaml")
    assert r.exit_code == 2
    assert r.stderr == (
        "agentctl: error: unknown format 'yaml'\n  hint: choose one of: text, json, jsonl, csv\n"
    )


def test_every_renderer_renders(sample_ledger: Path) -> None:
    """Each registry entry is a function of its result: call them all on real results."""
    from agentctl.ledger import Ledger
    from agentctl.ledger.export import events
    from agentctl.ledger.query import Filters, run_query, show_trace
    from agentctl.ledger.sqlro import run_readonly
    from agentctl.ledger.stats import build
    from agentctl.ledger.verify import verify

    with Ledger.open(sample_ledger, readonly=True) as led:
        results = {
            "verify": verify(led),
            "query": run_query(led, Filters(kinds=["denial"])),
            "show": show_trace(led, "0000000000000000000000000000000c"),
            "sql": run_readonly(led, "SELECT seq, kind FROM events LIMIT 2"),
            "report": build(led, None, None, []),
        }
        for name, result in results.items():
            for fmt, entry in COMMANDS[name].items():
                assert entry.render(result), (name, fmt)  # type: ignore[attr-defined]
        for fmt, entry in formats.EXPORT.items():
            assert b"".join(entry.render(events(led, Filters()))), fmt
