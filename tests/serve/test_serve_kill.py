"""SIGKILL under load: every event answered 202 is in the queue, the file is intact, and a
restarted server answers each of them again as a duplicate (so a sender's retry is safe).

Kill points come from a seeded RNG (a number of acknowledged events, not a time), and the
assertions hold wherever the process was when it died: nothing depends on how far it got.
8 kill points by default; AGENTCTL_STRESS_SCALE scales them (CI: 0.1 keeps 2).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from serve_helpers import (
    CE,
    DEADLINE_S,
    SECRET,
    Server,
    event,
    start_server,  # noqa: F401 - a fixture
    wait_until,
)

from agentctl.serve.http import sign
from agentctl.serve.queue import Queue

SCALE = float(os.environ.get("AGENTCTL_STRESS_SCALE", "1.0"))
KILL_POINTS = max(2, int(8 * SCALE))
CLIENTS = 6


def _flood(s: Server, tag: str, acked: list[str], stop: threading.Event) -> None:
    """Post events until the connection fails or `stop`; record each id answered 202."""
    conn = http.client.HTTPConnection(s.host, s.port, timeout=DEADLINE_S)
    i = 0
    try:
        while not stop.is_set():
            ev = event(i, id=f"{tag}-{i}")
            body = json.dumps(ev).encode()
            conn.request(
                "POST",
                "/v1/events",
                body,
                {"Content-Type": CE, "X-Agentctl-Signature": sign(SECRET, body)},
            )
            r = conn.getresponse()
            r.read()
            if r.status == 202:
                acked.append(ev["id"])  # list.append is atomic: threads share the list
            i += 1
    except (OSError, http.client.HTTPException):
        pass  # the server was killed under us: this request was never acknowledged
    finally:
        conn.close()


@pytest.mark.slow
def test_every_acknowledged_event_survives_sigkill_under_load(start: Any, tmp_path: Path) -> None:
    rnd = random.Random(20261129)
    ws = tmp_path / "ws"
    all_acked: list[str] = []
    for point in range(KILL_POINTS):
        s: Server = start(root=ws)
        acked: list[str] = []
        stop = threading.Event()
        threads = [
            threading.Thread(target=_flood, args=(s, f"k{point}c{c}", acked, stop))
            for c in range(CLIENTS)
        ]
        for t in threads:
            t.start()
        target = rnd.randrange(1, 120)

        def enough(acked: list[str] = acked, target: int = target) -> bool:
            return len(acked) >= target

        wait_until(enough, "acknowledgements")
        s.proc.kill()  # SIGKILL with requests in flight on every connection
        s.proc.communicate()
        stop.set()
        for t in threads:
            t.join(DEADLINE_S)
        all_acked += acked
        conn = sqlite3.connect(s.queue_file)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        with Queue.open(s.queue_file) as q:
            stored = {e.id for e in q.after(0, 1_000_000)}
        missing = sorted(set(all_acked) - stored)
        assert missing == [], f"kill point {point}: acknowledged but lost: {missing[:5]}"
    # a sender retrying everything after the last restart: all duplicates, none stored again
    s = start(root=ws)
    with Queue.open(s.queue_file) as q:
        before = q.last_seq()
    batch = [event(0, id=i) for i in all_acked[:500]]
    body = json.dumps(batch).encode()
    status, answer = s.post(None, raw=body, ctype="application/cloudevents-batch+json")
    assert status == 202
    assert all(a["duplicate"] for a in answer["accepted"])
    with Queue.open(s.queue_file) as q:
        assert q.last_seq() == before
    assert s.stop()[0] == 0
