"""The child side of an isolated python agent: runs `function(input, ctx)` in a process of
its own and speaks the command runtime's JSON-lines protocol with agentctl.

Nothing of agentctl's state is here: no guard, no ledger, no transports. `ctx.call`,
`ctx.ask` and `ctx.model` are requests on stdout answered by the parent, which decides
and records them as for any `command` agent. Started by `agentctl.runtime.process` as
`python -I -c BOOT <folder holding the agentctl package>`.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import IO, Any

from agentctl.runtime.errors import (
    AgentFailed,
    Denied,
    Escalated,
    RuntimeProblem,
    Stopped,
    ToolError,
)

BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); from agentctl.runtime.pychild import main; main()"
)
_KINDS: dict[str, type[RuntimeProblem]] = {
    "denied": Denied,
    "stopped": Stopped,
    "tool_error": ToolError,
    "escalated": Escalated,
    "agent_failed": AgentFailed,
}
MODEL_OPTIONS = ("temperature", "max_tokens")  # what the parent accepts per call


class _Channel:
    def __init__(self, rx: IO[str], tx: IO[str]) -> None:
        self.rx, self.tx, self.next_id = rx, tx, 0

    def send(self, obj: dict[str, Any]) -> None:
        self.tx.write(json.dumps(obj, separators=(",", ":"), default=str) + "\n")
        self.tx.flush()

    def request(self, obj: dict[str, Any]) -> Any:
        self.next_id += 1
        self.send({**obj, "id": self.next_id})
        line = self.rx.readline()
        if not line:
            raise SystemExit(1)  # the parent is gone or stopped us
        reply = json.loads(line)
        if reply.get("type") == "result":
            return reply.get("output")
        err = dict(reply.get("error") or {})
        kind = _KINDS.get(str(err.pop("kind", "")), ToolError)
        message = str(err.pop("message", "failed"))
        hint = err.pop("hint", None)
        if issubclass(kind, Denied):
            raise kind(message, rule=str(err.pop("rule", "")), hint=hint, **err)
        raise kind(message, hint=hint, **err)


class Context:
    """What the agent function receives as `ctx` (the same API as in-process)."""

    Denied = Denied
    Stopped = Stopped
    ToolError = ToolError
    Escalated = Escalated

    def __init__(self, channel: _Channel, charter: str, trace_id: str) -> None:
        self._channel = channel
        self.charter = charter
        self.trace_id = trace_id

    def call(self, operation: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = self._channel.request(
            {"type": "call", "operation": operation, "input": payload or {}}
        )
        return out

    def ask(self, charter: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = self._channel.request(
            {"type": "ask", "charter": charter, "input": payload or {}}
        )
        return out

    def model(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        out: dict[str, Any] = self._channel.request(
            {"type": "model", "messages": messages, "tools": tools, "options": options}
        )
        return out

    def log(self, *parts: Any) -> None:
        self._channel.send({"type": "log", "message": " ".join(str(p) for p in parts)})


def _load(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    fn: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        fn = getattr(fn, part)
    if not callable(fn):
        raise TypeError(f"{target!r} is not callable")
    return fn


def main() -> None:
    try:
        _main()
    except (BrokenPipeError, ConnectionResetError, EOFError, KeyboardInterrupt):
        # the parent went away (the run was stopped or interrupted): nobody is left to
        # tell, and a traceback on the shared stderr would only confuse the user's terminal
        os._exit(1)


def _main() -> None:
    # the protocol keeps the original stdin/stdout; the agent's print() goes to stderr
    rx = os.fdopen(os.dup(0), "r", encoding="utf-8")
    tx = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - for the process's life
    channel = _Channel(rx, tx)
    start = json.loads(rx.readline() or "{}")
    for entry in reversed(start.get("python_path", [])):
        sys.path.insert(0, entry)
    target = str(start.get("python", ""))
    try:
        fn = _load(target)
    except Exception as exc:
        channel.send({"type": "fail", "load_error": True, "raised": type(exc).__name__,
                      "message": f"cannot load {target!r}: {exc}"})  # fmt: skip
        return
    ctx = Context(channel, str(start.get("charter", "")), str(start.get("trace_id", "")))
    try:
        out = fn(start.get("input"), ctx)
    except RuntimeProblem as exc:  # a denial or stop it did not catch
        channel.send({"type": "fail", "error": exc.to_json(), "message": exc.message})
        return
    except Exception as exc:  # the agent's own failure: reported as in-process
        channel.send({"type": "fail", "raised": type(exc).__name__, "message": str(exc)})
        return
    channel.send({"type": "output", "output": out})
