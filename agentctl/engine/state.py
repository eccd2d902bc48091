"""A policy's memory: counters for the policy as a whole, holds and cooldowns per key.

Bounds and the budget cap the policy as a whole, so their counters live once per policy.
Since when the condition has held (`for:`) and when it last acted (cooldown) live in a
KeyState: one for a policy without `key:`, one per key value for a policy with one.

Memory stays bounded on streams with many keys (docs/simulate.md, "Keys"):
- a key's state is created only when its condition first holds;
- it is forgotten as soon as it is idle, i.e. no decision can depend on it: its cooldown
  is over (or it never acted) and it is not waiting out `for:` (its condition does not
  hold, or the policy has no `for:`). A fresh state decides exactly the same; only
  `state.pending_since`, `state.held_s` and `state.last_fired` start over, as for a key
  never seen. Idle keys go at once when their condition turns false, and in a sweep
  whenever the table has doubled since the last one (amortised O(1) per event);
- past `max_keys` live keys a sweep also evicts the least recently seen ones down to 90%
  of the cap. That can change decisions (an evicted key starts its `for:` and cooldown
  afresh), so evictions are counted and reported.
"""

from __future__ import annotations

from decimal import Decimal

MAX_KEYS = 100_000  # live keys per policy: ~200 bytes each, so ~20 MB at the cap
SWEEP_MIN = 1024


class KeyState:
    """One key's hold and cooldown; `seen` orders keys for eviction (least recent first)."""

    __slots__ = ("last_fired", "pending_since", "seen")

    def __init__(self, seen: int = 0) -> None:
        self.pending_since: float | None = None
        self.last_fired: float | None = None
        self.seen = seen


class PolicyState:
    """Bounds and budget counters for the whole policy, and its key states."""

    __slots__ = (
        "day",
        "evicted",
        "fired_day",
        "fired_hour",
        "hour",
        "keys",
        "last_fired",
        "month",
        "peak",
        "single",
        "spent_day",
        "spent_month",
        "sweep_at",
    )

    def __init__(self) -> None:
        self.single = KeyState()  # the one state of a policy without `key:`
        self.keys: dict[str, KeyState] = {}
        self.last_fired: float | None = None  # on any key
        self.day = ""
        self.fired_day = 0
        self.hour = ""
        self.fired_hour = 0
        self.spent_day = Decimal(0)
        self.month = ""
        self.spent_month = Decimal(0)
        self.sweep_at = SWEEP_MIN
        self.peak = 0  # the most keys held at once
        self.evicted = 0  # keys dropped by the cap while not idle

    def add_key(
        self, key: str, seen: int, ts: float, for_s: float, cooldown_s: float, cap: int
    ) -> KeyState:
        keys = self.keys
        if len(keys) >= self.sweep_at or len(keys) >= cap:
            self.sweep(ts, for_s, cooldown_s, cap)
        ks = keys[key] = KeyState(seen)
        if len(keys) > self.peak:
            self.peak = len(keys)
        return ks

    def release(self, key: str, ks: KeyState, ts: float, cooldown_s: float) -> None:
        """The key's condition does not hold (false or an error): its hold ends."""
        ks.pending_since = None
        if ks.last_fired is None or ts - ks.last_fired >= cooldown_s:
            del self.keys[key]

    def sweep(self, ts: float, for_s: float, cooldown_s: float, cap: int) -> None:
        keys = self.keys
        idle = [
            k
            for k, s in keys.items()
            if (s.last_fired is None or ts - s.last_fired >= cooldown_s)
            and (s.pending_since is None or for_s <= 0)
        ]
        for k in idle:
            del keys[k]
        if len(keys) >= cap:
            keep = cap * 9 // 10
            oldest = sorted(keys.items(), key=lambda kv: kv[1].seen)[: len(keys) - keep]
            for k, _ in oldest:
                del keys[k]
            self.evicted += len(oldest)
        self.sweep_at = min(max(SWEEP_MIN, 2 * len(keys)), cap)
