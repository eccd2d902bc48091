"""Notify webhooks (issue 14): a human task POSTed, signed as intake signs, to a real local
HTTP server the test starts; retried within bounds; a server that is down costs a bounded
time and is recorded, never a stall."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from act_helpers import Hook

from agentctl.ledger import Ledger
from agentctl.ledger.verify import verify
from agentctl.model.index import Workspace
from agentctl.model.kinds import Notify
from agentctl.serve import actions

SECRET = "s3cret-for-tests"


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[actions.Context]:
    led = Ledger.open(tmp_path / "ledger.db")
    now = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
    c = actions.Context(
        Workspace(), tmp_path, led, led.writer(), lambda: now, {"HOOK_SECRET": SECRET}
    )
    yield c
    c.writer.flush()
    led.close()


def sent(c: actions.Context) -> list[dict[str, Any]]:
    c.writer.flush()
    rows = c.ledger.conn.execute(
        "SELECT status, attrs FROM events WHERE kind = 'notification' ORDER BY seq"
    )
    return [{"status": s, **json.loads(a)} for s, a in rows]


TRACE, SPAN = actions.ids("p@1")
PAYLOAD = {"task": {"task_id": "task-0123456789", "role": "role/ops"}, "policy": "p"}


def test_posted_signed_and_recorded(ctx: actions.Context) -> None:
    hook = Hook([202])
    try:
        res = actions.notify(
            ctx, Notify(url=hook.url, secret_env="HOOK_SECRET"), PAYLOAD, TRACE, SPAN, "p"
        )
    finally:
        hook.close()
    assert res.ok and res.attempts == 1 and res.status == 202
    ((headers, body),) = hook.got
    want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Agentctl-Signature"] == want
    assert json.loads(body) == PAYLOAD
    (rec,) = sent(ctx)
    assert rec["status"] == "ok" and rec["attempts"] == 1 and rec["signed"] is True
    assert rec["task_id"] == "task-0123456789"


def test_retried_on_5xx_within_bounds(ctx: actions.Context) -> None:
    hook = Hook([503, 500, 200])
    try:
        res = actions.notify(ctx, Notify(url=hook.url), PAYLOAD, TRACE, SPAN, "p")
    finally:
        hook.close()
    assert res.ok and res.attempts == 3 and len(hook.got) == 3
    assert "X-Agentctl-Signature" not in hook.got[0][0]  # no secret_env: unsigned
    (rec,) = sent(ctx)
    assert rec["attempts"] == 3 and rec["signed"] is False


def test_a_4xx_is_not_retried(ctx: actions.Context) -> None:
    hook = Hook([401])
    try:
        res = actions.notify(ctx, Notify(url=hook.url), PAYLOAD, TRACE, SPAN, "p")
    finally:
        hook.close()
    assert not res.ok and res.attempts == 1 and res.status == 401
    assert sent(ctx)[0]["status"] == "error"


def test_a_server_that_is_down_is_bounded_and_recorded(ctx: actions.Context) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = actions.post(f"http://127.0.0.1:{port}/hook", b"{}", None, attempts=3, total_s=5.0)
    assert not res.ok and 1 <= res.attempts <= 3 and res.error
    assert res.elapsed_s <= 5.0 + actions.NOTIFY_TIMEOUT_S  # never past its bound
    res = actions.notify(ctx, Notify(url=f"http://127.0.0.1:{port}/"), PAYLOAD, TRACE, SPAN, "p")
    (rec,) = sent(ctx)
    assert rec["status"] == "error" and rec["error"] and rec["attempts"] == res.attempts
    assert verify(ctx.ledger).ok


def test_a_missing_secret_is_not_sent_unsigned(ctx: actions.Context) -> None:
    hook = Hook([200])
    try:
        res = actions.notify(
            ctx, Notify(url=hook.url, secret_env="NOPE"), PAYLOAD, TRACE, SPAN, "p"
        )
    finally:
        hook.close()
    assert not res.ok and hook.got == [] and res.error == "$NOPE is not set: not sent unsigned"
