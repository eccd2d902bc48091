"""What a runtime needs from the agent it runs, as Protocols.

runtime/session.py starts agents through runtime/runtimes.py; with these, runtimes.py
does not import session.py back (no cycle, not even for type checking).
"""

from __future__ import annotations

from typing import Any, Protocol

from agentctl.model.index import Workspace
from agentctl.runtime.guard import Guard


class SessionView(Protocol):
    @property
    def ws(self) -> Workspace: ...

    def elapsed(self) -> float: ...


class RunningAgent(Protocol):
    """One charter's run (session.AgentRun): every method passes the guard."""

    @property
    def name(self) -> str: ...

    @property
    def trace_id(self) -> str: ...

    @property
    def guard(self) -> Guard: ...

    @property
    def session(self) -> SessionView: ...

    def call(self, operation: str, payload: dict[str, Any] | None = None) -> dict[str, Any]: ...

    def ask(self, charter: str, payload: dict[str, Any] | None = None) -> dict[str, Any]: ...

    def model(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        **options: Any,
    ) -> dict[str, Any]: ...

    def log(self, *parts: Any) -> None: ...
