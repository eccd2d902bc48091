"""A real `agentctl serve` process: intake, refusals, health and metrics over HTTP."""

from __future__ import annotations

import json
import socket
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from serve_helpers import (
    BATCH,
    CE,
    DEADLINE_S,
    SECRET,
    TOKEN,
    Server,
    event,
    shared_server,  # noqa: F401 - a fixture
)

from agentctl.serve.cloudevents import parse_event
from agentctl.serve.queue import Queue


def queued_ids(server: Server) -> list[str]:
    with Queue.open(server.queue_file) as q:
        return [e.id for e in q.after(0, 100_000)]


def test_a_signed_event_is_accepted_and_stored(shared: Server) -> None:
    status, body = shared.post(event(1, id="stored-1"))
    assert status == 202
    [acc] = body["accepted"]
    assert acc["id"] == "stored-1" and acc["duplicate"] is False
    with Queue.open(shared.queue_file) as q:
        got = q.get(acc["seq"])
        assert got is not None and got.data == {"n": 1} and got.time == "2026-03-01T08:00:00Z"


def test_a_bearer_token_is_enough(shared: Server) -> None:
    status, _ = shared.post(
        event(2, id="bearer-1"), secret=None, extra={"Authorization": f"Bearer {TOKEN.decode()}"}
    )
    assert status == 202
    status, _ = shared.post(
        event(2, id="bearer-2"), secret=None, extra={"Authorization": "Bearer wrong"}
    )
    assert status == 401 and "bearer-2" not in queued_ids(shared)


def test_a_duplicate_is_accepted_once(shared: Server) -> None:
    s1, b1 = shared.post(event(3, id="dup-1"))
    s2, b2 = shared.post(event(3, id="dup-1", data={"n": 99}))
    assert (s1, s2) == (202, 202)
    assert b2["accepted"][0]["duplicate"] is True
    assert b2["accepted"][0]["seq"] == b1["accepted"][0]["seq"]
    assert queued_ids(shared).count("dup-1") == 1


def test_a_batch_is_stored_whole(shared: Server) -> None:
    status, body = shared.post([event(4, id="b-1"), event(5, id="b-2")], ctype=BATCH)
    assert status == 202 and [a["id"] for a in body["accepted"]] == ["b-1", "b-2"]
    status, body = shared.post([event(6, id="b-3"), event(7, id="")], ctype=BATCH)
    assert status == 400
    assert body["problems"] == [{"index": 1, "attribute": "id", "message": "must not be empty"}]
    assert "b-3" not in queued_ids(shared)


def test_each_bad_request_is_refused_with_its_status_and_nothing_is_stored(
    shared: Server,
) -> None:
    before = queued_ids(shared)
    ok = json.dumps(event(10, id="refused")).encode()
    cases: list[tuple[str, int, dict[str, Any]]] = [
        ("unsigned", 401, {"secret": None}),
        ("unsigned and another media type", 401, {"secret": None, "ctype": "text/plain"}),
        ("wrong secret", 401, {"secret": b"not-the-secret"}),
        ("signature of another body", 401, {"extra": {"X-Agentctl-Signature": "sha256=00"}}),
        ("not JSON", 400, {"raw": b"{not json"}),
        ("not a CloudEvent", 400, {"raw": b'{"hello": "world"}'}),
        ("plain JSON media type", 415, {"ctype": "application/json", "raw": ok}),
        ("no media type", 415, {"ctype": "", "raw": ok}),
        ("over --max-body", 413, {"raw": json.dumps(event(11, data={"x": "y" * 5000})).encode()}),
    ]
    for name, want, kw in cases:
        value = kw.pop("value", None)
        extra = kw.pop("extra", None)
        if extra:  # a header that overrides the right signature
            status, body = shared.post(value, secret=None, raw=ok, extra=extra)
        else:
            status, body = shared.post(value, **kw)
        assert status == want, (name, status, body)
        assert isinstance(body["error"], str) and body["error"], name
    assert queued_ids(shared) == before


def test_a_400_names_the_attribute(shared: Server) -> None:
    status, body = shared.post(event(12, time="yesterday", specversion="0.3"))
    assert status == 400
    assert {p["attribute"] for p in body["problems"]} == {"time", "specversion"}


def test_other_paths_and_methods(shared: Server) -> None:
    status, _, headers = shared.request("GET", "/v1/events")
    assert status == 405 and headers["allow"] == "POST"
    assert shared.request("DELETE", "/v1/events")[0] == 405
    assert shared.request("GET", "/nope")[0] == 404
    assert shared.request("POST", "/metrics", b"", {"Content-Type": CE})[0] == 405


def test_an_oversized_body_is_refused_before_it_is_read(shared: Server) -> None:
    """413 from the headers alone: the client sends 100 of the 10 MiB it announces and
    still gets its answer (a server that read the whole body would wait forever)."""
    with socket.create_connection((shared.host, shared.port), timeout=DEADLINE_S) as sock:
        sock.sendall(
            b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: " + CE.encode() + b"\r\n"
            b"Content-Length: 10485760\r\nX-Agentctl-Signature: sha256=00\r\n\r\n" + b"x" * 100
        )
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"Connection: close" in answer


def test_a_bad_content_length_is_refused_and_the_server_goes_on(shared: Server) -> None:
    for length in (b"abc", b"-5", b"10\r\nTransfer-Encoding: chunked"):
        with socket.create_connection((shared.host, shared.port), timeout=DEADLINE_S) as sock:
            sock.sendall(
                b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: " + CE.encode() + b"\r\n"
                b"Content-Length: " + length + b"\r\nAuthorization: Bearer " + TOKEN + b"\r\n\r\n"
            )
            answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 400 "), answer
        assert b"Connection: close" in answer
    assert shared.request("GET", "/healthz")[0] == 200


def test_a_chunked_body_over_the_limit_is_refused(shared: Server) -> None:
    with socket.create_connection((shared.host, shared.port), timeout=DEADLINE_S) as sock:
        sock.sendall(
            b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: " + CE.encode() + b"\r\n"
            b"Transfer-Encoding: chunked\r\nX-Agentctl-Signature: sha256=00\r\n\r\n"
            + b"1000\r\n"
            + b"x" * 4096
            + b"\r\n1000\r\n"
            + b"x" * 4096
            + b"\r\n"
        )
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_a_chunked_signed_body_is_taken(shared: Server) -> None:
    conn = shared.conn()
    body = json.dumps(event(13, id="chunked-1")).encode()
    from agentctl.serve.http import sign

    conn.putrequest("POST", "/v1/events")
    conn.putheader("Content-Type", CE)
    conn.putheader("Transfer-Encoding", "chunked")
    conn.putheader("X-Agentctl-Signature", sign(SECRET, body))
    conn.endheaders()
    for part in (body[:10], body[10:]):
        conn.send(b"%x\r\n%s\r\n" % (len(part), part))
    conn.send(b"0\r\n\r\n")
    r = conn.getresponse()
    assert r.status == 202, r.read()
    conn.close()
    assert "chunked-1" in queued_ids(shared)


def test_keep_alive_serves_many_events_on_one_connection(shared: Server) -> None:
    conn = shared.conn()
    for i in range(5):
        status, _ = shared.post(event(i, id=f"ka-{i}"), conn=conn)
        assert status == 202
    conn.close()


def test_healthz(shared: Server) -> None:
    status, body, headers = shared.request("GET", "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert headers["content-type"] == "application/json"


def test_metrics_parse_as_prometheus_text(shared: Server) -> None:
    shared.post(event(20, id="m-1"))
    shared.post(event(20, id="m-1"))
    shared.post(event(21), secret=None)
    status, body, headers = shared.request("GET", "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    assert {
        "agentctl_events_accepted",
        "agentctl_events_duplicate",
        "agentctl_requests_refused",
        "agentctl_queue_depth",
        "agentctl_decisions",
        "agentctl_actions",
        "agentctl_approval_wait_seconds",
    } <= set(families)

    def value(family: str, **labels: str) -> float:
        for s in families[family].samples:
            if s.labels == labels and not s.name.endswith("_created"):
                return float(s.value)
        raise KeyError((family, labels))

    assert value("agentctl_events_accepted") >= 1
    assert value("agentctl_events_duplicate") >= 1
    assert value("agentctl_requests_refused", reason="unauthenticated") >= 1
    assert families["agentctl_queue_depth"].type == "gauge"


json_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_any = st.recursive(
    json_leaf,
    lambda k: st.lists(k, max_size=3) | st.dictionaries(st.text(max_size=8), k, max_size=3),
    max_leaves=12,
)
ce_like = st.fixed_dictionaries(
    {},
    optional={
        k: st.sampled_from(["1.0", "x", ""]) | json_any
        for k in ("specversion", "id", "source", "type", "time", "data", "subject")
    },
)
bodies = st.one_of(
    st.binary(max_size=300),
    ce_like.map(lambda d: json.dumps(d).encode()),
    st.lists(ce_like, max_size=3).map(lambda d: json.dumps(d).encode()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies, batch=st.booleans())
def test_fuzzed_bodies_never_crash_the_server_nor_store_anything_invalid(
    shared: Server, body: bytes, batch: bool
) -> None:
    status, answer = shared.post(None, raw=body, ctype=BATCH if batch else CE)
    assert status in (202, 400), (status, answer)
    assert shared.request("GET", "/healthz")[0] == 200
    if status == 202:
        with Queue.open(shared.queue_file) as q:
            for acc in answer["accepted"]:
                got = q.get(acc["seq"])
                assert got is not None
                again = {
                    "specversion": "1.0",
                    "id": got.id,
                    "source": got.source,
                    "type": got.type,
                    "data": got.data,
                    **got.extra,
                }
                assert not isinstance(parse_event(again), list)
