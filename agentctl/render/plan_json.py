"""`agentctl plan --format json`: the saved plan's document, with the envelope."""

from __future__ import annotations

from typing import Any

from agentctl.deploy.plan import Plan, plan_data
from agentctl.render.envelope import envelope
from agentctl.render.json import dumps


def render(plan: Plan, *, color: bool = False, **_: Any) -> str:
    return dumps(envelope(plan_data(plan)))
