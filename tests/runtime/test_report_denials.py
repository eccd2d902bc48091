"""`ledger report` counts what the ledger holds: one denial is one `denial` event, even when
the run it ended is recorded with status "denied" too (issue 8, item 17)."""

from __future__ import annotations

from typing import Any

from rt_helpers import Ws, charter, ws_fixture  # noqa: F401 - ws_fixture


def test_two_denials_are_counted_as_two(ws: Ws) -> None:
    from agentctl.ledger import Ledger
    from agentctl.ledger.stats import build

    ws.add(charter("reader", tools="[sys.read]"))
    # the first denial is caught by the agent; the second ends the run as "denied"
    steps: list[Any] = [["call", "sys.write", {}], ["call", "sys.write", {}]]
    res = ws.run("reader", {"steps": steps[:1]})
    assert res.status == "ok"
    res = ws.run("reader", {"steps": steps[1:], "catch": False})
    assert res.status == "denied"
    denial_events = ws.events("denial")
    assert len(denial_events) == 2
    assert [e["status"] for e in ws.events("run_end")] == ["ok", "denied"]
    with Ledger.open(ws.ledger_path) as led:
        report = build(led).to_dict()
    (version,) = [v for c in report["charters"] if c["charter"] == "reader" for v in c["versions"]]
    assert version["denials"] == 2
