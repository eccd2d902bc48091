"""The quick metaschema check (Draft 7's, for schemas of the common vocabulary) accepts a
schema exactly when the full 2020-12 check does (agentctl/model/schemas.py)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agentctl.model.schemas import _common, _draft7_ok, schema_error

value = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(-2, 2), st.text(max_size=3),
    st.lists(st.integers(0, 2), max_size=2),
)  # fmt: skip
types = st.sampled_from(["string", "integer", "number", "object", "array", "boolean", "null"])


def _schemas() -> st.SearchStrategy[Any]:
    def extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        named = st.dictionaries(st.text(max_size=3), inner, max_size=2)
        keyword = st.one_of(
            st.tuples(st.just("type"), types | st.lists(types, max_size=2) | value),
            st.tuples(st.just("properties"), named | value),
            st.tuples(st.just("required"), st.lists(st.text(max_size=2), max_size=2) | value),
            st.tuples(st.just("additionalProperties"), inner | value),
            st.tuples(st.just("items"), inner | st.lists(inner, max_size=2) | value),
            st.tuples(st.sampled_from(["anyOf", "oneOf"]), st.lists(inner, max_size=2) | value),
            st.tuples(st.sampled_from(["not", "contains", "propertyNames", "if"]), inner | value),
            st.tuples(st.sampled_from(["enum", "const", "default"]), value),
            st.tuples(st.sampled_from(["minimum", "maxLength", "multipleOf"]), value),
            st.tuples(st.sampled_from(["pattern", "format", "$ref"]), value | st.just("(")),
            st.tuples(st.sampled_from(["uniqueItems", "readOnly"]), value),
            st.tuples(st.sampled_from(["$defs", "definitions"]), named | value),
            st.tuples(st.sampled_from(["prefixItems", "unevaluatedProperties"]), inner | value),
        )  # fmt: skip
        return st.lists(keyword, max_size=4).map(dict)

    return st.recursive(st.booleans() | st.just({}), extend, max_leaves=8)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_schemas())
@example({"$defs": {"": {"type": []}}})  # Draft 7 lets anything through under $defs
def test_the_quick_check_agrees_with_the_full_one(schema: Any) -> None:
    if not isinstance(schema, dict):
        return
    v = jsonschema.Draft202012Validator
    full = v(v.META_SCHEMA, format_checker=v.FORMAT_CHECKER)
    valid = full.is_valid(schema)
    if _common(schema):
        assert _draft7_ok(schema) == valid, schema
    assert (schema_error(schema) is None) == valid, schema


@pytest.mark.parametrize(
    "schema",
    [
        {"items": [{"type": "string"}]},  # the tuple form: valid in Draft 7 only
        {"$defs": 5},
        {"prefixItems": 5},
        {"properties": {"a": {"pattern": "("}}},
        {"type": "objekt"},
        {"anyOf": []},
        {"required": ["a", "a"]},
    ],
)
def test_schemas_the_full_check_refuses_are_refused(schema: dict[str, Any]) -> None:
    assert schema_error(schema) is not None
