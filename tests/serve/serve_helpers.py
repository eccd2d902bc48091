"""A real `agentctl serve` process on a free loopback port, an HTTP client for it, and the
fixtures that start one (a test module imports them by name: a conftest.py here would be
a second top-level `conftest` module to mypy)."""

from __future__ import annotations

import http.client
import json
import os
import select
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import agentctl_bin

from agentctl.serve.http import sign

SECRET = b"test-secret-do-not-use"
TOKEN = b"test-token-do-not-use"
CE = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
DEADLINE_S = 30.0  # generous: a busy 2-core machine is slower, never failing

SETTINGS = """apiVersion: agentctl/v1
kind: Workspace
metadata: {name: serve-test, owner: role/ops}
spec:
  serve: {secret_env: SERVE_TEST_SECRET}
"""


def event(i: int, **over: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"evt-{i}",
        "source": "/tests/serve",
        "type": "ticket.created",
        "time": "2026-03-01T08:00:00Z",
        "data": {"n": i},
        **over,
    }


def make_workspace(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "agentctl.yaml").write_text(SETTINGS)
    return root


def serve_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVE_TEST_")}
    env.update(
        HOME=str(home),
        NO_COLOR="1",
        SERVE_TEST_SECRET=SECRET.decode(),
        SERVE_TEST_TOKEN=TOKEN.decode(),
    )
    return env


class Server:
    """One `agentctl serve` subprocess; `url` is read from its first line of stdout."""

    def __init__(self, root: Path, *args: str, stdin: Any = None) -> None:
        self.root = root
        self.queue_file = root / ".agentctl" / "ledger.db.queue"
        cmd = [agentctl_bin(), "serve", "-w", str(root), "--consumer", "mark-only", *args]
        self.proc = subprocess.Popen(
            cmd,
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=serve_env(root),
            cwd=root,
        )
        self.host, self.port = "", 0
        if "--events" not in args:
            self._read_address()

    def _read_address(self) -> None:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], DEADLINE_S)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("listening on http://"):
            self.proc.kill()
            _, err = self.proc.communicate()
            raise AssertionError(f"serve did not start: {line!r} {err.decode()}")
        self.listening = line
        hostport = line.split("http://", 1)[1].strip()
        host, _, port = hostport.rpartition(":")
        self.host, self.port = host, int(port)

    def conn(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=DEADLINE_S)

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        conn: http.client.HTTPConnection | None = None,
    ) -> tuple[int, bytes, dict[str, str]]:
        c = conn or self.conn()
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read(), {k.lower(): v for k, v in r.getheaders()}
        finally:
            if conn is None:
                c.close()

    def post(
        self,
        value: Any,
        *,
        ctype: str = CE,
        secret: bytes | None = SECRET,
        raw: bytes | None = None,
        extra: dict[str, str] | None = None,
        conn: http.client.HTTPConnection | None = None,
    ) -> tuple[int, Any]:
        body = raw if raw is not None else json.dumps(value).encode()
        headers = {"Content-Type": ctype, **(extra or {})}
        if secret is not None:
            headers["X-Agentctl-Signature"] = sign(secret, body)
        status, out, _ = self.request("POST", "/v1/events", body, headers, conn)
        return status, json.loads(out) if out else None

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            out, err = self.proc.communicate(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError(f"serve did not stop on signal {sig}: {err.decode()}") from None
        return self.proc.returncode, out.decode(), err.decode()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()


def wait_until(cond: Callable[[], bool], what: str) -> None:
    """Poll `cond` until true (never a fixed sleep): DEADLINE_S on a busy machine."""
    end = time.monotonic() + DEADLINE_S
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture(name="start")
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """`start(*args)`: a serve process on 127.0.0.1:0 in a fresh workspace (killed after)."""
    servers: list[Server] = []

    def go(*args: str, root: Path | None = None, stdin: Any = None) -> Server:
        ws = make_workspace(root or tmp_path / f"ws{len(servers)}")
        has_listen = "--listen" in args or "--events" in args
        s = Server(ws, *([] if has_listen else ["--listen", "127.0.0.1:0"]), *args, stdin=stdin)
        servers.append(s)
        return s

    yield go
    for s in servers:
        s.kill()


@pytest.fixture(name="shared", scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One serve process for the tests that only send requests (max body 4096 bytes,
    HMAC secret from agentctl.yaml and a bearer token from --token-env)."""
    ws = make_workspace(tmp_path_factory.mktemp("shared") / "ws")
    s = Server(
        ws, "--listen", "127.0.0.1:0", "--max-body", "4096", "--token-env", "SERVE_TEST_TOKEN"
    )
    yield s
    s.kill()
