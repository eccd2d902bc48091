"""The engine's fast path answers only where CEL's answer is certain, and gives CEL's answer.

Two levels: each generated expression against each generated event (the fast path either
falls back or equals what CEL returns, and never answers where CEL fails), and whole
engines with and without the fast path fed the same events (the same decisions).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from engine_helpers import policy, workspace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentctl import expr
from agentctl.engine import Event, build, parse_line
from agentctl.engine.events import doubles_in_place
from agentctl.engine.fastpath import Fallback, compile_fast

ROOTS = frozenset({"event", "metrics"})
FIELDS = [
    "event.data.a",
    "event.data.b",
    "event.data.s",
    "event.data.f",
    "event.data.m",
    "event.data.l",
    "event.x",
    "metrics.m0",
    "metrics.m1",
    "event.data.zz",
]

scalar_lit = st.sampled_from(
    ["0", "1", "80", "2.5", "-3", "1e3", '"a"', '"refund"', "''", "true", "false", "null"]
)
list_lit = st.lists(scalar_lit, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")


def _exprs() -> st.SearchStrategy[str]:
    atom = (
        st.sampled_from(FIELDS)
        | scalar_lit
        | st.sampled_from(
            ["has(event.data.a)", "has(event.data.zz)", "has(event.q.r)", "has(metrics.m0)"]
        )
    )

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return (
            st.tuples(inner, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), inner).map(
                " ".join
            )
            | st.tuples(inner, st.just("in"), list_lit | st.sampled_from(FIELDS)).map(" ".join)
            | st.tuples(inner, st.sampled_from(["&&", "||"]), inner).map(" ".join)
            | st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(" ".join)
            | inner.map(lambda x: f"!({x})")
            | inner.map(lambda x: f"-({x})")
            | inner.map(lambda x: f"({x})")
        )

    return st.recursive(atom, extend, max_leaves=6)


value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["a", "refund", "", "b"]),
    st.lists(st.sampled_from([1, 2.5, "a", None]), max_size=3),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3), max_size=2),
)
data = st.dictionaries(st.sampled_from(["a", "b", "s", "f", "m", "l"]), value, max_size=6)
metrics = st.dictionaries(st.sampled_from(["m0", "m1"]), value, max_size=2)


def _cel(source: str, event: dict[str, Any], mets: dict[str, Any]) -> tuple[str, Any]:
    ev = json.loads(json.dumps(event))
    doubles_in_place(ev)
    ms = json.loads(json.dumps(mets))
    doubles_in_place(ms)
    try:
        return "value", expr.compile(source).evaluate(expr.context({"event": ev, "metrics": ms}))
    except expr.CelError as exc:
        return "error", exc.message


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_exprs(), data, metrics, st.booleans())
def test_fast_path_answers_only_what_cel_answers(
    source: str, d: dict[str, Any], mets: dict[str, Any], with_x: bool
) -> None:
    try:
        expr.compile(source)
    except expr.CelError:
        return  # lint refuses it; the engine never compiles it
    fast = compile_fast(source, ROOTS)
    if fast is None:
        return
    event: dict[str, Any] = {"type": "t", "data": d}
    if with_x:
        event["x"] = 1
    ms = json.loads(json.dumps(mets))
    doubles_in_place(ms)  # the engine keeps metrics as doubles
    # the fast path reads the event as parsed: integers still integers
    try:
        got = fast({"event": json.loads(json.dumps(event)), "metrics": ms})
    except Fallback:
        return
    kind, want = _cel(source, event, mets)
    assert kind == "value", (source, event, mets, got, want)
    if isinstance(want, float) and want != want:  # NaN
        assert isinstance(got, float) and got != got
    else:
        assert type(got) is type(want) and got == want, (source, event, got, want)


@pytest.mark.parametrize(
    "source, fast",
    [
        ('event.data.cost_usd > 80 && event.data.scope == "refunds:write"', True),
        ('event.data.tool_name in ["refund", "create_order"]', True),
        ("has(event.data.flag) && event.data.flag", True),
        ("event.data.qty * event.data.value > 9.9 || !(metrics.m0 < 0.5)", True),
        ("size(event.data) > 1", False),  # functions other than has(): CEL's
        ("event.data.items[0] > 1", False),  # indexing: CEL's
        ("state.fired_today < 3", False),  # state is not a fast-path root
        ("event.data.x == 1 ? true : false", False),
        (r'event.data.s == "a\"b"', False),  # escapes: CEL's
        ("event.data.a < 1 < 2", False),
    ],
)
def test_which_expressions_take_the_fast_path(source: str, fast: bool) -> None:
    assert (compile_fast(source, ROOTS) is not None) is fast


GUARDRAIL = workspace(
    policy(name="ssn", on=["tool.call"], condition='event.data.data_class == "pii.ssn"'),
    policy(name="spend", on=["tool.call"], condition="event.data.cost_usd > 80"),
    policy(name="tokens", on=["tool.call"], condition="event.data.token_count >= 8000"),
    policy(
        name="money",
        on=["tool.call"],
        condition='event.data.tool_name in ["refund", "create_order"]',
        actions=[{"escalate": "role/clerk"}],
    ),
    policy(
        name="keyed",
        on=["tool.call"],
        condition="event.data.cost_usd > 50 && has(event.data.agent)",
        key="event.data.agent",
        cooldown="30s",
        bounds={"max_per_hour": 20},
        actions=[
            {
                "invoke": "charter/planner",
                "input": {"agent": "event.data.agent", "cost": "event.data.cost_usd * 2"},
                "value_usd": "event.data.cost_usd",
            }
        ],
        approvals=[{"when": "plan.value_usd > 90.0", "require": "role/clerk"}],
    ),
    policy(name="state", on=["tool.call"], condition="state.fired_today < 2.0 && true"),
)

field_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(0, 10_000),
    st.floats(0, 100, allow_nan=False),
    st.sampled_from(["pii.ssn", "refund", "create_order", "search", "planner", "x"]),
    st.lists(st.integers(0, 3), max_size=2),
)
tool_data = st.dictionaries(
    st.sampled_from(["data_class", "cost_usd", "token_count", "tool_name", "agent"]),
    field_value,
    max_size=5,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(tool_data, min_size=1, max_size=40))
def test_engines_with_and_without_the_fast_path_decide_the_same(
    datas: list[dict[str, Any]],
) -> None:
    lines = [
        json.dumps(
            {"ts": f"2026-03-01T08:{i // 60:02d}:{i % 60:02d}Z", "type": "tool.call", "data": d}
        )
        for i, d in enumerate(datas)
    ]
    fast, _ = build(GUARDRAIL)
    slow, _ = build(GUARDRAIL, fast=False)
    for n, line in enumerate(lines, 1):
        a = parse_line(line, n, "e.jsonl")
        b = parse_line(line, n, "e.jsonl")
        assert isinstance(a, Event) and isinstance(b, Event)
        got = [d.to_dict() for d in fast.feed(a)]
        want = [d.to_dict() for d in slow.feed(b)]
        assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)


def test_the_example_scenarios_decide_the_same_without_the_fast_path() -> None:
    from support import REPO

    from agentctl.render.simulate_json import render
    from agentctl.simulate import simulate
    from agentctl.simulate.scenario import select
    from agentctl.simulate.stream import read_events
    from agentctl.workspace.loader import load_workspace

    ws = load_workspace(REPO).workspace
    found = select(ws, REPO, None)
    assert len(found) >= 3
    for sc in found:
        outs = [
            render(
                [
                    simulate(
                        ws,
                        read_events(sc.events_path, sc.events_display),
                        title=sc.name,
                        events_file=sc.events_display,
                        expect=sc.spec.expect,
                        where=sc.where,
                        fast=fast,
                    )
                ]
            )
            for fast in (True, False)
        ]
        assert outs[0] == outs[1], sc.name
