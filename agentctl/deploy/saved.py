"""A saved plan file (`plan -o`): written whole or not at all, read back by apply and
approve with a clear error when it is not a plan."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentctl.deploy.plan import SavedPlan
from agentctl.errors import UsageError
from agentctl.render.envelope import envelope


def write_plan(path: Path, data: Mapping[str, Any]) -> None:
    """The plan document (with the JSON envelope), via a temporary file and os.replace."""
    text = json.dumps(envelope(data), indent=2, ensure_ascii=False) + "\n"
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".plan-", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the plan: {exc.strerror or exc}") from None


def read_plan(path: Path) -> SavedPlan:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"{path}: cannot read the plan: {exc.strerror or exc}",
            hint="make one with: agentctl plan -o FILE",
        ) from None
    try:
        return SavedPlan.from_data(json.loads(text))
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{path}:{exc.lineno}:{exc.colno}: not a saved plan: {exc.msg}",
            hint="make one with: agentctl plan -o FILE",
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(
            f"{path}: not a saved plan ({exc})", hint="make one with: agentctl plan -o FILE"
        ) from None
