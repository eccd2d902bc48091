"""Schedules: a policy's `schedule:` (cron, in the workspace's time zone) as queued events.

Pure: the shell passes the time. Each firing is a CloudEvent of type
`agentctl.schedule.<policy>` whose `id` is the policy and the scheduled instant, so a firing
queued twice (a tick repeated after a restart) is accepted once by the queue's
duplicate check, and its `time` is the scheduled instant, not the moment of the tick.

Daylight saving time follows cron (cronsim implements Debian cron's rules): a daily
02:30 in Europe/Berlin runs at 03:00 on the day the clocks skip 02:00-03:00, and once
(the first 02:30) on the day 02:00-03:00 happens twice. docs/serve.md, "Schedules".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

from agentctl.engine.events import format_ts

PREFIX = "agentctl.schedule."
SOURCE = "agentctl/schedule"
MAX_CATCH_UP = 24  # firings missed while serve was down that are still queued (the latest)


def event_type(policy: str) -> str:
    """The event type a policy's schedule fires (one place for the rule)."""
    return PREFIX + policy


def problem(cron: str) -> str | None:
    """Why `cron` is not a schedule cronsim accepts (5 fields), or None."""
    if len(cron.split()) != 5:
        return f"{cron!r} is not a 5-field cron expression (minute hour day month weekday)"
    try:
        CronSim(cron, datetime(2026, 1, 1, tzinfo=UTC))
    except CronSimError as exc:
        return f"{cron!r}: {exc}"
    return None


@dataclass(frozen=True)
class Schedule:
    policy: str
    cron: str


def _zone(name: str) -> tzinfo:
    return UTC if name == "UTC" else ZoneInfo(name)


def firings(cron: str, timezone: str, after: float, until: float) -> list[float]:
    """The instants (epoch seconds) of `cron` in (after, until], at most MAX_CATCH_UP (the
    latest ones): what a tick at `until` owes since the last firing at `after`."""
    tz = _zone(timezone)
    it = CronSim(cron, datetime.fromtimestamp(after, tz))
    out: list[float] = []
    for moment in it:
        ts = moment.timestamp()
        if ts <= after:  # cronsim starts at the minute after `after`; never before it
            continue
        if ts > until:
            break
        out.append(ts)
        if len(out) > MAX_CATCH_UP:
            out.pop(0)
    return out


def cloudevent(policy: str, ts: float) -> dict[str, Any]:
    """One firing as a CloudEvent (deterministic id: the queue accepts it once)."""
    when = format_ts(ts)
    return {
        "specversion": "1.0",
        "id": f"{policy}@{when}",
        "source": SOURCE,
        "type": event_type(policy),
        "time": when,
        "datacontenttype": "application/json",
        "data": {"policy": policy, "scheduled_for": when},
    }


def due(
    schedules: list[Schedule], timezone: str, last: dict[str, float], now: float
) -> list[dict[str, Any]]:
    """The CloudEvents every schedule owes at `now`, given each one's last firing (`last`,
    updated in place; a schedule not in it starts at `now`), in time order."""
    out: list[tuple[float, str, dict[str, Any]]] = []
    for s in schedules:
        after = last.get(s.policy)
        if after is None:
            last[s.policy] = now
            continue
        for ts in firings(s.cron, timezone, after, now):
            out.append((ts, s.policy, cloudevent(s.policy, ts)))
            last[s.policy] = ts
    out.sort(key=lambda x: (x[0], x[1]))
    return [e for _, _, e in out]


def of_workspace(policies: list[Any]) -> list[Schedule]:
    """The schedules of the workspace's policies (resources with a `spec.schedule`)."""
    return [
        Schedule(p.name, p.doc.spec.schedule) for p in policies if p.doc.spec.schedule is not None
    ]
