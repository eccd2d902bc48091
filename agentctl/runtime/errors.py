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


class Escalated(ToolError):
    """The provider answered but missed the contract's SLA, and the contract escalates a
    breach: the answer must not be acted on alone. `output` is the provider's answer (None
    when it failed), `to` the role now holding the matter (a human task is opened for it),
    `reasons` the misses. A ToolError, so an agent that only handles failures treats it as
    one (the safe default); docs/runtime.md, "SLA breaches"."""

    kind = "escalated"

    def __init__(
        self,
        message: str,
        *,
        to: str,
        contract: str,
        reasons: list[str],
        output: Any = None,
        hint: str | None = None,
        **attrs: Any,
    ) -> None:
        super().__init__(
            message, hint=hint, to=to, contract=contract, reasons=reasons, output=output, **attrs
        )
        self.to = to
        self.contract = contract
        self.reasons = reasons
        self.output = output


class AgentFailed(RuntimeProblem):
    """The agent itself failed: raised, returned a non-object, broke the protocol."""

    kind = "agent_failed"
