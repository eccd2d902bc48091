from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from agentctl.cli.common import WorkspaceOpt

if TYPE_CHECKING:
    from agentctl.serve.http import Auth


def command(
    workspace: Path = WorkspaceOpt,
    env: str = typer.Option(None, "--env", help="The deployment environment to serve."),
    listen: str = typer.Option(
        None, "--listen", help="HOST:PORT to listen on (default 127.0.0.1:8787; port 0: any)."
    ),
    events: str = typer.Option(
        None,
        "--events",
        help="Take CloudEvents as JSONL from FILE (- for stdin) instead of HTTP; exit once "
        "they are processed.",
    ),
    secret_env: str = typer.Option(
        None,
        "--secret-env",
        help="Env var holding the HMAC secret (default: spec.serve.secret_env).",
    ),
    token_env: str = typer.Option(
        None,
        "--token-env",
        help="Env var holding a bearer token (default: spec.serve.token_env).",
    ),
    insecure_no_auth: bool = typer.Option(
        False, "--insecure-no-auth", help="Take unauthenticated requests (loopback only)."
    ),
    max_body: int = typer.Option(
        1024 * 1024, "--max-body", min=1, help="The largest request body in bytes."
    ),
    ledger: Path = typer.Option(
        None, "--ledger", help="Ledger file (default: spec.ledger of agentctl.yaml)."
    ),
    consumer: str = typer.Option(None, "--consumer", hidden=True),
) -> int:
    """Take live events (CloudEvents over HTTP, or JSONL), queue them, act.

    POST /v1/events answers 202 once an event is stored durably;
    GET /healthz; GET /metrics (Prometheus). Requests are signed
    (X-Agentctl-Signature: sha256=HMAC of the body) or carry a bearer
    token. Prints the address it listens on. SIGTERM or Ctrl-C: stop
    taking events, finish in-flight work, exit 0. See docs/serve.md.

    Example: AGENTCTL_SECRET=s3cret agentctl serve --secret-env AGENTCTL_SECRET
    """
    import signal
    import sys
    import time
    from typing import BinaryIO

    from agentctl.cli.common import emit, ledger_file, load_for_running, workspace_root
    from agentctl.errors import ConfigError, FindingsError, UsageError
    from agentctl.ledger.location import queue_path
    from agentctl.serve.http import flush_log, log_json
    from agentctl.serve.metrics import Metrics
    from agentctl.serve.queue import Queue
    from agentctl.serve.server import (
        DEFAULT_CONSUMER,
        ServeContext,
        ServeOptions,
        Stop,
        consumer_factory,
        only_server,
        serve,
    )

    root = workspace_root(workspace)
    loaded = load_for_running(root, None, "serving").workspace
    settings = loaded.settings.serve
    factory = consumer_factory(consumer or DEFAULT_CONSUMER)
    opts = ServeOptions(max_body=max_body)
    feed: BinaryIO | None = None
    if events is not None:
        if listen is not None:
            raise UsageError("--events and --listen exclude each other", hint="pick one intake")
        opts.listen = None
        opts.events_name = events
        if events == "-":
            feed = sys.stdin.buffer
        else:
            try:
                feed = open(events, "rb")  # noqa: SIM115 - closed below, after the run
            except OSError as exc:
                raise ConfigError(
                    f"{events}: cannot read the events file: {exc.strerror}"
                ) from None
        opts.events = feed
    else:
        opts.listen = parse_listen(listen or "127.0.0.1:8787")
        opts.auth = _auth(secret_env or settings.secret_env, token_env or settings.token_env)
        host = opts.listen[0]
        if not opts.auth.enabled:
            if not insecure_no_auth:
                raise ConfigError(
                    "agentctl serve needs a way to authenticate senders",
                    hint="set spec.serve.secret_env in agentctl.yaml, or pass --secret-env NAME "
                    "or --token-env NAME (on loopback, --insecure-no-auth for local tests)",
                )
            if not is_loopback(host):
                raise UsageError(
                    f"--insecure-no-auth is for loopback addresses only, not {host}",
                    hint="give senders a secret: --secret-env NAME",
                )

    ledger_at = ledger_file(root, ledger)
    stop = Stop()
    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.getsignal(sig) or signal.SIG_DFL for sig in signals}

    def graceful(signum: int, frame: object) -> None:
        # the first signal stops gracefully; a second one acts as usual (Ctrl-C twice
        # interrupts a shutdown that takes too long: exit 130). No locks here (Stop).
        stop.signal()
        for sig in signals:
            signal.signal(sig, previous[sig])

    for sig in signals:
        signal.signal(sig, graceful)
    try:
        with only_server(ledger_at), Queue.open(queue_path(ledger_at)) as queue:
            ctx = ServeContext(root, env, ledger_at, queue, Metrics(), time.time, loaded)

            def bound(url: str) -> None:
                emit(f"listening on {url}")
                log_json({"ts": _now(), "msg": "listening", "url": url, "queue": str(queue.path)})
                flush_log()

            result = serve(ctx, factory, opts, stop, bound)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if feed is not None and feed is not sys.stdin.buffer:
            feed.close()
    log_json({"ts": _now(), "msg": "stopped", "by": result.stopped_by, "events_fed": result.fed})
    flush_log()
    if result.findings:
        raise FindingsError(
            f"{len(result.findings)} line(s) of {opts.events_name} were not CloudEvents "
            "and were skipped",
            result.findings,
        )
    return 0


def _now() -> str:
    import time

    from agentctl.engine.events import format_ts

    return format_ts(round(time.time(), 3))


def parse_listen(value: str) -> tuple[str, int]:
    """`HOST:PORT` or `[IPv6]:PORT` → (host, port)."""
    from agentctl.errors import UsageError

    host, sep, port_text = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text)
        if not sep or not host or not 0 <= port <= 65535:
            raise ValueError
    except ValueError:
        raise UsageError(
            f"--listen {value!r} is not HOST:PORT", hint="e.g. 127.0.0.1:8787 or [::1]:8787"
        ) from None
    return host, port


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _auth(secret_env: str | None, token_env: str | None) -> Auth:
    import os

    from agentctl.errors import ConfigError
    from agentctl.serve.http import Auth

    def read(name: str | None, what: str) -> bytes | None:
        if name is None:
            return None
        value = os.environ.get(name, "")
        if not value:
            raise ConfigError(
                f"the {what} environment variable {name} is not set (or empty)",
                hint=f"export {name}=... before agentctl serve",
            )
        return value.encode()

    return Auth(secret=read(secret_env, "secret"), token=read(token_env, "token"))
