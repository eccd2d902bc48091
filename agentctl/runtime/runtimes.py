"""Agent runtimes: how a charter's agent runs. A plain dict registry (`RUNTIMES`) keyed by
the type of `spec.runtime`; each factory returns `fn(input, run) -> output`.

Every runtime reaches tools, models and other agents only through the guard: an
in-process python agent through `Context`; a `command` agent and an isolated python agent
through the JSON-lines protocol served by `agentctl.runtime.process`. Protocols and what
each mode protects against are documented in docs/runtime.md.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable
from typing import Any

from agentctl.model.index import Resource
from agentctl.model.kinds import CharterDoc
from agentctl.runtime import process
from agentctl.runtime.errors import (
    AgentFailed,
    Denied,
    Escalated,
    RuntimeProblem,
    Stopped,
    ToolError,
)
from agentctl.runtime.protocols import RunningAgent
from agentctl.runtime.transports import TransportEnv, load_callable

AgentFn = Callable[[Any, RunningAgent], Any]


class Gate:
    """Ends an in-process agent's access when its run is stopped: a call in flight
    finishes (and is recorded) first; later calls are refused without any effect."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.closed: Stopped | None = None


class Context:
    """What an in-process agent function receives as `ctx`. Every method passes the guard.
    (An isolated agent gets `agentctl.runtime.pychild.Context`, the same API.)"""

    Denied = Denied
    Stopped = Stopped
    ToolError = ToolError
    Escalated = Escalated

    def __init__(self, run: RunningAgent, gate: Gate | None = None) -> None:
        self._run = run
        self._gate = gate
        self.charter = run.name
        self.trace_id = run.trace_id

    def _through(self, fn: Callable[..., dict[str, Any]], *args: Any, **kw: Any) -> Any:
        if self._gate is None:
            return fn(*args, **kw)
        with self._gate.lock:
            closed = self._gate.closed
            if closed is not None:  # a fresh one: the agent may keep and re-raise it
                raise Stopped(closed.message, rule=closed.rule, hint=closed.hint)
            return fn(*args, **kw)

    def call(self, operation: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call `connector.operation`; raises Denied (not executed) or ToolError."""
        out: dict[str, Any] = self._through(self._run.call, operation, payload)
        return out

    def ask(self, charter: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Ask `charter/name` under a Contract; raises Denied or ToolError."""
        out: dict[str, Any] = self._through(self._run.ask, charter, payload)
        return out

    def model(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """One chat-completions call; returns the assistant message."""
        out: dict[str, Any] = self._through(self._run.model, messages, tools, **options)
        return out

    def log(self, *parts: Any) -> None:
        """A diagnostic line on stderr (not in the ledger)."""
        self._run.log(*parts)


# --- python --------------------------------------------------------------------------------


def can_write(charter: Resource[CharterDoc], env: TransportEnv) -> bool:
    """Do the charter's effective permissions include a write or destructive operation?
    (Unknown without the workspace: assume they do.)"""
    if env.workspace is None:
        return True
    ops = env.workspace.granted_operations(charter.doc)
    return any(o.op.effect in ("write", "destructive") for o in ops)


def isolation(charter: Resource[CharterDoc], env: TransportEnv) -> str:
    """`process` or `in-process` for a python runtime: as set, else process when the
    charter can write or destroy, or must run in a sandbox."""
    chosen = charter.doc.spec.runtime.isolation
    if chosen != "auto":
        return chosen
    if can_write(charter, env) or process.sandbox_required(charter, env):
        return "process"
    return "in-process"


def runtime_attrs(charter: Resource[CharterDoc], env: TransportEnv) -> dict[str, Any]:
    """What run_start records about where the agent runs (isolation, sandbox)."""
    kind = charter.doc.spec.runtime.type
    if kind == "command" or (kind == "python" and isolation(charter, env) == "process"):
        return process.sandbox_attrs(env)
    if kind == "python":
        return {"isolation": "in-process", "sandbox": "none"}
    return {}


def python_runtime(charter: Resource[CharterDoc], env: TransportEnv) -> AgentFn:
    if isolation(charter, env) == "process":
        fn: AgentFn = process.python_process_runtime(charter, env)
        return fn
    name = f"charter/{charter.name}"
    if can_write(charter, env):
        raise ToolError(
            f"{name} can write or destroy: it may not run in-process",
            hint="remove spec.runtime.isolation (it then runs in a process of its own)",
        )
    if process.sandbox_required(charter, env):
        raise ToolError(
            f"{name} must run in a sandbox: it may not run in-process",
            hint="remove spec.runtime.isolation, or the sandbox requirement after review",
        )
    target = load_callable(charter.doc.spec.runtime.python or "", env)

    def run(payload: Any, agent: RunningAgent) -> Any:
        if charter.doc.spec.budget.per_run.wall_time is None:
            return target(payload, Context(agent))
        return _watched(target, payload, agent)

    return run


def _watched(target: Callable[..., Any], payload: Any, agent: RunningAgent) -> Any:
    """Run an in-process agent in a thread; stop the run when its wall time passes.
    Python cannot kill a thread: the agent's code runs on until it returns (or the
    process exits), but its calls are refused from then on and its result is dropped."""
    gate = Gate()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["out"] = target(payload, Context(agent, gate))
        except BaseException as exc:  # handed to the run's thread as is
            box["exc"] = exc

    thread = threading.Thread(target=work, name=f"agent {agent.name}", daemon=True)
    thread.start()
    try:
        thread.join(max(0.0, process.wall_left(agent) or 0.0))
    except KeyboardInterrupt:
        gate.closed = Stopped("interrupted", rule="interrupted")
        raise
    if thread.is_alive():
        stop = process.wall_stop(agent)
        with gate.lock:  # a call in flight is finished and recorded first
            gate.closed = stop
        raise process.record_stop(agent, stop)
    if "exc" in box:
        raise box["exc"]
    return box["out"]


# --- model (chat completions with tool calling) --------------------------------------------

_TOOL_NAME = re.compile(r"[^A-Za-z0-9_-]")


def _tool_name(qualified: str) -> str:
    return _TOOL_NAME.sub("_", qualified.replace(".", "__"))[:64]


def model_tools(agent: RunningAgent) -> tuple[list[dict[str, Any]], dict[str, tuple[str, str]]]:
    """The granted operations (and contracted asks) as OpenAI tools; name → (kind, target)."""
    tools: list[dict[str, Any]] = []
    names: dict[str, tuple[str, str]] = {}
    for q, ref in sorted(agent.guard.granted().items()):
        name = _tool_name(q)
        names[name] = ("call", q)
        desc = ref.op.description or f"{q} ({ref.op.scope})"
        tools.append(
            {
                "type": "function",
                "function": {"name": name, "description": desc, "parameters": ref.op.input_schema},
            }
        )
    me = f"charter/{agent.name}"
    for c in agent.session.ws.contracts:
        if c.doc.spec.consumer == me:
            provider = c.doc.spec.provider
            name = _tool_name("ask_" + provider.partition("/")[2])
            names[name] = ("ask", provider)
            tools.append(
                {
                    "type": "function",
                    "function": {
                        "name": name,
                        "description": f"Ask {provider} under contract/{c.name}",
                        "parameters": {"type": "object"},
                    },
                }
            )
    return tools, names


def model_runtime(charter: Resource[CharterDoc], env: TransportEnv) -> AgentFn:
    spec = charter.doc.spec
    m = spec.runtime.model
    assert m is not None
    max_turns = int(os.environ.get("AGENTCTL_MAX_TURNS", "50"))

    def run(payload: Any, agent: RunningAgent) -> Any:
        tools, names = model_tools(agent)
        messages: list[dict[str, Any]] = []
        if m.system_prompt:
            messages.append({"role": "system", "content": m.system_prompt})
        messages.append({"role": "user", "content": json.dumps(payload, sort_keys=True)})
        for _ in range(max_turns):
            msg = agent.model(messages, tools or None)
            messages.append(msg)
            calls = msg.get("tool_calls") or []
            if not calls:
                return _final(msg.get("content"))
            for tc in calls:
                fn = tc.get("function") or {}
                content = _run_tool(agent, names, fn.get("name", ""), fn.get("arguments"))
                messages.append({"role": "tool", "tool_call_id": tc.get("id"), "content": content})
        raise AgentFailed(f"charter/{charter.name}: no final answer after {max_turns} turns")

    return run


def _run_tool(agent: RunningAgent, names: dict[str, tuple[str, str]], name: str, args: Any) -> str:
    try:
        payload = json.loads(args) if isinstance(args, str) and args.strip() else (args or {})
    except json.JSONDecodeError as exc:
        return json.dumps({"error": {"kind": "bad_arguments", "message": str(exc)}})
    kind, target = names.get(name, ("call", name.replace("__", ".")))
    try:
        out = agent.ask(target, payload) if kind == "ask" else agent.call(target, payload)
    except Stopped:
        raise  # a hard stop ends the conversation
    except RuntimeProblem as exc:
        return json.dumps({"error": exc.to_json()})
    return json.dumps(out, sort_keys=True)


def _final(content: Any) -> dict[str, Any]:
    """The model's last message: a JSON object if it wrote one, else {"answer": text}."""
    if isinstance(content, str):
        text = content.strip()
        if text.startswith("```"):
            text = text.strip("`").removeprefix("json").strip()
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return {"answer": content}
        if isinstance(value, dict):
            return value
        return {"answer": value}
    return {"answer": content}


RUNTIMES: dict[str, Callable[[Resource[CharterDoc], TransportEnv], AgentFn]] = {
    "python": python_runtime,
    "command": process.command_runtime,
    "model": model_runtime,
}


def prepare(charter: Resource[CharterDoc], env: TransportEnv) -> AgentFn:
    """The charter's runtime, ready to call. Raises ToolError when it cannot be loaded."""
    return RUNTIMES[charter.doc.spec.runtime.type](charter, env)
