"""The policy engine (pure core): events in, decisions out; no clock, no I/O."""

from __future__ import annotations

from agentctl.engine.approvals import ApprovalStep
from agentctl.engine.compiled import CompiledPolicy, compile_policies, roles_of
from agentctl.engine.core import OUTCOMES, SUPPRESS_REASONS, Decision, Engine, PlannedAction
from agentctl.engine.events import Event, format_ts, parse_line, parse_ts, reorder
from agentctl.engine.state import MAX_KEYS
from agentctl.findings import Finding
from agentctl.model.index import Workspace

__all__ = [
    "MAX_KEYS",
    "OUTCOMES",
    "SUPPRESS_REASONS",
    "ApprovalStep",
    "CompiledPolicy",
    "Decision",
    "Engine",
    "Event",
    "PlannedAction",
    "build",
    "compile_policies",
    "format_ts",
    "parse_line",
    "parse_ts",
    "reorder",
]


def build(
    ws: Workspace, only: list[str] | None = None, max_keys: int = MAX_KEYS, fast: bool = True
) -> tuple[Engine, list[Finding]]:
    """An engine for the workspace's policies (or `only` those), and the findings that
    kept a policy out (CEL that does not compile or uses unknown variables). fast=False
    evaluates everything with CEL (agentctl/engine/fastpath.py: the same decisions)."""
    policies, findings = compile_policies(ws, only, fast)
    engine = Engine(policies, roles_of(ws), ws.settings.defaults.timezone, max_keys)
    return engine, findings
