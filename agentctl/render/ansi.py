"""Minimal ANSI styling; renderers stay pure strings so snapshots pin exact bytes."""

from __future__ import annotations

CODES = {
    "red": "31",
    "yellow": "33",
    "blue": "34",
    "green": "32",
    "dim": "2",
    "bold": "1",
    "cyan": "36",
}


def style(text: str, name: str, color: bool) -> str:
    if not color or not text:
        return text
    return f"\x1b[{CODES[name]}m{text}\x1b[0m"


SEVERITY_COLOR = {"error": "red", "warning": "yellow", "info": "blue"}
