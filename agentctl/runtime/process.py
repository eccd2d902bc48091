"""Agents in a process of their own: `command` runtimes and isolated `python` ones.

Both speak the JSON-lines protocol (docs/runtime.md): every request is served here, in
agentctl, through the guard and the ledger; the process holds nothing of ours. It is
confined by `sandbox.confine` (own folder, environment and process group; bubblewrap
where it works), stopped by a watchdog at its wall time (the read deadline), and killed
with everything it started on every way out of the run.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

import agentctl
from agentctl.model.index import Resource
from agentctl.model.kinds import CharterDoc
from agentctl.runtime.errors import AgentFailed, Denied, RuntimeProblem, Stopped, ToolError
from agentctl.runtime.protocols import RunningAgent
from agentctl.runtime.pychild import BOOT, MODEL_OPTIONS
from agentctl.runtime.sandbox import confine, probe, resolve_argv
from agentctl.runtime.transports import LineProcess, LineTooLong, ProtocolTimeout, TransportEnv

# the folder that holds the agentctl package: the isolated python child imports from it
PACKAGE_HOME = Path(agentctl.__file__).resolve().parent.parent


def sandbox_required(charter: Resource[CharterDoc], env: TransportEnv) -> bool:
    ws = env.workspace
    return charter.doc.spec.runtime.sandbox == "required" or (
        ws is not None and ws.settings.sandbox == "required"
    )


def sandbox_attrs(env: TransportEnv) -> dict[str, Any]:
    """For run_start: whether the agent's process runs in bubblewrap, and if not, why."""
    found = probe(env.environ)
    if found.path is not None:
        return {"isolation": "process", "sandbox": "bwrap"}
    return {"isolation": "process", "sandbox": "none", "sandbox_reason": found.reason}


def wall_stop(agent: RunningAgent) -> Stopped:
    wall = agent.charter.doc.spec.budget.per_run.wall_time
    secs = wall.total_seconds() if wall is not None else 0.0
    return Stopped(
        f"charter/{agent.name} ran past its wall time of {secs:g}s: stopped",
        rule="budget",
        limit="wall_time",
        period="run",
        hint="raise spec.budget.per_run.wall_time after review, or do less per run",
    )


def record_stop(agent: RunningAgent, stop: Stopped) -> Stopped:
    """A stop that no call caused (the watchdog, the protocol): a `denial` event."""
    agent._deny(stop, f"charter/{agent.name}", None)
    return stop


def wall_left(agent: RunningAgent) -> float | None:
    """Seconds of wall time the run has left (as the guard counts it), or None."""
    wall = agent.charter.doc.spec.budget.per_run.wall_time
    if wall is None:
        return None
    return wall.total_seconds() - agent.session.elapsed()


def _reply(agent: RunningAgent, msg: dict[str, Any]) -> dict[str, Any]:
    """Serve one request of the agent; errors go back to it as data."""
    rid = msg.get("id")
    try:
        kind = msg.get("type")
        if kind == "call":
            out = agent.call(str(msg.get("operation", "")), msg.get("input"))
        elif kind == "ask":
            out = agent.ask(str(msg.get("charter", "")), msg.get("input"))
        elif kind == "model":
            options = msg.get("options") or {}
            bad = (
                sorted(str(k) for k in options if k not in MODEL_OPTIONS)
                if isinstance(options, dict)
                else ["(not an object)"]
            )
            if bad:
                raise ToolError(
                    f"model options {bad} are not accepted from an agent process",
                    hint=f"only {', '.join(MODEL_OPTIONS)}; the endpoint is the charter's",
                )
            out = agent.model(msg.get("messages") or [], msg.get("tools"), **options)
        else:
            raise AgentFailed(f"unknown request type {kind!r}")
    except RuntimeProblem as exc:
        return {"type": "error", "id": rid, "error": exc.to_json()}
    return {"type": "result", "id": rid, "output": out}


def _failure(agent: RunningAgent, msg: dict[str, Any]) -> RuntimeProblem:
    """A `fail` message → what ended the run. The process's word is taken only for what
    agentctl itself recorded (a stop, a denial): it cannot fake a status."""
    if agent.stopped is not None:
        return agent.stopped
    message = str(msg.get("message", "failed"))
    err = msg.get("error")
    recorded = {d.get("message") for d in agent.result.denials}
    if isinstance(err, dict) and err.get("kind") == "denied" and message in recorded:
        return Denied(message, rule=str(err.get("rule", "")), hint=err.get("hint"))
    if msg.get("load_error"):
        return AgentFailed(
            f"charter/{agent.name}: {message}", hint="check spec.runtime.python and python_path"
        )
    if "raised" in msg:
        return AgentFailed(f"charter/{agent.name} raised {msg['raised']}: {message}")
    return AgentFailed(f"charter/{agent.name}: {message}")


def _serve(
    proc: LineProcess, agent: RunningAgent, start: dict[str, Any], deadline: float | None
) -> Any:
    try:
        proc.send(start, deadline)
        while True:
            msg = proc.receive(deadline=deadline)
            if msg is None:
                code = proc.close(timeout=1.0)
                if agent.stopped is not None:
                    raise agent.stopped
                raise AgentFailed(f"{proc.what} exited (code {code}) without an output")
            kind = msg.get("type")
            if kind == "output":
                return msg.get("output")
            if kind == "fail":
                raise _failure(agent, msg)
            if kind == "log":
                agent.log(msg.get("message", ""))
                continue
            proc.send(_reply(agent, msg), deadline)
    except ProtocolTimeout as exc:
        if deadline is not None and time.monotonic() >= deadline:
            raise record_stop(agent, wall_stop(agent)) from exc
        raise AgentFailed(exc.message, hint=exc.hint) from exc
    except LineTooLong as exc:
        stop = Stopped(exc.message, rule="line-length", limit="max_line_bytes", hint=exc.hint)
        raise record_stop(agent, stop) from exc
    except ToolError as exc:  # not JSON, not an object, gone while we wrote
        raise AgentFailed(exc.message, hint=exc.hint) from exc


def run_process(
    agent: RunningAgent,
    payload: Any,
    argv: list[str],
    env: TransportEnv,
    *,
    extra: dict[str, Any] | None = None,
    readable: list[Path] | None = None,
) -> Any:
    """Start the agent's process, serve it until its output, and kill its process group
    on every way out (output, failure, stop, Ctrl-C)."""
    charter = agent.charter
    spec = charter.doc.spec
    what = f"charter/{charter.name} " + ("python" if extra else "command")
    conf = confine(
        argv,
        environ=env.environ,
        env={
            **spec.runtime.env,
            "AGENTCTL_CHARTER": charter.name,
            "AGENTCTL_TRACE_ID": agent.trace_id,
        },
        readable=[env.root, *(readable or [])],
        ledger=env.ledger,
    )
    try:
        if conf.sandbox == "none" and sandbox_required(charter, env):
            refused = Denied(
                f"charter/{charter.name} must run in a sandbox, and there is none here: "
                f"{conf.reason}",
                rule="sandbox-required",
                hint="install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) where "
                "user namespaces are allowed, or drop the sandbox requirement after review",
            )
            raise agent._deny(refused, f"charter/{charter.name}", payload)
        left = wall_left(agent)
        deadline = None if left is None else time.monotonic() + left
        try:
            proc = LineProcess(
                conf.argv, conf.workdir, conf.env, what, max_line=spec.runtime.max_line_bytes
            )
        except ToolError as exc:
            raise AgentFailed(exc.message, hint="check spec.runtime.command") from exc
        try:
            tools = [
                {"operation": o.qualified, "scope": o.op.scope, "input_schema": o.op.input_schema}
                for o in agent.guard.granted().values()
            ]
            start = {
                "type": "start",
                "input": payload,
                "charter": charter.name,
                "trace_id": agent.trace_id,
                "tools": tools,
                **(extra or {}),
            }
            out = _serve(proc, agent, start, deadline)
            proc.close(timeout=2.0)
            return out
        finally:
            proc.kill()  # a no-op after close; else the stop, failure or Ctrl-C path
    finally:
        conf.close()


def _interpreters(env: TransportEnv, argv: list[str]) -> list[Path]:
    """What the process needs to read besides the code: PATH, the program's folder and
    the one above (a virtualenv), our own interpreter's prefixes. In the sandbox the
    filesystem is visible anyway; these matter where they lie under its private /tmp."""
    found = [Path(p) for p in env.environ.get("PATH", "").split(":") if p.startswith("/")]
    program = Path(argv[0]) if argv else Path()
    if program.is_absolute():
        found += [program.parent, program.parent.parent]
    found += [Path(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)]
    return found


def command_runtime(charter: Resource[CharterDoc], env: TransportEnv) -> Any:
    argv = resolve_argv(list(charter.doc.spec.runtime.command or []), env.root)
    readable = _interpreters(env, argv)

    def run(payload: Any, agent: RunningAgent) -> Any:
        return run_process(agent, payload, argv, env, readable=readable)

    return run


def _findable(module: str, path: list[Path]) -> bool:
    """Is there such a module, without importing it here (its code runs in the child
    only)? In python_path as a file or package, or installed (its top-level name: finding
    that one runs nothing)."""
    rel = Path(*module.split("."))
    for folder in path:
        base = folder / rel
        if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
            return True
        if base.is_dir():  # a namespace package
            return True
    top = module.partition(".")[0]
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def python_process_runtime(charter: Resource[CharterDoc], env: TransportEnv) -> Any:
    """A python agent in a child process (`agentctl.runtime.pychild`)."""
    target = charter.doc.spec.runtime.python or ""
    module, sep, attr = target.partition(":")
    if not sep or not module or not attr:
        raise ToolError(f"{target!r} is not package.module:function")
    path = [(env.root / p).resolve() for p in env.python_path]
    if not _findable(module, path):
        raise ToolError(
            f"cannot import {module!r}: no such module",
            hint=f"python_path is {env.python_path} (relative to {env.root})",
        )
    argv = [sys.executable, "-I", "-c", BOOT, str(PACKAGE_HOME)]
    readable = [*path, PACKAGE_HOME, *_interpreters(env, argv)]
    extra = {"python": target, "python_path": [str(p) for p in path]}

    def run(payload: Any, agent: RunningAgent) -> Any:
        return run_process(agent, payload, argv, env, extra=extra, readable=readable)

    return run
