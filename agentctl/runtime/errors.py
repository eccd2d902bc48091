"""What an agent sees when a call does not go through.

These are exceptions an agent may catch: a `Denied` call was never executed; a `ToolError`
call was executed (or tried) and failed. `Stopped` is a denial that ends the run (a budget
is a hard stop): the agent may catch it, but the run is marked stopped anyway.
"""

from __future__ import annotations

from typing import Any


class RuntimeProblem(Exception):
    """Base of the errors that cross from the runtime into agent code."""

    kind = "error"

    def __init__(self, message: str, *, hint: str | None = None, **attrs: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.attrs = attrs

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        out.update({k: v for k, v in self.attrs.items() if v is not None})
        return out


class Denied(RuntimeProblem):
    """The guard refused the call; it was not executed."""

    kind = "denied"

    def __init__(self, message: str, *, rule: str, hint: str | None = None, **attrs: Any) -> None:
        super().__init__(message, hint=hint, rule=rule, **attrs)
        self.rule = rule


class Stopped(Denied):
    """A hard stop (a budget, wall time): the run ends as `stopped`."""

    kind = "stopped"


class ToolError(RuntimeProblem):
    """The call was allowed but failed: transport error, schema mismatch of the output."""

    kind = "tool_error"


class AgentFailed(RuntimeProblem):
    """The agent itself failed: raised, returned a non-object, broke the protocol."""

    kind = "agent_failed"
