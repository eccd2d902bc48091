"""Contracts' SLAs end to end: success rate judged as a rate over the day (across runs, read
from the ledger), misses counted against the provider in `ledger report` (per contract,
on the provider's version that answered), and `on_breach.count_missed: false` honoured."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from rt_helpers import NOW, Ws, charter, ws_fixture  # noqa: F401 - ws_fixture

CONTRACTS = """\
apiVersion: agentctl/v1
kind: Contract
metadata: {name: counted, owner: role/ops}
spec:
  consumer: charter/asker
  provider: charter/helper
  scopes: [sys.read]
  sla: {success_rate: 0.5, fields: [answer]}
---
apiVersion: agentctl/v1
kind: Contract
metadata: {name: lenient, owner: role/ops}
spec:
  consumer: charter/asker
  provider: charter/helper2
  scopes: [sys.read]
  sla: {success_rate: 0.99}
  on_breach: {count_missed: false}
"""

OK = {"steps": [], "extra": {"answer": 1}}
FAIL = {"steps": [["call", "sys.write", {}]], "catch": False}  # denied, not caught


def ask(ws: Ws, minute: int, target: str, payload: dict[str, Any]) -> None:
    ws.run(
        "asker",
        {"steps": [["ask", target, payload]]},
        start=NOW + dt.timedelta(minutes=minute),
    )


def requests(ws: Ws) -> list[dict[str, Any]]:
    return [json.loads(e["attrs"]) for e in ws.events("agent_request")]


def test_misses_count_against_the_provider_over_the_day(cli: Any, ws: Ws) -> None:
    ws.add(
        charter("asker", tools="[sys.read]"),
        charter("helper", tools="[sys.read]"),
        charter("helper2", tools="[sys.read]"),
        CONTRACTS,
    )
    ask(ws, 0, "charter/helper", OK)
    ask(ws, 1, "charter/helper", FAIL)  # 1 of 2: at 0.5, within the rate: not a miss
    ask(ws, 2, "charter/helper", FAIL)  # 1 of 3: under 0.5: a miss
    ask(ws, 3, "charter/helper2", FAIL)  # a miss the contract does not count
    got = [(a["contract"], a["sla_missed"], a.get("count_missed")) for a in requests(ws)]
    assert got == [
        ("counted", False, None),
        ("counted", False, None),
        ("counted", True, True),
        ("lenient", True, False),
    ]
    assert requests(ws)[2]["sla_reasons"] == [
        "success rate 0.33 over the day's 3 requests, under 0.5"
    ]
    assert requests(ws)[2]["sla_window"] == {
        "requests": 3,
        "ok": 1,
        "success_rate": 0.333333,
        "complete": 1,
        "field_coverage": 1.0,  # over the answers: a failure is not an incomplete answer
    }
    assert requests(ws)[0]["fields_complete"] is True

    r = cli("ledger", "report", "-l", ws.ledger_path, "-f", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    misses = {c["charter"]: [v["sla_misses"] for v in c["versions"]] for c in doc["charters"]}
    assert misses == {"asker": [{}], "helper": [{"counted": 1}], "helper2": [{}]}
    helper_version = ws.version("charter/helper")
    (helper,) = [c for c in doc["charters"] if c["charter"] == "helper"]
    assert helper["versions"][0]["version"] == helper_version
    assert [
        (c["contract"], c["provider"], c["sla_misses"], c["uncounted_misses"])
        for c in doc["contracts"]
    ] == [("counted", "helper", 1, 0), ("lenient", "helper2", 0, 1)]
    # a report of the provider alone still sees the misses its consumers recorded
    only = json.loads(
        cli("ledger", "report", "-l", ws.ledger_path, "-f", "json", "--agent", "helper").stdout
    )
    assert [c["charter"] for c in only["charters"]] == ["helper"]
    assert only["charters"][0]["versions"][0]["sla_misses"] == {"counted": 1}
    text = cli("ledger", "report", "-l", ws.ledger_path).stdout
    assert [line.split() for line in text.splitlines()[-2:]] == [
        ["counted", "helper", "3", "1"],
        ["lenient", "helper2", "1", "0"],
    ]
