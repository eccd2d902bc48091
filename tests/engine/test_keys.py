"""Policies with `key:`: for: and cooldown per key value, bounds and budget per policy,
key errors, `state` per key, and memory that stays bounded on streams with many keys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from engine_helpers import engine_for, ev, policy, run, workspace
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agentctl.engine import Decision, Event, build, format_ts, parse_line
from agentctl.engine import state as state_mod
from agentctl.simulate import simulate

SKU = "event.data.sku"
T0 = 1_772_355_600  # 2026-03-01T09:00:00Z


def sale(ts: str, sku: str | None, risk: float = 0.9, seq: int = 0) -> Event:
    data: dict[str, Any] = {"risk": risk}
    if sku is not None:
        data["sku"] = sku
    return ev(ts, seq=seq, data=data)


def keyed(**spec: Any) -> str:
    spec.setdefault("condition", "event.data.risk > 0.8")
    spec.setdefault("key", SKU)
    return policy(**spec)


def rows(decisions: list[Decision]) -> list[tuple[str, str | None, str]]:
    return [(d.time[11:16], d.key, d.label) for d in decisions]


# --- for: and cooldown per key ------------------------------------------------------


def test_for_is_held_per_key() -> None:
    ws = workspace(keyed(**{"for": "1h"}))
    got = run(
        ws,
        [
            sale("2026-03-01T09:00:00Z", "A"),
            sale("2026-03-01T09:30:00Z", "B", risk=0.1),  # B's dip does not break A's hold
            sale("2026-03-01T09:45:00Z", "B"),  # B starts its own window
            sale("2026-03-01T10:00:00Z", "A"),
            sale("2026-03-01T10:30:00Z", "B"),
            sale("2026-03-01T10:45:00Z", "B"),
        ],
    )
    assert rows(got) == [("10:00", "A", "fired"), ("10:45", "B", "fired")]
    assert dict(got[1].values)["held"] == "1h"


def test_for_flapping_one_key_restarts_only_that_key() -> None:
    ws = workspace(keyed(**{"for": "1h"}))
    got = run(
        ws,
        [
            sale("2026-03-01T09:00:00Z", "A"),
            sale("2026-03-01T09:00:00Z", "B"),
            sale("2026-03-01T09:59:00Z", "A", risk=0.2),  # one minute short: A restarts
            sale("2026-03-01T10:00:00Z", "A"),
            sale("2026-03-01T10:00:00Z", "B"),
            sale("2026-03-01T11:00:00Z", "A"),
        ],
    )
    assert rows(got) == [("10:00", "B", "fired"), ("11:00", "A", "fired")]


def test_cooldown_is_per_key() -> None:
    ws = workspace(keyed(cooldown="2h"))
    got = run(
        ws,
        [
            sale("2026-03-01T09:00:00Z", "A"),
            sale("2026-03-01T09:10:00Z", "B"),  # without a key: suppressed by A's cooldown
            sale("2026-03-01T09:30:00Z", "A"),
            sale("2026-03-01T11:00:00Z", "A"),
            sale("2026-03-01T11:05:00Z", "B"),
        ],
    )
    assert rows(got) == [
        ("09:00", "A", "fired"),
        ("09:10", "B", "fired"),
        ("09:30", "A", "suppressed:cooldown"),
        ("11:00", "A", "fired"),
        ("11:05", "B", "suppressed:cooldown"),
    ]
    assert dict(got[2].values)["last_fired"] == "2026-03-01T09:00:00Z"
    assert "09:00:00Z" in got[2].reason


def test_the_same_policy_without_a_key_shares_one_state() -> None:
    ws = workspace(policy(condition="event.data.risk > 0.8", cooldown="2h"))
    got = run(ws, [sale("2026-03-01T09:00:00Z", "A"), sale("2026-03-01T09:10:00Z", "B")])
    assert rows(got) == [("09:00", None, "fired"), ("09:10", None, "suppressed:cooldown")]


# --- bounds and budget cap the policy as a whole --------------------------------------


def test_bounds_count_every_key_together() -> None:
    ws = workspace(keyed(cooldown="1h", bounds={"max_per_hour": 2}))
    got = run(
        ws,
        [
            sale("2026-03-01T09:00:00Z", "A"),
            sale("2026-03-01T09:01:00Z", "B"),
            sale("2026-03-01T09:02:00Z", "C"),  # a third key in the hour: the policy's bound
            sale("2026-03-01T10:00:00Z", "C"),
        ],
    )
    assert rows(got) == [
        ("09:00", "A", "fired"),
        ("09:01", "B", "fired"),
        ("09:02", "C", "suppressed:bound"),
        ("10:00", "C", "fired"),
    ]


def test_budget_is_spent_by_every_key_together() -> None:
    # the planner costs $4 a run: $9 a day is two runs, whichever keys they serve
    ws = workspace(keyed(budget={"per_day_usd": 9}))
    got = run(
        ws,
        [
            sale("2026-03-01T09:00:00Z", "A"),
            sale("2026-03-01T09:01:00Z", "B"),
            sale("2026-03-01T09:02:00Z", "C"),
        ],
    )
    assert [lab for _, _, lab in rows(got)] == ["fired", "fired", "suppressed:budget"]
    assert got[2].key == "C"


# --- key errors -----------------------------------------------------------------------


def test_a_key_error_is_an_error_decision_and_touches_no_hold() -> None:
    ws = workspace(keyed(**{"for": "1h"}))
    got = run(
        ws,
        [
            sale("2026-03-01T09:00:00Z", "A"),
            sale("2026-03-01T09:30:00Z", None),  # no sku: the key cannot be computed
            sale("2026-03-01T10:00:00Z", "A"),
        ],
    )
    assert rows(got) == [("09:30", None, "error"), ("10:00", "A", "fired")]
    err = got[0]
    assert err.code == "key"
    assert err.reason.startswith("key: ")
    assert dict(err.values)["expression"] == SKU
    assert err.to_dict()["key"] is None


def test_a_key_that_is_not_a_string_is_an_error() -> None:
    ws = workspace(keyed(key="event.data.risk"))
    (d,) = run(ws, [sale("2026-03-01T09:00:00Z", "A")])
    assert (d.outcome, d.code) == ("error", "key")
    assert "not a string" in d.reason and "string()" in d.reason


def test_condition_errors_carry_the_key() -> None:
    ws = workspace(keyed(condition="event.data.level > 1"))
    (d,) = run(ws, [sale("2026-03-01T09:00:00Z", "A")])
    assert (d.outcome, d.code, d.key) == ("error", "condition", "A")


# --- state ----------------------------------------------------------------------------


def test_state_is_the_keys_own() -> None:
    ws = workspace(
        keyed(
            **{"for": "30m"},
            cooldown="1h",
            actions=[
                {
                    "invoke": "charter/planner",
                    "input": {
                        "key": "state.key",
                        "held": "state.held_s",
                        "last": "state.last_fired",
                    },
                }
            ],
        )
    )
    got = run(
        ws,
        [
            sale("2026-03-01T09:00:00Z", "A"),
            sale("2026-03-01T09:20:00Z", "B"),
            sale("2026-03-01T09:30:00Z", "B"),  # B has held 10 minutes, not A's 30
            sale("2026-03-01T09:30:00Z", "A"),
            sale("2026-03-01T09:50:00Z", "B"),
            sale("2026-03-01T10:30:00Z", "A"),
        ],
    )
    assert rows(got) == [("09:30", "A", "fired"), ("09:50", "B", "fired"), ("10:30", "A", "fired")]
    inputs = [d.actions[0].input for d in got]
    assert inputs == [
        {"key": "A", "held": 1800.0, "last": ""},
        {"key": "B", "held": 1800.0, "last": ""},
        {"key": "A", "held": 5400.0, "last": "2026-03-01T09:30:00Z"},
    ]


def test_state_in_the_key_is_the_policy_as_a_whole() -> None:
    # in key:, state.last_fired is the policy's last action on any key
    ws = workspace(keyed(key="state.last_fired == '' ? 'first' : 'later'"))
    got = run(ws, [sale("2026-03-01T09:00:00Z", "A"), sale("2026-03-01T09:05:00Z", "A")])
    assert rows(got) == [("09:00", "first", "fired"), ("09:05", "later", "fired")]


# --- memory -----------------------------------------------------------------------------


def test_keys_that_never_hold_take_no_memory() -> None:
    engine = engine_for(workspace(keyed(**{"for": "1h"}, cooldown="1h")))
    for i in range(5000):
        engine.feed(sale(format_ts(T0 + i), f"K{i}", risk=0.1))
    assert engine.key_stats() == {"p": (0, 0, 0)}


def test_a_key_is_forgotten_when_its_hold_ends_and_its_cooldown_is_over() -> None:
    engine = engine_for(workspace(keyed(cooldown="10m")))
    engine.feed(sale("2026-03-01T09:00:00Z", "A"))
    engine.feed(sale("2026-03-01T09:05:00Z", "A", risk=0.1))  # cooling down: kept
    assert engine.key_stats()["p"][0] == 1
    engine.feed(sale("2026-03-01T09:11:00Z", "A", risk=0.1))  # idle: gone
    assert engine.key_stats()["p"] == (0, 1, 0)


def test_cooling_keys_are_swept_once_their_cooldown_is_over() -> None:
    # 20,000 keys each fire once, one per second, with a 1-minute cooldown: at most ~60
    # are cooling at any time, so the table never grows far past the first sweep
    engine = engine_for(workspace(keyed(cooldown="1m")))
    for i in range(20_000):
        engine.feed(sale(format_ts(T0 + i), f"K{i}"))
    held, peak, evicted = engine.key_stats()["p"]
    assert peak <= state_mod.SWEEP_MIN
    assert held <= state_mod.SWEEP_MIN
    assert evicted == 0


def test_the_cap_evicts_the_least_recently_seen_holding_keys() -> None:
    ws = workspace(keyed(**{"for": "1h"}))
    engine, findings = build(ws, max_keys=100)
    assert not findings
    for i in range(1000):  # every key holds and waits for its hour: none is idle
        engine.feed(sale(format_ts(T0 + i), f"K{i}"))
    held, peak, evicted = engine.key_stats()["p"]
    assert held <= 100 and peak == 100
    assert evicted == 1000 - held
    # the newest keys were kept: K999 still fires after its hour, K0 starts over
    late = engine.feed(sale(format_ts(T0 + 999 + 3600), "K999"))
    assert [d.label for d in late] == ["fired"]
    assert engine.feed(sale(format_ts(T0 + 999 + 3600), "K0")) == []


def test_simulate_reports_evictions_as_a_warning() -> None:
    ws = workspace(keyed(**{"for": "1h"}))
    events = [sale(format_ts(T0 + i), f"K{i}", seq=i + 1) for i in range(300)]
    run_ = simulate(ws, events, title="t", events_file="e.jsonl", max_keys=50)
    (f,) = run_.findings
    assert (f.code, f.severity.value) == ("policy-keys-evicted", "warning")
    assert f.location.file == "p0.yaml" and f.key_path == "spec.key"
    assert not run_.failed
    (summary,) = run_.policies
    assert summary.to_dict()["key"] == {"expression": SKU, "peak": 50, "evicted": 250}


# --- equivalence and determinism ----------------------------------------------------------

spec_st = st.fixed_dictionaries(
    {
        "for": st.sampled_from([None, "5m", "30m"]),
        "cooldown": st.sampled_from([None, "10m", "1h"]),
    }
)
stream_st = st.lists(
    st.tuples(st.integers(0, 45), st.sampled_from("ABC"), st.booleans()), max_size=40
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec_st, stream_st)
@example({"for": None, "cooldown": "1h"}, [(0, "A", True), (5, "A", False), (5, "A", True)])
@example({"for": "30m", "cooldown": None}, [(0, "A", True), (0, "B", True), (31, "A", True)])
def test_a_keyed_policy_decides_like_one_policy_per_key(
    spec: dict[str, Any], steps: list[tuple[int, str, bool]]
) -> None:
    """Per key, the keyed policy decides exactly what an unkeyed one fed only that key's
    events decides (no bounds or budget, which are shared). Sweeps run on every new key
    here, so forgetting idle keys must change nothing."""
    spec = {k: v for k, v in spec.items() if v is not None}
    t, events = T0, []
    for i, (gap, key, hot) in enumerate(steps):
        t += gap * 60
        events.append(sale(format_ts(t), key, risk=0.9 if hot else 0.1, seq=i + 1))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(state_mod, "SWEEP_MIN", 1)
        engine = engine_for(workspace(keyed(**spec)))
        got = [(d.seq, d.key, d.label) for e in events for d in engine.feed(e)]
    plain = workspace(policy(condition="event.data.risk > 0.8", **spec))
    want = []
    for key in "ABC":
        mine = [e for e in events if e.cel["data"]["sku"] == key]
        want += [(d.seq, key, d.label) for d in run(plain, mine)]
    assert sorted(got, key=lambda r: (r[0], r[1] or "")) == sorted(want)


def test_keyed_output_is_byte_identical_across_runs() -> None:
    ws = workspace(keyed(**{"for": "10m"}, cooldown="30m", bounds={"max_per_hour": 3}))
    lines = [
        json.dumps(
            {
                "ts": format_ts(T0 + 37 * i),
                "type": "pos.sale",
                "data": {"sku": f"S{i * 7 % 13}", "risk": 0.1 if i % 11 == 0 else 0.9},
            }
        )
        for i in range(400)
    ]

    def once() -> str:
        engine = engine_for(ws)
        out = []
        for i, line in enumerate(lines):
            item = parse_line(line, i + 1, "k.jsonl")
            assert isinstance(item, Event)
            out += [d.to_dict() for d in engine.feed(item)]
        return json.dumps(out)

    first = once()
    assert first == once()
    assert '"key": "S' in first
