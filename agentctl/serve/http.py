"""HTTP intake: `POST /v1/events`, `GET /healthz`, `GET /metrics` on the stdlib server.

Why the standard library (http.server, one thread per connection, HTTP/1.1 keep-alive)
rather than uvicorn: the cost of an accepted event is the synced commit, shared by the
group commit, and the request handling around it. bench/bench_serve.py measures this
server at 0.69 of the throughput of the same server answering 202 with 128 senders (the
target is 0.5; a uvicorn prototype reached 0.79), with no dependency and no event loop
to share with the worker thread (docs/performance.md).

Order of checks on a POST (each refusal is counted in /metrics by reason, and logged):
404/405 path and method → 503 while shutting down → 401 no credentials, or a wrong bearer
token (before the body is read) → 415 content type → 411/413 length (refused before the
body is read; the connection is then closed) → 401 a signature that does not match the
raw body → 400 invalid CloudEvents (nothing stored) → 202 once the queue's commit is
synced.
"""

from __future__ import annotations

import contextlib
import hmac
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import sha256
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from agentctl.engine.events import format_ts
from agentctl.serve.cloudevents import media_kind, parse_body, problems_json
from agentctl.serve.metrics import Metrics
from agentctl.serve.queue import GroupCommit, QueueError

EVENTS_PATH = "/v1/events"
_PHRASES = {s.value: s.phrase for s in HTTPStatus}
SIGNATURE_HEADER = "X-Agentctl-Signature"
DEFAULT_MAX_BODY = 1024 * 1024
_CHUNK_LINE_MAX = 1024


@dataclass(frozen=True)
class Auth:
    """How requests prove who sent them: an HMAC-SHA256 secret (`X-Agentctl-Signature:
    sha256=<hex>` over the raw body, as GitHub's X-Hub-Signature-256), a bearer token, or
    both (either is enough). Neither: no auth (only with --insecure-no-auth on loopback)."""

    secret: bytes | None = None
    token: bytes | None = None

    @property
    def enabled(self) -> bool:
        return self.secret is not None or self.token is not None

    def bearer_ok(self, header: str | None) -> bool:
        if self.token is None or not header:
            return False
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(value.strip().encode(), self.token)

    def signature_ok(self, header: str | None, body: bytes) -> bool:
        if self.secret is None or not header or not header.startswith("sha256="):
            return False
        want = hmac.new(self.secret, body, sha256).hexdigest()
        return hmac.compare_digest(header[len("sha256=") :].strip().lower().encode(), want.encode())


def sign(secret: bytes, body: bytes) -> str:
    """The X-Agentctl-Signature value for `body` (for senders, tests and the bench)."""
    return "sha256=" + hmac.new(secret, body, sha256).hexdigest()


class Refused(Exception):
    """An HTTP refusal: status, reason (a metrics label) and a message for the JSON body."""

    def __init__(
        self, status: int, reason: str, message: str, *, close: bool = False, body: bytes = b""
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.close = close
        self.body = body


class Intake:
    """What every request handler shares: the queue writer, auth, limits, metrics, clock."""

    def __init__(
        self,
        writer: GroupCommit,
        metrics: Metrics,
        auth: Auth,
        *,
        max_body: int = DEFAULT_MAX_BODY,
        clock: Callable[[], float] = time.time,
        log: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.writer = writer
        self.metrics = metrics
        self.auth = auth
        self.max_body = max_body
        self.clock = clock
        self.accepting = True
        self.log = log or log_json

    def refuse(self, exc: Refused) -> None:
        self.metrics.inc("agentctl_requests_refused_total", reason=exc.reason)


_log_lock = threading.Lock()
_log_records: deque[dict[str, Any]] = deque()


def log_json(record: dict[str, Any]) -> None:
    """Log one JSON line on stderr. A request only appends its record (a float `ts` is
    formatted later): `flush_log` writes them all at once, between requests
    (IntakeServer.service_actions, at least every 0.2 s) and at exit, so no request waits
    on a write to a terminal or a log pipe, and lines never interleave."""
    _log_records.append(record)


def flush_log() -> None:
    with _log_lock:
        lines = []
        while _log_records:
            record = _log_records.popleft()
            ts = record.get("ts")
            if isinstance(ts, float):
                record["ts"] = stamp(ts)
            lines.append(orjson.dumps(record))
        if not lines:
            return
        with contextlib.suppress(AttributeError, ValueError, OSError):  # a closed stderr
            sys.stderr.buffer.write(b"\n".join(lines) + b"\n")
            sys.stderr.buffer.flush()


_seconds: dict[int, str] = {}


def stamp(ts: float) -> str:
    """`ts` as RFC 3339 in UTC to the millisecond: what format_ts gives for the time
    rounded to ms, the whole second formatted once (this runs once per request)."""
    ms = round(ts * 1000)
    whole, frac = divmod(ms, 1000)
    text = _seconds.get(whole)
    if text is None:
        if len(_seconds) > 1000:
            _seconds.clear()
        text = _seconds[whole] = format_ts(float(whole))[:-1]
    return f"{text}.{frac:03d}".rstrip("0") + "Z" if frac else text + "Z"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a sender's connection serves many events
    # headers and body are two writes: with Nagle on, the body waits for the client's
    # delayed ACK of the headers (40 ms a request on Linux)
    disable_nagle_algorithm = True
    server_version = "agentctl"
    sys_version = ""
    server: IntakeServer

    # -- plumbing ------------------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one structured line per request instead (log_json)

    def _send(
        self,
        status: int,
        body: bytes,
        ctype: str = "application/json",
        close: bool = False,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """The whole answer in one write: one syscall (and one hand-back of the GIL) less
        than http.server's headers-then-body, which matters when many threads share it."""
        lines = [
            f"HTTP/1.1 {status} {_PHRASES.get(status, '')}",
            f"Date: {self.date_time_string()}",
            "Server: agentctl",
            f"Content-Type: {ctype}",
            f"Content-Length: {len(body)}",
            *(f"{k}: {v}" for k, v in headers),
        ]
        if close:
            self.close_connection = True
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head if self.command == "HEAD" else head + body)
        self._status = status

    def _finish(self, started: float, extra: dict[str, Any]) -> None:
        intake = self.server.intake
        intake.log(
            {
                "ts": float(intake.clock()),
                "remote": self.client_address[0],
                "method": self.command,
                "path": self.path,
                "status": getattr(self, "_status", 0),
                "ms": round((time.perf_counter() - started) * 1000, 2),
                **extra,
            }
        )

    # -- routes --------------------------------------------------------------------------

    def do_GET(self) -> None:
        started = time.perf_counter()
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            ok = self.server.intake.accepting
            body = orjson.dumps({"status": "ok" if ok else "stopping"})
            self._send(200 if ok else 503, body)
        elif path == "/metrics":
            text = self.server.intake.metrics.exposition().encode()
            self._send(200, text, "text/plain; version=0.0.4; charset=utf-8")
        elif path == EVENTS_PATH:
            self._refuse(Refused(405, "method", "POST events to /v1/events"), allow="POST")
        else:
            self._refuse(Refused(404, "path", f"no such path: {path}"))
        self._finish(started, {})

    def do_POST(self) -> None:
        started = time.perf_counter()
        extra: dict[str, Any] = {}
        try:
            extra = self._post()
        except Refused as exc:
            extra = {"refused": exc.reason, "error": exc.message}
            self._refuse(exc)
        self._finish(started, extra)

    def _other(self) -> None:
        started = time.perf_counter()
        path = self.path.split("?", 1)[0]
        if path in (EVENTS_PATH, "/healthz", "/metrics"):
            allow = "POST" if path == EVENTS_PATH else "GET"
            self._refuse(Refused(405, "method", f"{self.command} is not allowed"), allow=allow)
        else:
            self._refuse(Refused(404, "path", f"no such path: {path}"))
        self._finish(started, {})

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _other

    def _refuse(self, exc: Refused, allow: str | None = None) -> None:
        self.server.intake.refuse(exc)
        body = exc.body or orjson.dumps({"error": exc.message})
        headers: list[tuple[str, str]] = []
        if allow:
            headers.append(("Allow", allow))
        if exc.status == 401:
            headers.append(("WWW-Authenticate", 'Bearer realm="agentctl"'))
        self._send(exc.status, body, close=exc.close or self._unread, headers=tuple(headers))

    @property
    def _unread(self) -> bool:
        """Whether a request body may still be on the wire (then keep-alive is unsafe)."""
        if getattr(self, "_body_read", False):
            return False
        if self.headers.get("Transfer-Encoding"):
            return True
        return (self.headers.get("Content-Length") or "0").strip() != "0"

    def _post(self) -> dict[str, Any]:
        intake = self.server.intake
        path = self.path.split("?", 1)[0]
        if path != EVENTS_PATH:
            allowed = path in ("/healthz", "/metrics")
            if allowed:
                raise Refused(405, "method", "POST is not allowed here")
            raise Refused(404, "path", f"no such path: {path}")
        if not intake.accepting:
            raise Refused(503, "stopping", "the server is shutting down; retry later", close=True)
        auth = intake.auth
        bearer = auth.bearer_ok(self.headers.get("Authorization"))
        signature = self.headers.get(SIGNATURE_HEADER)
        if auth.enabled and not bearer and not (auth.secret is not None and signature):
            raise Refused(  # before anything else: a stranger learns nothing more
                401,
                "unauthenticated",
                "sign the body (X-Agentctl-Signature) or send Authorization: Bearer",
            )
        kind = media_kind(self.headers.get("Content-Type"))
        if kind is None:
            raise Refused(
                415,
                "content_type",
                "send application/cloudevents+json (one event) or "
                "application/cloudevents-batch+json (a JSON array of events), UTF-8",
            )
        body = self._read_body(intake.max_body)
        if auth.enabled and not bearer and not auth.signature_ok(signature, body):
            raise Refused(401, "bad_signature", "the signature does not match the body")
        events, problems = parse_body(kind, body)
        if problems:
            raise Refused(400, "invalid", str(problems[0]), body=problems_json(problems))
        now = stamp(intake.clock())
        try:
            accepted = intake.writer.put(events, now) if events else []
        except QueueError as exc:
            raise Refused(503, "queue", f"the event could not be stored: {exc.message}") from None
        new = sum(1 for a in accepted if not a.duplicate)
        if new:
            intake.metrics.inc("agentctl_events_accepted_total", new)
        if len(accepted) - new:
            intake.metrics.inc("agentctl_events_duplicate_total", len(accepted) - new)
        body_out = orjson.dumps(
            {
                "accepted": [
                    {"source": a.source, "id": a.id, "seq": a.seq, "duplicate": a.duplicate}
                    for a in accepted
                ]
            }
        )
        self._send(202, body_out)
        return {"events": len(accepted), "new": new}

    def _read_body(self, limit: int) -> bytes:
        te = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        if te and self.headers.get("Content-Length") is not None:
            raise Refused(  # RFC 9112 6.3: the sign of request smuggling; never guess
                400, "bad_length", "both Transfer-Encoding and Content-Length", close=True
            )
        if te:
            if te != "chunked":
                raise Refused(501, "transfer_encoding", f"Transfer-Encoding {te!r} is not taken")
            body = self._read_chunked(limit)
            self._body_read = True
            return body
        length = self.headers.get("Content-Length")
        if length is None:
            raise Refused(411, "length_required", "send a Content-Length (or chunked encoding)")
        try:
            n = int(length)
            if n < 0:
                raise ValueError
        except ValueError:
            raise Refused(400, "bad_length", f"Content-Length {length!r} is not a size") from None
        if n > limit:
            raise Refused(413, "too_large", f"the body is over the {limit}-byte limit")
        body = self.rfile.read(n)
        if len(body) != n:
            raise Refused(400, "short_body", "the body ended before its Content-Length", close=True)
        self._body_read = True
        return body

    def _read_chunked(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(_CHUNK_LINE_MAX + 1)
            if len(line) > _CHUNK_LINE_MAX or not line.endswith(b"\n"):
                raise Refused(400, "bad_chunk", "a malformed chunk size line", close=True)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise Refused(400, "bad_chunk", "a malformed chunk size", close=True) from None
            if size == 0:
                while True:  # trailers, up to the blank line
                    trailer = self.rfile.readline(_CHUNK_LINE_MAX + 1)
                    if trailer in (b"\r\n", b"\n", b""):
                        return b"".join(parts)
            total += size
            if total > limit:
                raise Refused(
                    413, "too_large", f"the body is over the {limit}-byte limit", close=True
                )
            chunk = self.rfile.read(size)
            self.rfile.readline(3)  # the CRLF after the chunk
            if len(chunk) != size:
                raise Refused(400, "short_body", "the body ended inside a chunk", close=True)
            parts.append(chunk)


class IntakeServer(ThreadingHTTPServer):
    """The threaded server, with the live connections tracked so that shutdown can end
    the idle keep-alive ones (they would otherwise hold their threads forever)."""

    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True
    request_queue_size = 128  # socketserver's 5 resets connections from a burst of senders

    def __init__(self, address: tuple[str, int], intake: Intake) -> None:
        self.intake = intake
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A request that broke the handler (a sender that vanished mid-answer, or a bug):
        one log line instead of socketserver's traceback on stderr; the server goes on."""
        import traceback

        last = traceback.format_exc().strip().splitlines()[-1]
        log_json({"ts": time.time(), "remote": str(client_address[0]), "error": last})

    def service_actions(self) -> None:
        flush_log()  # serve_forever calls this at least every poll interval (0.2 s)

    def track(self, conn: socket.socket, live: bool) -> None:
        with self._conns_lock:
            if live:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def end_idle_connections(self) -> None:
        """Stop reading from every connection: a handler waiting for a next request sees
        end-of-stream and exits; one already handling a request still writes its answer."""
        with self._conns_lock:
            conns = list(self._conns)
        for c in conns:
            with contextlib.suppress(OSError):  # already closed by its sender
                c.shutdown(socket.SHUT_RD)

    @property
    def bound(self) -> tuple[str, int]:
        host, port = self.server_address[:2]
        return str(host), int(port)
