"""Properties: the engine never crashes on arbitrary payloads, and it is deterministic."""

from __future__ import annotations

import json
from typing import Any

from engine_helpers import policy, workspace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentctl.engine import Event, build, format_ts, parse_line, reorder
from agentctl.findings import Finding

WS = workspace(
    policy(name="a", condition="event.data.units * 2 > 5", cooldown="30m"),
    policy(
        name="b",
        on=["pos.*", "claim.submitted"],
        condition="has(metrics.risk) && metrics.risk > 0.5",
        **{"for": "10m"},
        bounds={"max_per_day": 3},
        actions=[
            {
                "invoke": "charter/planner",
                "input": {"sku": "event.data.sku", "n": "size(event.data)"},
                "value_usd": "metrics.risk * 10000",
            }
        ],
        approvals=[{"when": "plan.value_usd > 4000", "require": "role/clerk"}],
        budget={"per_day_usd": 10},
    ),
    policy(name="c", on=["claim.submitted"], condition="event.data.amount >= 5000"),
    # keyed: arbitrary payloads give missing keys, numbers, maps — errors, never a crash
    policy(
        name="d",
        on=["pos.*"],
        condition="event.data.units > 1",
        key="event.data.sku",
        **{"for": "5m"},
        cooldown="20m",
        bounds={"max_per_hour": 2},
    ),
)

json_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
data = st.dictionaries(
    st.sampled_from(["units", "sku", "amount", "x"]) | st.text(max_size=4), json_value, max_size=4
)
event = st.fixed_dictionaries(
    {
        "ts": st.integers(0, 3 * 86400).map(lambda s: format_ts(1_772_323_200 + s)),
        "type": st.sampled_from(["pos.sale", "pos.refund", "claim.submitted", "other"]),
        "data": data,
    },
    optional={"metrics": st.dictionaries(st.sampled_from(["risk", "y"]), json_value, max_size=2)},
)


def _run(lines: list[str]) -> list[dict[str, Any]]:
    engine, findings = build(WS)
    assert not findings
    items = (parse_line(line, i + 1, "p.jsonl") for i, line in enumerate(lines))
    out: list[dict[str, Any]] = []
    for item in reorder(items, 600, "p.jsonl"):
        if isinstance(item, Event):
            out.extend(d.to_dict() for d in engine.feed(item))
        else:
            out.append(item.to_dict())
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event, max_size=25))
def test_arbitrary_events_never_crash_and_replay_identically(events: list[dict[str, Any]]) -> None:
    lines = [json.dumps(e) for e in events]
    first = _run(lines)
    assert json.dumps(first, sort_keys=True) == json.dumps(_run(lines), sort_keys=True)
    for d in first:
        if "policy" in d:
            assert d["outcome"] in ("fired", "needs_approval", "escalated", "suppressed", "error")
            assert d["reason"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=60) | st.text(max_size=60), max_size=10))
def test_arbitrary_lines_are_events_or_findings(lines: list[Any]) -> None:
    for i, line in enumerate(lines):
        item = parse_line(line, i + 1, "x.jsonl")
        assert isinstance(item, Event | Finding)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 3600), max_size=30), st.integers(0, 900))
def test_reorder_emits_each_event_once_in_time_order(offsets: list[int], window: int) -> None:
    lines = [json.dumps({"ts": format_ts(1_772_323_200 + o), "type": "a"}) for o in offsets]
    items = list(reorder((parse_line(s, i + 1, "r") for i, s in enumerate(lines)), window))
    evs = [i for i in items if isinstance(i, Event)]
    late = [i for i in items if isinstance(i, Finding)]
    assert len(evs) + len(late) == len(offsets)
    assert [e.ts for e in evs] == sorted(e.ts for e in evs)
    if window == 0:
        assert len(late) == sum(1 for i, o in enumerate(offsets) if o < max(offsets[: i + 1]))


def test_map_results_come_out_in_the_same_order_every_time() -> None:
    """CEL maps iterate in a varying order; inputs and error messages must not."""
    ws = workspace(
        policy(
            name="m",
            condition="event.data.units > 1 ? true : {'z': 1, 'y': 2, 'x': 3, 'w': 4}",
            actions=[
                {
                    "invoke": "charter/planner",
                    "input": "{'d': 1, 'c': {'q': 2, 'p': 3}, 'b': [{'k': 1, 'j': 2}], 'a': 0}",
                }
            ],
        )
    )
    lines = [
        json.dumps({"ts": format_ts(1_772_323_200 + i), "type": "pos.sale", "data": {"units": u}})
        for i, u in enumerate([2, 0, 2, 0] * 10)
    ]
    engine, _ = build(ws)
    out = set()
    for i, line in enumerate(lines):
        item = parse_line(line, i + 1, "m.jsonl")
        assert isinstance(item, Event)
        for d in engine.feed(item):
            out.add(json.dumps({k: v for k, v in d.to_dict().items() if k not in ("ts", "line")}))
    assert len(out) == 2  # one fired, one error: each the same bytes all 20 times
    fired = next(json.loads(s) for s in out if '"fired"' in s)
    assert list(fired["actions"][0]["input"]) == ["a", "b", "c", "d"]


def test_an_amount_no_money_can_be_is_an_error_decision_not_a_crash() -> None:
    """Found by the property above: `metrics.risk * 10000` with a huge (or infinite) risk
    made the value an amount Decimal cannot quantize to cents (InvalidOperation)."""
    engine, _ = build(WS)
    out = []
    for i, risk in enumerate([1e300, 0.9, 1e305]):
        line = json.dumps(
            {
                "ts": format_ts(1_772_323_200 + 600 * (i + 1)),
                "type": "pos.sale",
                "data": {"sku": "s", "units": 3},
                "metrics": {"risk": risk},
            }
        )
        item = parse_line(line, i + 1, "e.jsonl")
        assert isinstance(item, Event)
        out.extend(engine.feed(item))
    errors = [d for d in out if d.policy == "b" and d.outcome == "error"]
    assert errors and {d.code for d in errors} == {"value"}
    assert all("not an amount of money" in d.reason for d in errors)
