"""Typed values the YAML carries as text: durations, money, dates, names, references, scopes."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from agentctl.model.types import (
    DURATION_PATTERN,
    MONEY_PATTERN,
    NAME_PATTERN,
    SCOPE_PATTERN,
    CharterRef,
    Duration,
    Money,
    Name,
    RoleRef,
    Scope,
    SuiteRef,
    format_duration,
    parse_date,
    parse_duration,
    parse_money,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("3h", timedelta(hours=3)),
        ("90d", timedelta(days=90)),
        ("2w", timedelta(weeks=2)),
        ("500ms", timedelta(milliseconds=500)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        ("0s", timedelta(0)),
        (" 90s ", timedelta(seconds=90)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["90", "", "90S", "-5s", "1h 30m", "s", "1.h", "ten minutes"])
def test_durations_need_a_unit_and_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(bad)


@pytest.mark.parametrize("bad", [90, 1.5, None, True, ["90s"]])
def test_durations_are_strings(bad: object) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(days=90), "90d"),
        (timedelta(hours=26, milliseconds=5), "1d2h5ms"),
    ],
)
def test_format_duration(td: timedelta, text: str) -> None:
    assert format_duration(td) == text


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_format_then_parse_is_identity_to_the_millisecond(ms: int) -> None:
    td = timedelta(milliseconds=ms)
    text = format_duration(td)
    assert re.match(DURATION_PATTERN, text)
    assert parse_duration(text) == td


@settings(max_examples=200, deadline=None)
@given(st.from_regex(DURATION_PATTERN, fullmatch=True))
def test_every_string_the_schema_accepts_parses(text: str) -> None:
    try:
        assert parse_duration(text) >= timedelta(0)
    except ValueError as exc:  # beyond timedelta's range: a finding, never an OverflowError
        assert "too long" in str(exc)


def test_a_duration_beyond_timedeltas_range_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="too long a duration"):
        parse_duration("1000000000d")
    with pytest.raises(ValueError, match="too long a duration"):
        parse_duration("9" * 400 + "s")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12, Decimal(12)),
        (12.5, Decimal("12.5")),
        (0.1, Decimal("0.1")),  # the float's shortest repr, not 0.1000000000000000055…
        ("12.50", Decimal("12.50")),
        ("$1,200", Decimal(1200)),
        ("$ 1,200.75", Decimal("1200.75")),
        ("300 USD", Decimal(300)),
        ("300usd", Decimal(300)),
        (".5", Decimal("0.5")),
        ("$-5", Decimal(-5)),
        (Decimal("3.30"), Decimal("3.30")),
    ],
)
def test_money(value: object, expected: Decimal) -> None:
    got = parse_money(value)
    assert got == expected and isinstance(got, Decimal)


@pytest.mark.parametrize(
    "bad", [True, False, None, "", "12 EUR", "€12", "1e3", "twelve", float("nan"), float("inf")]
)
def test_money_refuses_what_is_not_an_amount(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_money(bad)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(MONEY_PATTERN, fullmatch=True))
def test_every_amount_the_schema_accepts_parses(text: str) -> None:
    assert isinstance(parse_money(text), Decimal)


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_money_round_trips_through_its_text(d: Decimal) -> None:
    assert parse_money(f"${d:,.2f}") == d
    assert parse_money(f"{d} USD") == d


def test_dates() -> None:
    assert parse_date("2027-01-31") == date(2027, 1, 31)
    assert parse_date(date(2027, 1, 31)) == date(2027, 1, 31)
    for bad in ["2026-02-29", "2027-1-31", "31/01/2027", 20270131, None]:
        with pytest.raises(ValueError, match="not a date"):
            parse_date(bad)


def test_pydantic_types_accept_text_and_serialise_back() -> None:
    assert TypeAdapter(Duration).validate_python("1h30m") == timedelta(minutes=90)
    assert TypeAdapter(Duration).dump_python(timedelta(minutes=90)) == "1h30m"
    assert TypeAdapter(Money).validate_python("$1,200") == Decimal(1200)
    assert TypeAdapter(Money).dump_python(Decimal("12.5")) == 12.5


@pytest.mark.parametrize("good", ["a", "planner", "a1-b2", "x" * 63, "0day"])
def test_names(good: str) -> None:
    assert TypeAdapter(Name).validate_python(good) == good
    assert re.match(NAME_PATTERN, good)


@pytest.mark.parametrize("bad", ["", "Planner", "-a", "a-", "a_b", "a.b", "x" * 64, "é"])
def test_bad_names(bad: str) -> None:
    with pytest.raises(ValidationError, match="not a valid name"):
        TypeAdapter(Name).validate_python(bad)


def test_references_normalise_to_kind_slash_name() -> None:
    assert TypeAdapter(RoleRef).validate_python("finance-director") == "role/finance-director"
    assert TypeAdapter(RoleRef).validate_python("role/finance-director") == "role/finance-director"
    assert TypeAdapter(CharterRef).validate_python("intake") == "charter/intake"
    assert TypeAdapter(SuiteRef).validate_python("evalsuite/x") == "evalsuite/x"


@pytest.mark.parametrize(
    ("adapter", "bad", "match"),
    [
        (RoleRef, "charter/intake", "must refer to a Role"),
        (CharterRef, "role/ops", "must refer to a Charter"),
        (RoleRef, "role/Ops", "not a valid name"),
        (RoleRef, "role/", "not a valid name"),
    ],
)
def test_references_to_the_wrong_kind(adapter: Any, bad: str, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        TypeAdapter(adapter).validate_python(bad)


@pytest.mark.parametrize("good", ["inventory.read", "shop.*", "shop.get-stock", "a.b.c", "x_y.z"])
def test_scopes(good: str) -> None:
    assert TypeAdapter(Scope).validate_python(good) == good
    assert re.match(SCOPE_PATTERN, good)


@pytest.mark.parametrize("bad", ["inventory", ".read", "Inventory.read", "a..b", "a b.c"])
def test_bad_scopes(bad: str) -> None:
    with pytest.raises(ValidationError, match="not a scope"):
        TypeAdapter(Scope).validate_python(bad)


def test_format_usd_shows_what_was_written() -> None:
    from decimal import Decimal

    from agentctl.model.types import format_usd, parse_money

    cases = {
        "0.005": "$0.005",
        "$1,200": "$1,200.00",
        "0.10": "$0.10",
        "300 USD": "$300.00",
        "-3.5": "-$3.50",
        "0.00015": "$0.00015",
    }
    for written, shown in cases.items():
        assert format_usd(parse_money(written)) == shown, written
    assert format_usd(0.1 + 0.2) == "$0.30"  # a float's binary noise is not money
    assert format_usd(Decimal("0.0043333"), places=4) == "$0.0043"


def test_dropping_unknown_keys_when_one_is_below_another() -> None:
    """Union members can report an unknown key and one below it (one member knows the outer
    key, another does not); either order drops the outer key whole (it raised TypeError:
    found by tests/lint/test_lint_fuzz.py under load)."""
    from agentctl.model.validate import _without

    raw = {"a": {"b": 1, "c": 2}, "d": [{"e": 1, "f": 2}]}
    for locs in ([("a",), ("a", "b")], [("a", "b"), ("a",)]):
        assert _without(raw, locs) == {"d": [{"e": 1, "f": 2}]}
    assert _without(raw, [("d", 0, "e"), ()]) == {"a": {"b": 1, "c": 2}, "d": [{"f": 2}]}
    assert raw == {"a": {"b": 1, "c": 2}, "d": [{"e": 1, "f": 2}]}  # the original is kept
