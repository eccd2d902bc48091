"""Connector transports: how a granted, validated call reaches the system behind a connector.

A plain dict registry of factories (`TRANSPORTS`), keyed by the transport's type in the
Connector's `spec.transport`. Each transport is the imperative shell: it does I/O; the guard
has already decided. Protocols are documented in docs/runtime.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from agentctl.model.index import Resource, Workspace
from agentctl.model.kinds import ConnectorDoc
from agentctl.runtime.errors import ToolError
from agentctl.runtime.recording import RecordedTransport, Recorder, json_or_text
from agentctl.workspace.paths import PathRefused, TooLarge, named, read_inside


class Transport(Protocol):
    def call(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]: ...

    def close(self) -> None: ...


@dataclass
class TransportEnv:
    """What transports and runtimes may use from the shell: the code root, a file reader,
    the environment; runtimes also the workspace and where the ledger is (to hide it)."""

    root: Path
    python_path: list[str] = field(default_factory=lambda: ["."])
    read_file: Callable[[str], bytes] | None = None  # workspace-relative path → bytes
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    workspace: Workspace | None = None
    ledger: Path | None = None
    # eval --record / replay: the one hook through which connector and model exchanges
    # are recorded or answered from a cassette (None: every call is live)
    recorder: Recorder | None = None

    def read(self, rel: str) -> bytes:
        if self.read_file is not None:
            return self.read_file(rel)
        return read_inside(self.root, rel)  # the one path rule: no symlink out, size-capped


def load_callable(target: str, env: TransportEnv) -> Callable[..., Any]:
    """`package.module:function` with the workspace's python_path first on sys.path."""
    import importlib

    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ToolError(f"{target!r} is not package.module:function")
    for entry in reversed(env.python_path):
        folder = str((env.root / entry).resolve())
        if folder not in sys.path:
            sys.path.insert(0, folder)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ToolError(
            f"cannot import {module_name!r}: {exc}",
            hint=f"python_path is {env.python_path} (relative to {env.root})",
        ) from exc
    fn = module
    for part in attr.split("."):
        fn = getattr(fn, part, None)  # type: ignore[assignment]
        if fn is None:
            raise ToolError(f"{module_name!r} has no attribute {attr!r}")
    if not callable(fn):
        raise ToolError(f"{target!r} is not callable")
    return fn


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ToolError(f"{what} returned {type(value).__name__}, expected a JSON object")
    return value


# --- python ------------------------------------------------------------------------------


class PythonTransport:
    def __init__(self, conn: Resource[ConnectorDoc], env: TransportEnv) -> None:
        self.target = conn.doc.spec.transport.python or ""
        self.env = env
        self.fn: Callable[..., Any] | None = None

    def call(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        if self.fn is None:
            self.fn = load_callable(self.target, self.env)
        try:
            result = self.fn(operation, payload)
        except ToolError:
            raise
        except Exception as exc:  # the connector's own failure, reported to the agent
            raise ToolError(f"{self.target} raised {type(exc).__name__}: {exc}") from exc
        return _object(result, self.target)

    def close(self) -> None:
        pass


# --- command (JSON lines) --------------------------------------------------------------------


# A protocol line longer than this stops the agent (a partial line of any length would
# otherwise be buffered in memory); `spec.runtime.max_line_bytes` changes it per charter.
MAX_LINE_BYTES = 1 << 20
# A connector process is the workspace's own code and may answer with large documents;
# it is still bounded, so that a broken one cannot exhaust our memory.
CONNECTOR_MAX_LINE_BYTES = 64 << 20


class ProtocolTimeout(ToolError):
    """The process did not write a whole line (or read ours) before the deadline."""


class LineTooLong(ToolError):
    """The process wrote a line longer than the limit (complete or not)."""


class LineProcess:
    """A subprocess speaking JSON lines: one object per line each way.

    It runs in a process group of its own (`start_new_session`), so `close` can kill it
    with every process it started, and Ctrl-C in a terminal reaches agentctl only. Reads
    and writes are bounded by a deadline (`time.monotonic()` seconds) and by the line
    length, whatever the process writes or withholds."""

    def __init__(
        self,
        argv: list[str],
        cwd: Path,
        env: Mapping[str, str],
        what: str,
        *,
        max_line: int = MAX_LINE_BYTES,
    ) -> None:
        self.what = what
        self.max_line = max_line
        try:
            self.proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,  # the child's diagnostics go to our stderr
                bufsize=0,
                start_new_session=True,
            )
        except OSError as exc:
            raise ToolError(f"cannot start {what} {argv[0]!r}: {exc.strerror or exc}") from exc
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self._out = self.proc.stdout.fileno()
        self._in = self.proc.stdin.fileno()
        os.set_blocking(self._out, False)
        os.set_blocking(self._in, False)
        self._buf = bytearray()
        self._eof = False
        self._closed = False

    @staticmethod
    def _left(deadline: float | None) -> float | None:
        return None if deadline is None else max(0.0, deadline - time.monotonic())

    def send(self, obj: dict[str, Any], deadline: float | None = None) -> None:
        # default=str: a value JSON cannot carry (a datetime from a connector) goes as text
        line = json.dumps(obj, separators=(",", ":"), default=str) + "\n"
        data = memoryview(line.encode("utf-8", "backslashreplace"))
        while data:
            left = self._left(deadline)
            if left == 0.0 or not _ready(self._in, select.POLLOUT, left):
                raise ProtocolTimeout(f"{self.what} did not read its input in time")
            try:
                n = os.write(self._in, data)
            except BlockingIOError:
                continue
            except OSError as exc:  # BrokenPipeError: it exited
                raise ToolError(f"{self.what} exited (code {self.proc.poll()})") from exc
            data = data[n:]

    def _line(self) -> bytes | None:
        """A whole line from the buffer (the last one may lack its newline at EOF)."""
        i = self._buf.find(b"\n", 0, self.max_line + 1)
        if i >= 0:
            line = bytes(self._buf[:i])
            del self._buf[: i + 1]
            return line
        if len(self._buf) > self.max_line:
            raise LineTooLong(
                f"{self.what} wrote a line longer than {self.max_line} bytes",
                hint="write one JSON object per line; raise spec.runtime.max_line_bytes "
                "for larger messages",
            )
        if self._eof and self._buf:
            line = bytes(self._buf)
            self._buf.clear()
            return line
        return None

    def receive(
        self, timeout: float | None = None, *, deadline: float | None = None
    ) -> dict[str, Any] | None:
        """The next JSON object, or None at end of output. Raises ProtocolTimeout when no
        whole line came before the deadline (`timeout` seconds from now, or `deadline`)."""
        if timeout is not None:
            t = time.monotonic() + timeout
            deadline = t if deadline is None else min(deadline, t)
        within = f"within {timeout:g}s" if timeout is not None else "in time"
        late = ProtocolTimeout(f"{self.what} did not answer {within}")
        while True:
            # the deadline first: a process that floods lines must not outrun it
            left = self._left(deadline)
            if left == 0.0:
                raise late
            line = self._line()
            if line is not None:
                if not line.strip():
                    continue
                return self._parse(line)
            if self._eof:
                return None
            if not _ready(self._out, select.POLLIN, left):
                raise late
            try:
                chunk = os.read(self._out, 1 << 16)
            except BlockingIOError:
                continue
            if not chunk:
                self._eof = True
            self._buf += chunk

    def _parse(self, raw: bytes) -> dict[str, Any]:
        line = raw.decode("utf-8", "replace")
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ToolError(
                f"{self.what} wrote a line that is not JSON (column {exc.colno}): "
                f"{line.strip()[:80]!r}",
                hint="write exactly one JSON object per line on stdout; logs go to stderr",
            ) from exc
        if not isinstance(obj, dict):
            raise ToolError(f"{self.what} wrote {type(obj).__name__}, expected an object")
        return obj

    def close(self, timeout: float = 5.0) -> int | None:
        """End the process: close its stdin, give it `timeout` seconds to exit, then kill
        its whole process group (also when it exited: what it started dies with it)."""
        if self._closed:
            return self.proc.returncode
        self._closed = True
        with contextlib.suppress(OSError):
            self.proc.stdin.close()  # type: ignore[union-attr]
        code: int | None = None
        end = time.monotonic() + timeout
        # wait without reaping: while the leader is a zombie its group id cannot be reused,
        # so killpg below cannot hit an unrelated group
        while timeout > 0 and not _exited(self.proc) and time.monotonic() < end:
            time.sleep(0.01)
        kill_group(self.proc.pid)
        code = self.proc.wait()
        with contextlib.suppress(OSError):
            self.proc.stdout.close()  # type: ignore[union-attr]
        return code

    def kill(self) -> None:
        """Kill the process group now (a stop: no grace period)."""
        self.close(timeout=0)


def _exited(proc: subprocess.Popen[bytes]) -> bool:
    """Has it exited? Without reaping it where the OS allows (waitid WNOWAIT)."""
    waitid = getattr(os, "waitid", None)
    if waitid is None:  # e.g. macOS: reaping is the only way to ask
        return proc.poll() is not None
    try:
        return waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _ready(fd: int, events: int, timeout_s: float | None) -> bool:
    """Wait until `fd` is ready (or closed at the other end); poll, not select: any fd."""
    poller = select.poll()
    poller.register(fd, events)
    return bool(poller.poll(None if timeout_s is None else timeout_s * 1000))


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


class CommandTransport:
    TIMEOUT_S = 60.0

    def __init__(self, conn: Resource[ConnectorDoc], env: TransportEnv) -> None:
        self.argv = list(conn.doc.spec.transport.command or [])
        self.env = env
        self.name = conn.name
        self.proc: LineProcess | None = None
        self.next_id = 0

    def call(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        if self.proc is None:
            self.proc = LineProcess(
                self.argv,
                self.env.root,
                self.env.environ,
                f"connector/{self.name} command",
                max_line=CONNECTOR_MAX_LINE_BYTES,
            )
        self.next_id += 1
        self.proc.send({"id": self.next_id, "operation": operation, "input": payload})
        reply = self.proc.receive(self.TIMEOUT_S)
        if reply is None:
            code = self.proc.close(timeout=1.0)
            self.proc = None
            raise ToolError(f"connector/{self.name} command exited (code {code}) without answering")
        if reply.get("id") != self.next_id:
            raise ToolError(
                f"connector/{self.name} answered id {reply.get('id')!r}, expected {self.next_id}"
            )
        if "error" in reply:
            err = reply["error"]
            msg = err.get("message") if isinstance(err, dict) else err
            raise ToolError(f"connector/{self.name}: {msg}")
        return _object(reply.get("output"), f"connector/{self.name} command")

    def close(self) -> None:
        if self.proc is not None:
            self.proc.close()
            self.proc = None


# --- http ------------------------------------------------------------------------------------


class HttpTransport:
    def __init__(self, conn: Resource[ConnectorDoc], env: TransportEnv) -> None:
        http = conn.doc.spec.transport.http
        assert http is not None
        self.http = http
        self.env = env
        self.name = conn.name

    def call(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        url = self.http.url.rstrip("/") + "/" + operation
        # what a cassette matches and keeps: never the headers (the bearer token)
        request = {"connector": self.name, "method": "POST", "url": url, "body": payload}
        if self.env.recorder is not None:
            answer = self.env.recorder.exchange(request, lambda: self._post(url, payload))
        else:
            answer = self._post(url, payload)
        status, value = answer.get("status"), answer.get("body")
        if not isinstance(status, int) or status >= 400:
            detail = value if isinstance(value, str) else json.dumps(value)
            raise ToolError(f"connector/{self.name}: HTTP {status} from {url}: {detail[:200]}")
        if isinstance(value, str):
            raise ToolError(f"connector/{self.name}: {url} did not answer JSON")
        return _object(value, f"connector/{self.name} ({url})")

    def _post(self, url: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The live request: {status, body} (the JSON answer, or its text when it is not
        JSON); a ToolError when the endpoint cannot be reached."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.http.auth_env:
            token = self.env.environ.get(self.http.auth_env)
            if not token:
                raise ToolError(
                    f"connector/{self.name}: environment variable {self.http.auth_env} is not set",
                    hint="export the bearer token before the run",
                )
            headers["Authorization"] = f"Bearer {token}"
        body = json.dumps(payload).encode()
        req = urllib.request.Request(url, data=body, headers=headers, method="POST")
        timeout = self.http.timeout.total_seconds()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return {"status": resp.status, "body": json_or_text(resp.read())}
        except urllib.error.HTTPError as exc:
            return {"status": exc.code, "body": json_or_text(exc.read()[:200])}
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ToolError(f"connector/{self.name}: cannot reach {url}: {reason}") from exc

    def close(self) -> None:
        pass


# --- fixture ---------------------------------------------------------------------------------


@dataclass
class _Recorded:
    operation: str
    output: dict[str, Any]
    input: dict[str, Any] | None = None  # exact match
    match: dict[str, Any] | None = None  # every listed field equal
    line: int = 0


class FixtureTransport:
    """Recorded responses. Each JSONL line: operation, output, and `input` (exact match),
    `match` (these fields equal) or neither (the operation's default). First exact match,
    else the first `match`, else the default, else a ToolError naming the file."""

    def __init__(self, conn: Resource[ConnectorDoc], env: TransportEnv) -> None:
        rel = conn.doc.spec.transport.fixture or ""
        # the one path rule (agentctl.workspace.paths): relative to the connector's file,
        # never absolute nor climbing out with '..'; refused here, reported at the first call
        self.refused: PathRefused | None = None
        try:
            self.path = named(conn.file, rel)
        except PathRefused as exc:
            self.path, self.refused = rel, exc
        self.env = env
        self.name = conn.name
        self.records: dict[str, list[_Recorded]] | None = None

    def _load(self) -> dict[str, list[_Recorded]]:
        try:
            if self.refused is not None:
                raise self.refused
            data = self.env.read(self.path)
        except (PathRefused, TooLarge) as exc:
            raise ToolError(
                f"connector/{self.name}: fixture {exc}: it is not read",
                hint="a fixture lies inside the workspace, named relative to the connector",
            ) from exc
        except (OSError, KeyError) as exc:
            raise ToolError(
                f"connector/{self.name}: cannot read fixture {self.path}",
                hint="the fixture path is relative to the connector's YAML file",
            ) from exc
        out: dict[str, list[_Recorded]] = {}
        for n, line in enumerate(data.decode("utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ToolError(f"{self.path}:{n}:{exc.colno}: not JSON: {exc.msg}") from exc
            if not isinstance(obj, dict) or not isinstance(obj.get("operation"), str):
                raise ToolError(f"{self.path}:{n}:1: a record needs 'operation' and 'output'")
            if not isinstance(obj.get("output"), dict):
                raise ToolError(f"{self.path}:{n}:1: 'output' must be a JSON object")
            rec = _Recorded(obj["operation"], obj["output"], obj.get("input"), obj.get("match"), n)
            out.setdefault(rec.operation, []).append(rec)
        return out

    def call(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        if self.records is None:
            self.records = self._load()
        recs = self.records.get(operation, [])
        for rec in recs:
            if rec.input is not None and rec.input == payload:
                return rec.output
        for rec in recs:
            if rec.match is not None and all(payload.get(k) == v for k, v in rec.match.items()):
                return rec.output
        for rec in recs:
            if rec.input is None and rec.match is None:
                return rec.output
        raise ToolError(
            f"connector/{self.name}: no recorded response for {operation} with input "
            f"{json.dumps(payload, sort_keys=True)[:120]}",
            hint=f"add a line to {self.path}, or a default line without 'input'",
        )

    def close(self) -> None:
        pass


TRANSPORTS: dict[str, Callable[[Resource[ConnectorDoc], TransportEnv], Transport]] = {
    "python": PythonTransport,
    "command": CommandTransport,
    "http": HttpTransport,
    "fixture": FixtureTransport,
}


def open_transport(conn: Resource[ConnectorDoc], env: TransportEnv) -> Transport:
    kind = conn.doc.spec.transport.type
    transport = TRANSPORTS[kind](conn, env)
    if env.recorder is not None and kind in ("python", "command"):
        return RecordedTransport(transport.call, transport.close, conn.name, env.recorder)
    return transport
