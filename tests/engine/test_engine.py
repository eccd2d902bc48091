"""The engine's rules, one at a time: for:, cooldown, bounds, budgets, approvals, errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from engine_helpers import ev, labels, policy, run, workspace

from agentctl.errors import ConfigError

# --- for: ---------------------------------------------------------------------------


def test_for_fires_once_held_the_full_window() -> None:
    ws = workspace(policy(**{"for": "3h"}))
    got = run(
        ws,
        [
            ev("2026-03-01T09:00:00Z", risk=0.9),
            ev("2026-03-01T11:59:59Z", risk=0.9),
            ev("2026-03-01T12:00:00Z", risk=0.9),
        ],
    )
    assert labels(got) == [("2026-03-01T12:00:00Z", "fired")]
    assert dict(got[0].values)["held"] == "3h"


def test_for_flapping_just_before_the_window_ends_restarts_it() -> None:
    ws = workspace(policy(**{"for": "3h"}))
    got = run(
        ws,
        [
            ev("2026-03-01T09:00:00Z", risk=0.9),
            ev("2026-03-01T11:00:00Z", risk=0.9),
            ev("2026-03-01T11:59:00Z", risk=0.5),  # one minute before 3h: the hold breaks
            ev("2026-03-01T12:00:00Z", risk=0.9),  # held again, from here
            ev("2026-03-01T14:59:00Z", risk=0.9),
            ev("2026-03-01T15:00:00Z", risk=0.9),
        ],
    )
    assert labels(got) == [("2026-03-01T15:00:00Z", "fired")]


def test_for_is_judged_only_on_watched_events() -> None:
    ws = workspace(policy(**{"for": "1h"}))
    got = run(
        ws,
        [
            ev("2026-03-01T09:00:00Z", risk=0.9),
            ev("2026-03-01T09:30:00Z", type="other", risk=0.1),  # not watched: no evaluation
            ev("2026-03-01T10:00:00Z", risk=0.9),
        ],
    )
    # the metric was 0.1 between, but the policy only sees its own events; at 10:00 the
    # latest value is 0.9 again and the hold since 09:00 stands
    assert labels(got) == [("2026-03-01T10:00:00Z", "fired")]


def test_metrics_keep_their_latest_value() -> None:
    ws = workspace(policy(condition="metrics.risk > 0.8 && metrics.other == 1"))
    got = run(
        ws,
        [
            ev("2026-03-01T09:00:00Z", type="feed", risk=0.9),
            ev("2026-03-01T09:01:00Z", type="feed", other=1),
            ev("2026-03-01T09:02:00Z"),
        ],
    )
    assert labels(got) == [("2026-03-01T09:02:00Z", "fired")]
    assert dict(got[0].values) == {"metrics.other": 1.0, "metrics.risk": 0.9}


# --- cooldown -----------------------------------------------------------------------


def test_cooldown_suppresses_then_lets_it_fire_again() -> None:
    ws = workspace(policy(cooldown="2h"))
    got = run(
        ws,
        [
            ev("2026-03-01T09:00:00Z", risk=0.9),
            ev("2026-03-01T10:59:59Z"),
            ev("2026-03-01T11:00:00Z"),
        ],
    )
    assert labels(got) == [
        ("2026-03-01T09:00:00Z", "fired"),
        ("2026-03-01T10:59:59Z", "suppressed:cooldown"),
        ("2026-03-01T11:00:00Z", "fired"),
    ]
    values = dict(got[1].values)
    assert values == {"last_fired": "2026-03-01T09:00:00Z", "cooldown": "2h", "remaining": "1s"}


# --- bounds -------------------------------------------------------------------------


def test_daily_bound_resets_at_midnight_utc() -> None:
    ws = workspace(policy(bounds={"max_per_day": 2}))
    got = run(
        ws,
        [
            ev("2026-03-01T22:00:00Z", risk=0.9),
            ev("2026-03-01T23:00:00Z"),
            ev("2026-03-01T23:59:59Z"),
            ev("2026-03-02T00:00:00Z"),
        ],
    )
    assert labels(got) == [
        ("2026-03-01T22:00:00Z", "fired"),
        ("2026-03-01T23:00:00Z", "fired"),
        ("2026-03-01T23:59:59Z", "suppressed:bound"),
        ("2026-03-02T00:00:00Z", "fired"),
    ]
    assert dict(got[2].values)["day"] == "2026-03-01"


def test_daily_bound_follows_the_workspace_timezone() -> None:
    # New York midnight is 05:00 UTC in March (before DST starts on 03-08)
    ws = workspace(policy(bounds={"max_per_day": 1}), timezone="America/New_York")
    got = run(
        ws,
        [
            ev("2026-03-02T03:00:00Z", risk=0.9),  # 03-01 22:00 local
            ev("2026-03-02T04:59:00Z"),  # still 03-01 local: bound
            ev("2026-03-02T05:00:00Z"),  # 03-02 local: a new day
        ],
    )
    assert [lab for _, lab in labels(got)] == ["fired", "suppressed:bound", "fired"]


def test_unknown_timezone_is_a_config_error() -> None:
    ws = workspace(policy(), timezone="Mars/Olympus")
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        run(ws, [])


def test_hourly_bound() -> None:
    ws = workspace(policy(bounds={"max_per_hour": 1}))
    got = run(
        ws,
        [
            ev("2026-03-01T09:10:00Z", risk=0.9),
            ev("2026-03-01T09:50:00Z"),
            ev("2026-03-01T10:00:00Z"),
        ],
    )
    assert [lab for _, lab in labels(got)] == ["fired", "suppressed:bound", "fired"]


# --- budgets ------------------------------------------------------------------------


def test_daily_budget_counts_the_charter_per_run_cost() -> None:
    # the planner charter's per-run budget is $4: two firings fit in $9, a third does not
    ws = workspace(policy(budget={"per_day_usd": 9}))
    times = ["2026-03-01T09:00:00Z", "2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z"]
    got = run(ws, [ev(times[0], risk=0.9), ev(times[1]), ev(times[2]), ev("2026-03-02T00:00:00Z")])
    assert [lab for _, lab in labels(got)] == ["fired", "fired", "suppressed:budget", "fired"]
    assert dict(got[2].values) == {"budget": "per_day_usd", "limit": 9.0, "spent": 8.0, "cost": 4.0}
    assert got[0].cost_usd == Decimal(4)


def test_monthly_budget_and_action_cost() -> None:
    ws = workspace(
        policy(
            actions=[{"invoke": "charter/planner", "cost_usd": 10}],
            budget={"per_month_usd": 25},
        )
    )
    got = run(
        ws,
        [
            ev("2026-03-01T09:00:00Z", risk=0.9),
            ev("2026-03-10T09:00:00Z"),
            ev("2026-03-20T09:00:00Z"),
            ev("2026-04-01T09:00:00Z"),
        ],
    )
    assert [lab for _, lab in labels(got)] == ["fired", "fired", "suppressed:budget", "fired"]


# --- approvals ----------------------------------------------------------------------


def approvals_policy(value: str) -> str:
    return policy(
        actions=[{"invoke": "charter/planner", "value_usd": value}],
        approvals=[
            {"when": "plan.value_usd > 100", "require": "role/clerk"},
            {"when": "plan.value_usd > 100000", "require": "role/finance-director"},
        ],
    )


@pytest.mark.parametrize(
    ("value", "outcome", "approvers", "chain"),
    [
        ("50", "fired", (), ()),
        # the clerk may approve nothing: up to the store manager ($5,000)
        ("3000", "escalated", ("role/store-manager",), ("role/clerk", "role/store-manager")),
        # above the store manager: one more step, to the finance director
        (
            "60000",
            "escalated",
            ("role/finance-director",),
            ("role/clerk", "role/store-manager", "role/finance-director"),
        ),
        # above everyone: escalated with nobody able to approve
        (
            "300000",
            "escalated",
            (None, None),
            ("role/clerk", "role/store-manager", "role/finance-director"),
        ),
    ],
)
def test_approvals_escalate_up_the_chain(
    value: str, outcome: str, approvers: tuple[str | None, ...], chain: tuple[str, ...]
) -> None:
    ws = workspace(approvals_policy(value))
    (d,) = run(ws, [ev("2026-03-01T09:00:00Z", risk=0.9)])
    assert d.outcome == outcome
    assert d.approvers() == approvers
    if chain:
        assert d.approvals[0].chain == chain
    assert d.value_usd == Decimal(value)


def test_needs_approval_when_the_required_role_may_approve() -> None:
    ws = workspace(
        policy(approvals=[{"when": "plan.cost_usd > 1", "require": "role/store-manager"}])
    )
    (d,) = run(ws, [ev("2026-03-01T09:00:00Z", risk=0.9)])
    assert d.outcome == "needs_approval"
    assert d.reason == "role/store-manager must approve ($4.00)"


def test_reports_to_cycle_stops() -> None:
    from agentctl.engine.approvals import resolve
    from agentctl.engine.compiled import Role

    roles = {
        "role/a": Role("role/a", Decimal(1), "role/b"),
        "role/b": Role("role/b", Decimal(2), "role/a"),
    }
    step = resolve("role/a", Decimal(10), roles)
    assert step.approver is None
    assert step.chain == ("role/a", "role/b")


def test_escalate_action_is_an_escalation() -> None:
    ws = workspace(policy(actions=[{"escalate": "role/store-manager"}]))
    (d,) = run(ws, [ev("2026-03-01T09:00:00Z", risk=0.9)])
    assert d.outcome == "escalated"
    assert d.reason == "escalate to role/store-manager"


# --- inputs ---------------------------------------------------------------------------


def test_action_input_is_computed_with_cel() -> None:
    ws = workspace(
        policy(
            actions=[
                {
                    "invoke": "charter/planner",
                    "input": {"sku": "event.data.sku", "qty": "event.data.units * 2"},
                }
            ]
        )
    )
    (d,) = run(ws, [ev("2026-03-01T09:00:00Z", risk=0.9, data={"sku": "A-1", "units": 3})])
    assert d.actions[0].input == {"sku": "A-1", "qty": 6.0}


def test_state_is_the_policys_own() -> None:
    ws = workspace(policy(condition="metrics.risk > 0.8 && state.fired_today < 2"))
    times = [f"2026-03-01T0{h}:00:00Z" for h in range(1, 5)]
    got = run(ws, [ev(times[0], risk=0.9)] + [ev(t) for t in times[1:]])
    assert [d.time for d in got] == times[:2]


def test_prefix_matches_in_on() -> None:
    ws = workspace(policy(on=["pos.*"]))
    got = run(
        ws,
        [ev("2026-03-01T09:00:00Z", type="pos.refund", risk=0.9), ev("2026-03-01T09:01:00Z", "x")],
    )
    assert labels(got) == [("2026-03-01T09:00:00Z", "fired")]


# --- CEL errors -----------------------------------------------------------------------


def test_cel_runtime_error_is_a_decision_and_the_run_goes_on() -> None:
    ws = workspace(policy(condition="event.data.amount > 10"))
    got = run(
        ws,
        [
            ev("2026-03-01T09:00:00Z", data={"sku": "x"}),  # no amount
            ev("2026-03-01T09:01:00Z", data={"amount": 11}),
        ],
    )
    assert labels(got) == [("2026-03-01T09:00:00Z", "error"), ("2026-03-01T09:01:00Z", "fired")]
    assert got[0].code == "condition"
    assert "amount" in got[0].reason
    assert dict(got[0].values)["expression"] == "event.data.amount > 10"


def test_condition_that_is_not_a_bool_is_an_error() -> None:
    ws = workspace(policy(condition="event.data.sku"))
    (d,) = run(ws, [ev("2026-03-01T09:00:00Z", data={"sku": "x"})])
    assert d.outcome == "error"
    assert "not a bool" in d.reason


def test_input_and_approval_errors() -> None:
    ws = workspace(
        policy(
            name="a", actions=[{"invoke": "charter/planner", "input": {"x": "event.data.nope"}}]
        ),
        policy(name="b", approvals=[{"when": "plan.nope > 1", "require": "role/clerk"}]),
    )
    got = run(ws, [ev("2026-03-01T09:00:00Z", risk=0.9)])
    assert [(d.policy, d.outcome, d.code) for d in got] == [
        ("a", "error", "input"),
        ("b", "error", "approval"),
    ]
    # an error does not count as a firing: no cooldown, no bound, no spend
    assert run(ws, [ev("2026-03-01T09:00:00Z", risk=0.9)])[0].outcome == "error"


def test_policy_with_bad_cel_is_a_finding() -> None:
    from agentctl.engine import build

    ws = workspace(policy(condition="metrics.risk >"), policy(name="ok"))
    engine, findings = build(ws)
    assert [p.name for p in engine.policies] == ["ok"]
    assert findings[0].code == "cel-invalid"
    assert findings[0].location.file == "p0.yaml"
