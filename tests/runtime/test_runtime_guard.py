"""The guard as a pure core: decisions from charter, workspace, counters and time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rt_helpers import Ws, charter, ws_fixture  # noqa: F401 - ws_fixture
from support import contract

from agentctl.runtime.errors import Denied, Stopped
from agentctl.runtime.guard import ZERO, Counters, Guard, Want
from agentctl.runtime.sla import Window, sla_check

TODAY = dt.date(2026, 11, 25)


def guard(ws: Ws, name: str, **kw: object) -> Guard:
    w = ws.workspace()
    res = w.charter(name)
    assert res is not None
    return Guard(w, res, kw.pop("today", TODAY), **kw)  # type: ignore[arg-type]


def test_scope_not_granted_is_denied_with_a_hint(ws: Ws) -> None:
    ws.add(charter("a", tools="[sys.read]"))
    g = guard(ws, "a")
    ref = g.resolve("sys.write")
    assert not isinstance(ref, Denied)
    d = g.check_call(ref, 0.0)
    assert isinstance(d, Denied) and not isinstance(d, Stopped)
    assert d.rule == "scope"
    assert d.message == "charter/a is not granted scope 'sys.write' (needed by sys.write)"
    assert d.hint == "add 'sys.write' to spec.tools of charter/a after review"


def test_data_class_not_allowed_is_denied(ws: Ws) -> None:
    ws.add(charter("a", tools="[sys.read]"))
    g = guard(ws, "a")
    ref = g.resolve("sys.secret")
    assert not isinstance(ref, Denied)
    d = g.check_call(ref, 0.0)
    assert isinstance(d, Denied) and d.rule == "data-class"
    assert d.attrs["data_class"] == "pii.ssn"
    ws.add(charter("b", tools="[sys.read]", data_classes="[pii.ssn]"))
    assert guard(ws, "b").check_call(ref, 0.0) is None


def test_unknown_operation_suggests_the_closest(ws: Ws) -> None:
    ws.add(charter("a", tools="[sys.read]"))
    d = guard(ws, "a").resolve("sys.raed")
    assert isinstance(d, Denied) and d.rule == "unknown-operation"
    assert d.hint is not None and "sys.read" in d.hint


def test_rate_limit_is_decided_on_the_count_in_the_window(ws: Ws) -> None:
    """The shell counts the connector's calls in the window (ledger, every run); the guard
    admits fewer than `calls` of them."""
    ws.add(charter("a", tools="[limited.read]"))
    g = guard(ws, "a")
    ref = g.resolve("limited.ping")
    assert not isinstance(ref, Denied)
    assert g.check_call(ref, 0.0, 0) is None
    assert g.check_call(ref, 0.0, 1) is None
    d = g.check_call(ref, 0.0, 2)
    assert isinstance(d, Denied) and not isinstance(d, Stopped) and d.rule == "rate-limit"
    assert (
        d.message
        == "rate limit of connector/limited: 2 calls per 60s (2 in the last 60s, all runs)"
    )
    assert d.attrs["limit"] == "2 calls" and d.attrs["period"] == "60s"
    # a connector without a rate limit ignores the count
    read = g.resolve("sys.read")
    assert not isinstance(read, Denied)
    assert guard(ws, "a").check_call(read, 0.0, 10**6) is not None  # (not granted: scope)
    ws.add(charter("b", tools="[sys.read]"))
    assert guard(ws, "b").check_call(read, 0.0, 10**6) is None


def test_paused_and_expired_credential_refuse_the_run(ws: Ws) -> None:
    ws.add(
        charter("p", paused="true"),
        charter("c", credential="{issued: 2026-01-01, lifetime: 90d}"),
    )
    d = guard(ws, "p").check_run()
    assert isinstance(d, Denied) and d.rule == "paused"
    d = guard(ws, "c").check_run()
    assert isinstance(d, Denied) and d.rule == "credential-expired"
    assert "expired on 2026-04-01" in d.message
    assert guard(ws, "c", today=dt.date(2026, 3, 31)).check_run() is None


def test_daily_budget_spent_refuses_the_run(ws: Ws) -> None:
    ws.add(charter("a", tools="[sys.read]", budget="{per_day: {usd: 1, steps: 10}}"))
    assert guard(ws, "a", day=Counters(usd=Decimal("0.5"), steps=9)).check_run() is None
    d = guard(ws, "a", day=Counters(steps=10)).check_run()
    assert isinstance(d, Stopped) and d.attrs["period"] == "day"
    d = guard(ws, "a", day=Counters(usd=Decimal("1.01"))).check_run()
    assert isinstance(d, Stopped) and d.attrs["limit"] == "usd"


@settings(max_examples=60, deadline=None)
@given(
    costs=st.lists(st.sampled_from(["read", "write"]), max_size=40),
    limit=st.sampled_from(["0.05", "0.1", "0.33", "1"]),
    day_used=st.sampled_from(["0", "0.2", "0.9"]),
)
def test_budgets_are_hard_stops(
    tmp_path_factory: pytest.TempPathFactory, costs: list[str], limit: str, day_used: str
) -> None:
    """Whatever the sequence of calls, the allowed spend never passes a limit."""
    from rt_helpers import make_ws

    ws = make_ws(tmp_path_factory.mktemp("h"))
    ws.add(
        charter(
            "a",
            tools="[sys.read, sys.write]",
            budget=f"{{per_run: {{usd: {limit}, tool_calls: 25}}, per_day: {{usd: 1}}}}",
        )
    )
    g = guard(ws, "a", day=Counters(usd=Decimal(day_used)))
    stopped = False
    for op in costs:
        ref = g.resolve(f"sys.{op}")
        assert not isinstance(ref, Denied)
        d = g.check_call(ref, 0.0)
        if d is None:
            assert not stopped or op == "read"  # a cheaper call may still fit
            g.note_call(ref, 0.0)
        else:
            assert isinstance(d, Stopped) and d.rule == "budget"
            stopped = True
    assert g.used.usd <= Decimal(limit)
    assert g.used.usd + Decimal(day_used) <= 1
    assert g.used.tool_calls <= 25


SLA = {"latency": "1m", "field_coverage": 1.0, "fields": ["answer", "source"], "success_rate": 0.99}
CONTRACTS = contract(
    "c1", cost_ceiling={"per_request_usd": 0.015}, sla=SLA, on_breach={"escalate": "role/ops"}
)
DAILY = contract(  # the same, with a daily ceiling
    "c1",
    cost_ceiling={"per_request_usd": 0.015, "per_day_usd": 0.05},
    sla=SLA,
    on_breach={"escalate": "role/ops"},
)


def test_contract_checks(ws: Ws) -> None:
    ws.add(
        charter("asker", tools="[sys.read]"),
        charter("helper", tools="[sys.read, sys.write]"),
        charter("loner", tools="[sys.read]"),
        CONTRACTS,
    )
    g = guard(ws, "asker")
    found = g.check_ask("charter/helper", 0.0)
    assert not isinstance(found, Denied)
    contract, target = found
    assert contract.name == "c1" and target.name == "helper"
    assert g.ask_ceiling(contract) == (Decimal("0.015"), "contract/c1 per_request_usd")
    d = g.check_ask("charter/loner", 0.0)
    assert isinstance(d, Denied) and d.rule == "contract"
    assert d.message == "no contract lets charter/asker ask charter/loner"
    d = guard(ws, "asker", today=dt.date(2027, 1, 1)).check_ask("helper", 0.0)
    assert isinstance(d, Denied) and d.rule == "contract-validity"
    d = g.check_ask("charter/nobody", 0.0)
    assert isinstance(d, Denied) and d.rule == "unknown-charter"


def test_contract_daily_ceiling(ws: Ws) -> None:
    """Denied once today's spend under the contract reaches per_day_usd; below it, the
    provider's ceiling is what is left of the day (when that binds)."""
    ws.add(
        charter("asker", tools="[sys.read]", budget="{per_run: {usd: 0.5}}"),
        charter("helper", tools="[sys.read]"),
        DAILY,
    )
    g = guard(ws, "asker")
    found = g.check_ask("charter/helper", 0.0)
    assert not isinstance(found, Denied)
    contract, _ = found
    assert g.check_contract_day(contract, Decimal("0.0499")) is None
    assert g.ask_ceiling(contract, Decimal("0.04")) == (
        Decimal("0.01"),
        "contract/c1 per_day_usd of $0.05, $0.04 spent today",
    )
    assert g.ask_ceiling(contract, Decimal("0.01"))[0] == Decimal("0.015")  # type: ignore[index]
    for spent in ("0.05", "0.07"):
        d = g.check_contract_day(contract, Decimal(spent))
        assert isinstance(d, Denied) and not isinstance(d, Stopped)
        assert d.rule == "contract-ceiling"
        assert d.attrs["contract"] == "c1" and d.attrs["period"] == "day"
    assert isinstance(d, Denied) and d.message == (
        "contract/c1 has reached its daily cost ceiling: $0.07 of $0.05 spent on 2026-11-25"
    )
    g.used.usd = Decimal("0.495")  # the consumer's own budget binds first
    assert g.ask_ceiling(contract, ZERO) == (
        Decimal("0.005"),
        "the budget per run of charter/asker",
    )
    # serving an ask itself: the outer request's ceiling binds a nested ask too
    g.usd_ceiling, g.ceiling_source = Decimal("0.497"), "contract/outer per_request_usd"
    assert g.ask_ceiling(contract, ZERO) == (
        Decimal("0.002"),
        "the cost ceiling of this request (contract/outer per_request_usd)",
    )
    assert g.check_contract_day(contract, Decimal("0.05"), 2).message == (  # type: ignore[union-attr]
        "contract/c1 has reached its daily cost ceiling: $0.05 of $0.05 spent (2 in flight "
        "included) on 2026-11-25"
    )


def test_sla_check_measures_latency_success_and_coverage(ws: Ws) -> None:
    ws.add(charter("asker"), charter("helper"), CONTRACTS)
    c = ws.workspace().get("contract/c1").doc
    assert not sla_check(c, 1.0, True, {"answer": 1, "source": "x"}).missed
    r = sla_check(c, 61.0, True, {"answer": 1})
    assert r.missed and r.field_coverage == 0.5 and r.fields_complete is False
    assert r.reasons == [
        "latency 61.000s over 60s",
        "field coverage 0.00 over the day's 1 answers, under 1 (missing: source)",
    ]
    assert sla_check(c, 1.0, False, None).reasons == [
        "success rate 0.00 over the day's 1 requests, under 0.99"
    ]


def test_success_rate_and_coverage_are_rates_over_the_day(ws: Ws) -> None:
    """A failure within the rate's allowance is not a miss; one that brings the day's rate
    under it is; a success never is. Field coverage likewise, over the day's answers."""
    loose = contract(
        "c1",
        cost_ceiling={"per_request_usd": 0.015},
        sla={**SLA, "field_coverage": 0.9, "success_rate": 0.95},
        on_breach={"escalate": "role/ops"},
    )
    ws.add(charter("asker"), charter("helper"), loose)
    c = ws.workspace().get("contract/c1").doc
    full = {"answer": 1, "source": "x"}
    # 99 successes before: one failure leaves the rate at 0.99, over 0.95
    r = sla_check(c, 1.0, False, None, Window(99, 99, 99))
    assert not r.missed and r.window["success_rate"] == 0.99
    # 19 of 19 before, 20 requests: a failure is 0.95, not under; 18 of 19: 0.90, a miss
    assert not sla_check(c, 1.0, False, None, Window(19, 19, 19)).missed
    r = sla_check(c, 1.0, False, None, Window(19, 18, 18))
    assert r.reasons == ["success rate 0.90 over the day's 20 requests, under 0.95"]
    # a success while the day's rate is under: not a miss
    assert not sla_check(c, 1.0, True, full, Window(10, 5, 5)).missed
    # coverage over the answers: 9 of 10 complete is 0.9 (not under), 8 of 10 is
    assert not sla_check(c, 1.0, True, {"answer": 1}, Window(9, 9, 9)).missed
    r = sla_check(c, 1.0, True, {"answer": 1}, Window(9, 9, 8))
    assert r.reasons == [
        "field coverage 0.80 over the day's 10 answers, under 0.9 (missing: source)"
    ]
    assert r.window == {
        "requests": 10,
        "ok": 10,
        "success_rate": 1.0,
        "complete": 8,
        "field_coverage": 0.8,
    }


def test_a_reservation_tops_up_to_the_per_run_allowance(ws: Ws) -> None:
    """What a run must hold of its day to take a step: its per-run allowance where it has
    one, what the step needs where not, never beyond what the other runs left."""
    ws.add(
        charter(
            "a",
            tools="[sys.read]",
            budget="{per_run: {tool_calls: 4}, per_day: {tool_calls: 10, usd: 1}}",
        )
    )
    g = guard(ws, "a")
    want = Want(usd=Decimal("0.01"), tool_calls=1)
    first = g.lease_need(want, Counters())
    assert first is not None
    assert (first.tool_calls, first.usd, first.steps) == (4, Decimal("0.01"), 0)
    g.used = Counters(usd=Decimal("0.01"), tool_calls=1, steps=1)
    # the allowance covers calls; the USD (no per-run limit) is reserved step by step
    more = g.lease_need(want, first)
    assert more is not None and (more.tool_calls, more.usd) == (4, Decimal("0.02"))
    assert g.lease_need(Want(tool_calls=1), first) is None
    g.used = Counters()
    g.day = Counters(tool_calls=8)  # others used or hold 8 of the 10
    capped = g.lease_need(want, Counters())
    assert capped is not None and capped.tool_calls == 2
