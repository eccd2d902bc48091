"""Clock overrides (`run --now` / `--today`): where they may be used, and how their events
are marked.

An override judges a run by another time: its daily budgets, rate limits, contract dates
and credential expiry, and the `ts` of every event it writes. On a ledger that records real
runs that would let a run escape the day's limits (a fresh day in the past or future) and
hide its events from `query --since`. So overrides are refused on such a ledger: one that
holds any event written without an override. Tests and replays use a ledger of their own.
Every event written under an override carries `attrs.clock_override` (the override and the
real time it was written at); `ledger verify` counts them and `ledger query` marks them.
The rule reads only chained rows: a mark cannot be added or removed without verify seeing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from agentctl.errors import UsageError
from agentctl.ledger.store import Ledger

MARK = "clock_override"


def mark(real: str, now: str | None = None, today: str | None = None) -> dict[str, str]:
    """The attrs value of an event written under an override (`real`: the real time the run
    started, as a ledger timestamp)."""
    out = {"real_start": real}
    if now is not None:
        out["now"] = now
    if today is not None:
        out["today"] = today
    return out


def records_real_runs(ledger: Ledger) -> bool:
    """Whether any event was written without a clock override (on a ledger of real runs, the
    first row answers)."""
    row = ledger.conn.execute(
        f"SELECT 1 FROM events WHERE json_extract(attrs, '$.{MARK}') IS NULL LIMIT 1"
    ).fetchone()
    return row is not None


def refuse_on_real_ledger(ledger: Ledger, options: str) -> None:
    """Raise a UsageError when `ledger` records real runs (see the module docstring)."""
    if records_real_runs(ledger):
        raise UsageError(
            f"{options} cannot be used with {ledger.path}: it records real runs, whose daily "
            "budgets, rate limits and credential dates a clock override would escape",
            hint="replay or test against a ledger of its own: add --ledger replay.db",
        )


def overridden(attrs: Mapping[str, Any] | str | None) -> dict[str, Any] | None:
    """The override an event was written under (its attrs, parsed or as stored), or None."""
    if isinstance(attrs, str):
        if MARK not in attrs:
            return None
        attrs = orjson.loads(attrs)
    if not isinstance(attrs, Mapping):
        return None
    value = attrs.get(MARK)
    return dict(value) if isinstance(value, Mapping) else None


def note(attrs: Mapping[str, Any] | str | None) -> str | None:
    """A short label for display, to the second: "clock override: --now
    2026-11-25T10:00:00Z (real 2026-11-29T14:00:00Z)", or None for an event written on the
    real clock."""
    o = overridden(attrs)
    if o is None:
        return None
    parts = [f"--{k} {_short(o[k])}" for k in ("now", "today") if k in o]
    return f"clock override: {' '.join(parts)} (real {_short(o.get('real_start', '?'))})"


def _short(ts: Any) -> str:
    """A ledger timestamp to the second (the label fits 80 columns)."""
    text = str(ts)
    return text[:19] + "Z" if len(text) == 27 and text.endswith("Z") else text


def count_overridden(ledger: Ledger) -> int:
    row = ledger.conn.execute(
        f"SELECT count(*) FROM events WHERE json_extract(attrs, '$.{MARK}') IS NOT NULL"
    ).fetchone()
    return int(row[0])


def verify_warning(ledger: Ledger) -> str | None:
    """For `ledger verify`: how many events were written under a clock override."""
    n = count_overridden(ledger)
    if not n:
        return None
    return (
        f"{n} event{'s' if n != 1 else ''} written under a clock override (run --now/--today): "
        "their times are not real times (attrs.clock_override)"
    )
