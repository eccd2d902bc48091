"""`agentctl pause|resume` and `agentctl status`: text for people, JSON in the envelope."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from agentctl.render.envelope import envelope

if TYPE_CHECKING:
    from agentctl.deploy.pause import BrakeReport


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(envelope(data), indent=2, ensure_ascii=False) + "\n"


def pause_text(r: BrakeReport, *, color: bool = False) -> str:
    lines = [r.headline()]
    y = r.yaml
    if y is not None:
        if not y.changed:
            lines.append(f"{y.file}: already says so, left as it was.")
        elif y.paused:
            lines.append(
                f"Wrote `paused: true` into {y.file}:{y.line} "
                "(commit it: the next deployment carries it)."
            )
        else:
            lines.append(f"Removed `paused` from {y.file}:{y.line} (commit it).")
    return "\n".join(lines) + "\n"


def pause_json(r: BrakeReport, *, color: bool = False) -> str:
    return _dumps(r.to_dict())
