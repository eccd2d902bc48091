"""Agent runtimes: how a charter's agent runs. A plain dict registry (`RUNTIMES`) keyed by
the type of `spec.runtime`; each factory returns `fn(input, run) -> output`.

Every runtime reaches tools, models and other agents only through the `Context`, so every
call passes the guard. Protocols are documented in docs/runtime.md.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import Any

from agentctl.model.index import Resource
from agentctl.model.kinds import CharterDoc
from agentctl.runtime.errors import AgentFailed, Denied, RuntimeProblem, Stopped, ToolError
from agentctl.runtime.protocols import RunningAgent
from agentctl.runtime.transports import LineProcess, TransportEnv, load_callable

AgentFn = Callable[[Any, RunningAgent], Any]


class Context:
    """What an agent function receives as `ctx`. Every method passes the guard."""

    Denied = Denied
    Stopped = Stopped
    ToolError = ToolError

    def __init__(self, run: RunningAgent) -> None:
        self._run = run
        self.charter = run.name
        self.trace_id = run.trace_id

    def call(self, operation: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call `connector.operation`; raises Denied (not executed) or ToolError."""
        return self._run.call(operation, payload)

    def ask(self, charter: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Ask `charter/name` under a Contract; raises Denied or ToolError."""
        return self._run.ask(charter, payload)

    def model(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """One chat-completions call; returns the assistant message."""
        return self._run.model(messages, tools, **options)

    def log(self, *parts: Any) -> None:
        """A diagnostic line on stderr (not in the ledger)."""
        self._run.log(*parts)


# --- python --------------------------------------------------------------------------------


def python_runtime(charter: Resource[CharterDoc], env: TransportEnv) -> AgentFn:
    fn = load_callable(charter.doc.spec.runtime.python or "", env)

    def run(payload: Any, agent: RunningAgent) -> Any:
        return fn(payload, Context(agent))

    return run


# --- command (JSON lines) ------------------------------------------------------------------


def _reply(agent: RunningAgent, msg: dict[str, Any]) -> dict[str, Any]:
    """Serve one request of a command agent; errors go back to it as data."""
    rid = msg.get("id")
    try:
        kind = msg.get("type")
        if kind == "call":
            out = agent.call(str(msg.get("operation", "")), msg.get("input"))
        elif kind == "ask":
            out = agent.ask(str(msg.get("charter", "")), msg.get("input"))
        elif kind == "model":
            out = agent.model(msg.get("messages") or [], msg.get("tools"))
        else:
            raise AgentFailed(f"unknown request type {kind!r}")
    except RuntimeProblem as exc:
        return {"type": "error", "id": rid, "error": exc.to_json()}
    return {"type": "result", "id": rid, "output": out}


def command_runtime(charter: Resource[CharterDoc], env: TransportEnv) -> AgentFn:
    spec = charter.doc.spec
    argv = list(spec.runtime.command or [])

    def run(payload: Any, agent: RunningAgent) -> Any:
        child_env = {
            **env.environ,
            **spec.runtime.env,
            "AGENTCTL_CHARTER": charter.name,
            "AGENTCTL_TRACE_ID": agent.trace_id,
        }
        try:
            proc = LineProcess(argv, env.root, child_env, f"charter/{charter.name} command")
        except ToolError as exc:
            raise AgentFailed(exc.message, hint="check spec.runtime.command") from exc
        wall = spec.budget.per_run.wall_time
        try:
            tools = [
                {"operation": o.qualified, "scope": o.op.scope, "input_schema": o.op.input_schema}
                for o in agent.guard.granted().values()
            ]
            proc.send(
                {
                    "type": "start",
                    "input": payload,
                    "charter": charter.name,
                    "trace_id": agent.trace_id,
                    "tools": tools,
                }
            )
            while True:
                timeout = None
                if wall is not None:
                    timeout = max(0.01, wall.total_seconds() - agent.session.elapsed())
                try:
                    msg = proc.receive(timeout)
                except ToolError as exc:
                    raise AgentFailed(exc.message, hint=exc.hint) from exc
                if msg is None:
                    code = proc.close()
                    raise AgentFailed(
                        f"charter/{charter.name} command exited (code {code}) without an output"
                    )
                kind = msg.get("type")
                if kind == "output":
                    return msg.get("output")
                if kind == "fail":
                    raise AgentFailed(f"charter/{charter.name}: {msg.get('message', 'failed')}")
                if kind == "log":
                    agent.log(msg.get("message", ""))
                    continue
                proc.send(_reply(agent, msg))
        finally:
            proc.close(timeout=2.0)

    return run


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
    "command": command_runtime,
    "model": model_runtime,
}


def prepare(charter: Resource[CharterDoc], env: TransportEnv) -> AgentFn:
    """The charter's runtime, ready to call. Raises ToolError when it cannot be loaded."""
    return RUNTIMES[charter.doc.spec.runtime.type](charter, env)
