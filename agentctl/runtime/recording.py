"""The runtime's one hook for eval's cassettes (agentctl/evals/cassette.py): a `Recorder`
passed to `run_charter` reaches the connector transports and the model client, and every
exchange with the outside goes through it. None in production: every call is live."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from agentctl.runtime.errors import ToolError

Call = Callable[[str, dict[str, Any]], dict[str, Any]]


class Recorder(Protocol):
    """Where a run's exchanges with the outside go when eval records or replays them
    (agentctl/evals/cassette.py): a connector call, an HTTP request, a model request.
    `exchange` performs the request (live, record) or answers it from the cassette
    (replay, where `perform` is never called: no network at all)."""

    @property
    def replaying(self) -> bool: ...

    def exchange(
        self, request: dict[str, Any], perform: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]: ...


def json_or_text(data: bytes) -> Any:
    """An HTTP answer's body: its JSON value, else its text (kept as is in a cassette)."""
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return data.decode("utf-8", "replace")


class RecordedTransport:
    """A python or command connector under eval's recorder: each call is an exchange
    (the operation and its input in, the output out). Fixture connectors are recordings
    already and are never wrapped; HTTP records its own request (method, url, body)."""

    def __init__(
        self, call: Call, close: Callable[[], None], name: str, recorder: Recorder
    ) -> None:
        # the wrapped transport's methods (transports.py imports this module, not back)
        self.inner_call, self.inner_close = call, close
        self.name, self.recorder = name, recorder

    def call(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        request = {"connector": self.name, "operation": operation, "input": payload}
        answer = self.recorder.exchange(
            request, lambda: {"output": self.inner_call(operation, payload)}
        )
        output = answer.get("output")
        if not isinstance(output, dict):
            raise ToolError(
                f"connector/{self.name} returned {type(output).__name__}, expected a JSON object"
            )
        return output

    def close(self) -> None:
        self.inner_close()
