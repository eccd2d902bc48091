"""Output formats come from one registry of renderers per report type."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from agentctl.render.registry import RENDERERS, formats, renderer

COMMAND_REPORT = {
    "lint": "lint",
    "simulate": "simulation",
    "inventory": "inventory",
    "run": "run",
    "explain": "rule",
    "help": "topic",
    "schema": "schemas",
    "init": "init",
}


@pytest.mark.parametrize("report", sorted(RENDERERS))
def test_every_renderer_is_a_pure_function_with_the_common_signature(report: str) -> None:
    # text first for reports; an export of data starts with its data format
    assert formats(report)[0] == ("jsonl" if report == "ledger-export" else "text")
    for fmt in formats(report):
        fn = renderer(report, fmt)
        params = inspect.signature(fn).parameters
        assert "color" in params and params["color"].kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize(("command", "report"), sorted(COMMAND_REPORT.items()))
def test_format_choices_and_help_come_from_the_registry(
    cli: Any, command: str, report: str
) -> None:
    out = cli(command, "--help").stdout
    packed = "".join(c for c in out if not c.isspace() and c != "│")  # rich wraps in a box
    assert "Outputformat:" + "|".join(formats(report)) + "." in packed
    r = cli(command, "x", "--format", "yaml")
    assert r.exit_code == 2
    assert "unknown format 'yaml'" in r.stderr
    assert "choose one of: " + ", ".join(formats(report)) in r.stderr
