"""What a runtime needs from the agent it runs, as Protocols.

runtime/session.py starts agents through runtime/runtimes.py; with these, runtimes.py
does not import session.py back (no cycle, not even for type checking).
"""

from __future__ import annotations

from typing import Any, Protocol

from agentctl.model.index import Resource, Workspace
from agentctl.model.kinds import CharterDoc
from agentctl.runtime.errors import Denied, Stopped
from agentctl.runtime.guard import Guard


class SessionView(Protocol):
    @property
    def ws(self) -> Workspace: ...

    def elapsed(self) -> float: ...


class ResultView(Protocol):
    denials: list[dict[str, Any]]


class RunningAgent(Protocol):
    """One charter's run (session.AgentRun): every method passes the guard."""

    stopped: Stopped | None

    @property
    def charter(self) -> Resource[CharterDoc]: ...

    @property
    def result(self) -> ResultView: ...

    def _deny(
        self, d: Denied, operation: str | None, payload: Any, data_classes: list[str] | None = None
    ) -> Denied: ...

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
