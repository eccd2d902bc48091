"""The JSON envelope: what every command's `--format json` document starts with.

One place builds it so the version is one type everywhere (an integer, as most tools
write it) and a reader can tell which agentctl wrote a document. Bump FORMAT_VERSION
when a key is removed or changes meaning; adding keys does not bump it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentctl import __version__

FORMAT_VERSION = 1
TOOL = {"name": "agentctl", "version": __version__}


def envelope(body: Mapping[str, Any]) -> dict[str, Any]:
    """`format_version` and `tool` first, then the command's own keys."""
    return {"format_version": FORMAT_VERSION, "tool": dict(TOOL), **body}
