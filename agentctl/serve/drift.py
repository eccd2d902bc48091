"""Drift alerts: the ledger's own measurements, per charter and version, as events that
policies react to like any other (`on: [agentctl.drift]`).

At the end of each window (an hour, aligned to the epoch) the worker measures the window
with `ledger report`'s code (agentctl/ledger/stats.py, one source for the numbers) and
queues one `agentctl.drift` CloudEvent per charter version that finished runs in it. Its
id names the charter, the version and the window, so a window measured again after a
restart is accepted once; its time is the window's end. docs/serve.md, "Drift alerts".
"""

from __future__ import annotations

from typing import Any

from agentctl.engine.events import format_ts
from agentctl.ledger import Ledger
from agentctl.ledger.record import format_ts as ledger_ts
from agentctl.ledger.stats import build

TYPE = "agentctl.drift"
SOURCE = "agentctl/drift"
WINDOW_S = 3600


def window_end(now: float, window_s: float = WINDOW_S) -> float:
    """The end of the last whole window at `now` (windows are aligned to the epoch)."""
    return (now // window_s) * window_s


def measure(ledger: Ledger, end: float, window_s: float = WINDOW_S) -> list[dict[str, Any]]:
    """The drift CloudEvents of the window that ends at `end`."""
    import datetime as _dt

    def at(ts: float) -> str:
        return ledger_ts(_dt.datetime.fromtimestamp(ts, _dt.UTC))

    since, until = at(end - window_s), at(end)
    report = build(ledger, since, until)
    out: list[dict[str, Any]] = []
    for charter, versions in report.charters.items():
        for v in versions:
            if not v.finished or "/" in charter:  # runs of charters only, not policies/people
                continue
            data: dict[str, Any] = {
                "charter": charter,
                "version": v.version,
                "window_s": window_s,
                "since": format_ts(end - window_s),
                "until": format_ts(end),
                "runs": v.finished,
                "success_rate": v.success_rate,
                "cost_usd": round(v.cost_usd, 9),
                "cost_per_action": v.cost_per_action,
                "sla_misses": sum(v.sla_misses.values()),
                "denials": v.denials,
                "escalations": v.escalations,
            }
            if v.delta is not None and v.delta.get("success_rate") is not None:
                data["success_rate_change"] = v.delta["success_rate"]
            out.append(
                {
                    "specversion": "1.0",
                    "id": f"{charter}@{v.version[:16]}@{format_ts(end)}",
                    "source": SOURCE,
                    "type": TYPE,
                    "time": format_ts(end),
                    "data": {k: x for k, x in data.items() if x is not None},
                }
            )
    return out


def due(
    ledger: Ledger, last_end: float | None, now: float, window_s: float = WINDOW_S
) -> tuple[list[dict[str, Any]], float]:
    """The drift events owed at `now` and the new last window end. The first call (no
    `last_end`) only notes where it is: history before serve started is not replayed."""
    end = window_end(now, window_s)
    if last_end is None or end <= last_end:
        return [], end if last_end is None else last_end
    return measure(ledger, end, window_s), end
