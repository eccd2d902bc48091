"""CloudEvents 1.0 validation: every problem named exactly; arbitrary bytes never crash."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from agentctl.serve.cloudevents import (
    CloudEvent,
    Problem,
    media_kind,
    parse_body,
    parse_event,
    parse_line,
)

GOOD: dict[str, Any] = {
    "specversion": "1.0",
    "id": "A-1",
    "source": "https://shop.example/pos",
    "type": "pos.sale",
    "time": "2026-03-01T08:00:00Z",
    "data": {"units": 3},
}


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


def test_media_types() -> None:
    assert media_kind("application/cloudevents+json") == "single"
    assert media_kind("Application/CloudEvents+JSON; charset=utf-8") == "single"
    assert media_kind("application/cloudevents-batch+json") == "batch"
    assert media_kind("application/json") is None
    assert media_kind("application/cloudevents+json; charset=latin-1") is None
    assert media_kind(None) is None and media_kind("") is None


def test_a_valid_event() -> None:
    extra = {"subject": "S014", "traceparent": "00-abc", "priority": 2, "urgent": True}
    got = parse_event({**GOOD, **extra})
    assert got == CloudEvent(
        "https://shop.example/pos", "A-1", "pos.sale", "2026-03-01T08:00:00Z", {"units": 3}, extra
    )


def test_absent_or_null_data_is_an_empty_object_and_time_is_optional() -> None:
    got = parse_event({k: v for k, v in GOOD.items() if k not in ("data", "time")})
    assert isinstance(got, CloudEvent) and got.data == {} and got.time is None
    got = parse_event({**GOOD, "data": None, "time": "2026-03-01t08:00:00.5+01:00"})
    assert isinstance(got, CloudEvent) and got.time == "2026-03-01T08:00:00.5+01:00"


def test_each_problem_is_named_with_its_attribute() -> None:
    bad = {
        "specversion": "0.3",
        "id": "",
        "type": 7,
        "time": "yesterday",
        "data": [1, 2],
        "Bad_Name": 1,
        "nested": {"x": 1},
        "datacontenttype": "text/xml",
    }
    got = parse_event(bad)
    assert isinstance(got, list)
    assert {(p.attribute, p.message) for p in got} == {
        ("id", "must not be empty"),
        ("source", "required attribute is missing"),
        ("type", "must be a string, got a number"),
        ("specversion", "'0.3' is not supported: agentctl takes CloudEvents 1.0"),
        (
            "time",
            "'yesterday' is not an RFC 3339 time with a zone; "
            "write an RFC 3339 time with a zone, e.g. 2026-03-01T08:00:00Z",
        ),
        ("data", "must be a JSON object (the payload policies read), got an array"),
        ("Bad_Name", "an extension attribute's name is 1 to 20 lowercase letters or digits"),
        ("nested", "an extension attribute is a string, number or boolean, got an object"),
        ("datacontenttype", "'text/xml' is not JSON: agentctl takes JSON data only"),
    }


def test_times_without_zone_or_out_of_range_are_refused() -> None:
    for t in ("2026-03-01T08:00:00", "2026-13-01T08:00:00Z", "0001-01-01T00:00:00+01:00"):
        got = parse_event({**GOOD, "time": t})
        assert isinstance(got, list) and [p.attribute for p in got] == ["time"], t


def test_binary_data_and_deep_data_are_refused() -> None:
    got = parse_event({**GOOD, "data_base64": "aGk="})
    assert isinstance(got, list) and [p.attribute for p in got] == ["data_base64"]
    deep: Any = {}
    for _ in range(150):
        deep = {"x": deep}
    got = parse_event({**GOOD, "data": deep})
    assert isinstance(got, list) and got[0].message == "nests deeper than 100 levels"


def test_a_batch_reports_the_index_of_each_bad_event_and_takes_nothing() -> None:
    events, problems = parse_body("batch", body([GOOD, {**GOOD, "id": 5}, GOOD, "x"]))
    assert events == []
    assert [(p.index, p.attribute) for p in problems] == [(1, "id"), (3, None)]
    assert str(problems[0]) == "event 1, 'id': must be a string, got a number"
    events, problems = parse_body("batch", body([GOOD, {**GOOD, "id": "A-2"}]))
    assert problems == [] and [e.id for e in events] == ["A-1", "A-2"]
    assert parse_body("batch", b"[]") == ([], [])
    _, problems = parse_body("batch", body(GOOD))
    assert problems == [Problem("a batch is a JSON array of events, got an object")]


def test_bodies_that_are_not_json() -> None:
    for raw in (b"", b"{", b"\xff\xfe", b'{"a": NaN}'):
        events, problems = parse_body("single", raw)
        assert events == [] and problems[0].message.startswith("the body is not JSON"), raw
    got = parse_line(b"not json")
    assert isinstance(got, list) and got[0].message.startswith("the line is not JSON")


def _check_anything(raw: bytes) -> None:
    for kind in ("single", "batch"):
        events, problems = parse_body(kind, raw)
        assert bool(events) + bool(problems) <= 1
        for e in events:  # whatever is taken is a valid, storable event
            assert isinstance(e, CloudEvent) and e.id and e.source and e.type
            assert isinstance(e.data, dict)
            orjson.dumps(e.data)
            orjson.dumps(e.extra)
        for p in problems:
            assert p.message and str(p)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(), kids, max_size=4),
    max_leaves=20,
)
attr_values = st.one_of(st.none(), st.text(max_size=30), st.integers(), json_values)
event_like = st.fixed_dictionaries(
    {},
    optional={
        "specversion": st.sampled_from(["1.0", "0.3", ""]) | attr_values,
        "id": attr_values,
        "source": attr_values,
        "type": attr_values,
        "time": st.sampled_from(["2026-03-01T08:00:00Z", "9999-12-31T23:59:59.9999999Z"])
        | attr_values,
        "data": json_values,
        "data_base64": attr_values,
        "datacontenttype": st.sampled_from(["application/json", "x"]) | attr_values,
        "subject": attr_values,
    },
).flatmap(
    lambda d: st.dictionaries(st.text(max_size=22), json_values, max_size=3).map(
        lambda more: {**more, **d}
    )
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash(raw: bytes) -> None:
    _check_anything(raw)


@settings(max_examples=300, deadline=None)
@given(st.one_of(event_like, st.lists(event_like, max_size=4)))
def test_arbitrary_event_shaped_json_never_crashes_nor_takes_an_invalid_event(value: Any) -> None:
    _check_anything(json.dumps(value).encode())
