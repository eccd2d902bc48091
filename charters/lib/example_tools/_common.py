"""Helpers shared by the stand-in systems."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def stable_id(prefix: str, *parts: Any, digits: int = 6) -> str:
    """A deterministic id from the request: the same request gives the same id."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    n = int(hashlib.sha256(blob).hexdigest(), 16) % (10**digits)
    return f"{prefix}{n:0{digits}d}"


class UnknownOperation(ValueError):
    def __init__(self, system: str, operation: str) -> None:
        super().__init__(f"{system} has no operation {operation!r}")
