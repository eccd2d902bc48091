"""The serve process: durable across SIGKILL, clean exit on SIGTERM/SIGINT, --events, and
the configuration it refuses to start with."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from serve_helpers import (
    CE,
    DEADLINE_S,
    SECRET,
    Server,
    event,
    make_workspace,
    serve_env,
    start_server,  # noqa: F401 - a fixture
)
from support import agentctl_bin

from agentctl.serve.http import Auth, Intake, IntakeServer, sign
from agentctl.serve.metrics import Metrics
from agentctl.serve.queue import GroupCommit, Queue
from agentctl.serve.server import ServeContext, ServeOptions, Stop, serve


def test_an_event_answered_202_survives_kill_9(start: Any) -> None:
    s: Server = start()
    seqs = []
    for i in range(5):
        status, body = s.post(event(i))
        assert status == 202
        seqs.append(body["accepted"][0]["seq"])
    s.proc.kill()  # SIGKILL right after the last 202: no shutdown code runs
    s.proc.communicate()
    with Queue.open(s.queue_file) as q:
        got = {e.seq: e.id for e in q.after(0)}
    assert [got[n] for n in seqs] == [f"evt-{i}" for i in range(5)]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_server_cleanly_even_with_an_idle_connection(
    start: Any, sig: int
) -> None:
    s: Server = start()
    idle = s.conn()  # a keep-alive connection left open: shutdown must not wait for it
    assert s.post(event(1), conn=idle)[0] == 202
    code, out, err = s.stop(sig)
    idle.close()
    assert code == 0, err
    assert s.listening.startswith("listening on http://127.0.0.1:") and out == ""
    logs = [json.loads(line) for line in err.splitlines()]
    assert logs[-1]["msg"] == "stopped" and logs[-1]["by"] == "signal"
    assert any(r.get("status") == 202 for r in logs)  # one structured line per request
    with Queue.open(s.queue_file) as q:
        assert [e.id for e in q.after(0)] == ["evt-1"]


def test_signals_in_quick_succession_never_hang_the_process(start: Any) -> None:
    """The first signal stops gracefully, the next ones act as usual; none may deadlock
    (a handler that set a threading.Event did, when it ran inside the main thread's
    Event.wait: `timeout` and a user's kill sent two SIGTERMs)."""
    import os

    for _ in range(3):
        s: Server = start()
        assert s.post(event(1))[0] == 202
        for sig in (signal.SIGTERM, signal.SIGTERM, signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ProcessLookupError):
                os.kill(s.proc.pid, sig)
        try:
            s.proc.communicate(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            s.proc.kill()
            raise AssertionError("serve hung on signals in quick succession") from None
        assert s.proc.returncode in (0, -signal.SIGTERM, -signal.SIGINT, 130)


def test_restart_keeps_the_queue_and_its_duplicates(start: Any, tmp_path: Path) -> None:
    ws = tmp_path / "again"
    s: Server = start(root=ws)
    assert s.post(event(1))[0] == 202
    assert s.stop()[0] == 0
    s2: Server = start(root=ws)
    status, body = s2.post(event(1))
    assert status == 202 and body["accepted"][0] == {
        "source": "/tests/serve",
        "id": "evt-1",
        "seq": 1,
        "duplicate": True,
    }
    assert s2.stop()[0] == 0


def _lines(*items: Any) -> bytes:
    return b"".join((x if isinstance(x, bytes) else json.dumps(x).encode()) + b"\n" for x in items)


def test_events_from_stdin_go_through_the_queue_and_the_process_exits(
    start: Any, tmp_path: Path
) -> None:
    feed = tmp_path / "in.jsonl"
    feed.write_bytes(_lines(event(1), event(2), b"", event(1)))
    with feed.open("rb") as fh:
        s: Server = start("--events", "-", stdin=fh)
        code, _, err = _wait(s)
    assert code == 0, err
    with Queue.open(s.queue_file) as q:
        assert [e.id for e in q.after(0)] == ["evt-1", "evt-2"]
        assert q.processed() == 2  # the worker drained before the exit


def test_bad_lines_in_events_are_findings_and_exit_1(start: Any, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "in.jsonl").write_bytes(_lines(event(1), b"{not json", event(2, id=""), event(3)))
    s: Server = start("--events", "in.jsonl", root=ws)  # the process runs in the workspace
    code, _, err = _wait(s)
    assert code == 1, err
    assert "in.jsonl:2:1: event-invalid error: the line is not JSON" in err
    assert "in.jsonl:3:1: event-invalid error: 'id': must not be empty" in err
    assert "2 line(s) of in.jsonl were not CloudEvents and were skipped" in err
    with Queue.open(s.queue_file) as q:
        assert [e.id for e in q.after(0)] == ["evt-1", "evt-3"]


def _wait(s: Server) -> tuple[int, str, str]:
    try:
        out, err = s.proc.communicate(timeout=DEADLINE_S)
    except subprocess.TimeoutExpired:
        s.proc.kill()
        raise
    return s.proc.returncode, out.decode(), err.decode()


def _run(ws: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    r = subprocess.run(
        [agentctl_bin(), "serve", "-w", str(ws), *args],
        capture_output=True,
        text=True,
        env=env or serve_env(ws),
        timeout=DEADLINE_S,
        stdin=subprocess.DEVNULL,
    )
    return r.returncode, r.stderr


def test_configurations_it_refuses_to_start_with(cli: Any, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "agentctl.yaml").write_text(  # no spec.serve: no secret
        "apiVersion: agentctl/v1\nkind: Workspace\nmetadata: {name: w, owner: role/ops}\n"
    )

    def refused(*args: str) -> str:
        r = cli("serve", "-w", ws, *args)
        assert r.exit_code == 2 and "Traceback" not in r.stderr, r.stderr
        assert r.stderr.startswith("agentctl: error: "), r.stderr
        return str(r.stderr)

    err = refused("--listen", "127.0.0.1:0")
    assert "needs a way to authenticate senders" in err and "hint: set spec.serve" in err
    assert "loopback addresses only, not 0.0.0.0" in refused(
        "--listen", "0.0.0.0:0", "--insecure-no-auth"
    )
    assert "SERVE_TEST_UNSET is not set" in refused("--secret-env", "SERVE_TEST_UNSET")
    assert "'nowhere' is not HOST:PORT" in refused("--listen", "nowhere", "--insecure-no-auth")
    assert "exclude each other" in refused("--events", "-", "--listen", "127.0.0.1:0")
    assert "cannot read the events file" in refused("--events", str(tmp_path / "missing"))
    assert "unknown consumer 'nope'" in refused("--consumer", "nope", "--insecure-no-auth")


def test_one_serve_per_ledger(start: Any, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second serve on the same ledger would consume the same queue: refused, exit 2."""
    s: Server = start()
    monkeypatch.setenv("SERVE_TEST_SECRET", SECRET.decode())
    r = cli("serve", "-w", s.root, "--listen", "127.0.0.1:0", "--insecure-no-auth")
    assert r.exit_code == 2
    assert "another agentctl serve is running on the ledger" in r.stderr
    assert s.proc.poll() is None and s.post(event(1))[0] == 202


def test_init_keeps_the_queue_and_the_serve_lock_out_of_git() -> None:
    from agentctl.scaffold import ledger_ignores

    lines = ledger_ignores(".agentctl/ledger.db")
    for name in ("ledger.db.queue", "ledger.db.queue-wal", "ledger.db.serve-*.lock"):
        assert f"/.agentctl/{name}" in lines


def test_a_port_in_use_is_a_usage_error(start: Any, tmp_path: Path) -> None:
    s: Server = start()
    ws = make_workspace(tmp_path / "other")
    code, err = _run(ws, "--listen", f"127.0.0.1:{s.port}", "--secret-env", "SERVE_TEST_SECRET")
    assert code == 2 and f"cannot listen on 127.0.0.1:{s.port}" in err


def test_a_stopping_server_answers_503(tmp_path: Path) -> None:
    """While shutting down, intake refuses with 503 and /healthz says so (in-process: the
    moment cannot be caught from outside without racing the process)."""
    import http.client

    with Queue.open(tmp_path / "q.queue") as q:
        writer = GroupCommit(q)
        intake = Intake(writer, Metrics(), Auth(secret=SECRET))
        httpd = IntakeServer(("127.0.0.1", 0), intake)
        t = threading.Thread(target=httpd.serve_forever)
        t.start()
        try:
            intake.accepting = False
            c = http.client.HTTPConnection(*httpd.bound, timeout=DEADLINE_S)
            body = json.dumps(event(1)).encode()
            c.request(
                "POST",
                "/v1/events",
                body,
                {"Content-Type": CE, "X-Agentctl-Signature": sign(SECRET, body)},
            )
            r = c.getresponse()
            assert r.status == 503 and r.getheader("Connection") == "close"
            r.read()
            c.close()
            c = http.client.HTTPConnection(*httpd.bound, timeout=DEADLINE_S)
            c.request("GET", "/healthz")
            assert c.getresponse().status == 503
            c.close()
        finally:
            httpd.shutdown()
            t.join()
            httpd.server_close()
            writer.close()
        assert q.last_seq() == 0


class _Failing:
    def __init__(self, ctx: ServeContext) -> None:
        self.closed = False

    def start(self) -> None:
        pass

    def step(self, max_events: int) -> int:
        raise RuntimeError("the worker broke")

    def tick(self, now: datetime) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def test_a_failing_worker_stops_the_server_with_its_error(tmp_path: Path) -> None:
    with Queue.open(tmp_path / "q.queue") as q:
        ctx = ServeContext(tmp_path, None, tmp_path / "l.db", q, Metrics(), lambda: 0.0)
        made: list[_Failing] = []

        def factory(c: ServeContext) -> _Failing:
            made.append(_Failing(c))
            return made[0]

        opts = ServeOptions(listen=("127.0.0.1", 0), auth=Auth(secret=SECRET))
        with pytest.raises(RuntimeError, match="the worker broke"):
            serve(ctx, factory, opts, Stop())
        assert made[0].closed


class _Recording:
    """A consumer that records how the serve process drives it (and marks what it saw)."""

    def __init__(self, ctx: ServeContext) -> None:
        self.queue = ctx.queue
        self.calls: list[str] = []
        self.seen: list[str] = []
        self.ticks: list[datetime] = []

    def start(self) -> None:
        self.calls.append("start")

    def step(self, max_events: int) -> int:
        got = self.queue.after(self.queue.processed(), max_events)
        self.seen += [e.id for e in got]
        if got:
            self.queue.mark(got[-1].seq)
        return len(got)

    def tick(self, now: datetime) -> None:
        self.ticks.append(now)

    def close(self) -> None:
        self.calls.append("close")


def test_the_consumer_is_started_stepped_ticked_and_closed(tmp_path: Path) -> None:
    import io

    with Queue.open(tmp_path / "q.queue") as q:
        ctx = ServeContext(tmp_path, None, tmp_path / "l.db", q, Metrics(), lambda: 1772352000.5)
        made: list[_Recording] = []

        def factory(c: ServeContext) -> _Recording:
            made.append(_Recording(c))
            return made[0]

        feed = io.BytesIO(_lines(event(1), event(2), event(1)))
        opts = ServeOptions(listen=None, events=feed)
        result = serve(ctx, factory, opts, Stop())
        consumer = made[0]
        assert result.stopped_by == "end of input" and result.fed == 3
        assert consumer.seen == ["evt-1", "evt-2"] and consumer.calls == ["start", "close"]
        assert consumer.ticks and all(t.tzinfo is not None for t in consumer.ticks)
        assert consumer.ticks[0].timestamp() == 1772352000.5
        assert ctx.metrics.value("agentctl_events_duplicate_total") == 1


def test_a_signal_handler_takes_no_lock_the_main_thread_may_hold() -> None:
    """What the handler calls (Stop.signal) must return even while this thread holds the
    event's internal lock, as the main thread does inside Event.wait when a signal lands
    (Event.set there deadlocked); the next wait then sees the stop."""
    stop = Stop()
    done = threading.Event()

    def handler_while_locked() -> None:
        with stop._event._cond:  # type: ignore[attr-defined] # held by Event.wait
            stop.signal()
        done.set()

    t = threading.Thread(target=handler_while_locked, daemon=True)
    t.start()
    assert done.wait(DEADLINE_S), "Stop.signal blocked on the event's lock"
    assert stop.wait(0.0) is True
