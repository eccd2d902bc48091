"""The generated schemas: draft-07, self-contained, faithful to the models' aliases and rules."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from agentctl.model import jsonschema as js
from agentctl.model.kinds import KINDS

ALL = js.all_schemas()


def walk(node: Any, path: str = "#"):
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}/{i}")


def test_one_schema_per_kind_and_a_combined_one() -> None:
    assert sorted(ALL) == sorted(
        [f"{k.lower()}.schema.json" for k in KINDS] + ["agentctl.schema.json"]
    )


@pytest.mark.parametrize("fname", sorted(ALL))
def test_draft_07_accepts_the_schema(fname: str) -> None:
    schema = ALL[fname]
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    text = js.dumps(schema)
    for word in ("$defs", "prefixItems", "unevaluated", "dependentRequired", "discriminator"):
        assert word not in text, f"{fname} still uses the 2020-12 keyword {word}"


@pytest.mark.parametrize("fname", sorted(ALL))
def test_every_ref_resolves_and_stands_alone(fname: str) -> None:
    schema = ALL[fname]
    defs = schema.get("definitions", {})
    refs = [(p, n["$ref"]) for p, n in walk(schema) if isinstance(n, dict) and "$ref" in n]
    assert refs, "a kind's schema refers to its definitions"
    for path, ref in refs:
        assert ref.startswith("#/definitions/"), (path, ref)
        assert ref.removeprefix("#/definitions/") in defs, (path, ref)
        # draft-07 ignores a $ref's siblings: descriptions must sit outside it
        node = eval_path(schema, path)
        assert set(node) == {"$ref"}, (path, node)


def eval_path(schema: dict[str, Any], path: str) -> Any:
    node: Any = schema
    for part in path.split("/")[1:]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


@pytest.mark.parametrize("kind", list(KINDS))
def test_kind_is_a_const_and_the_envelope_is_required(kind: str) -> None:
    schema = ALL[f"{kind.lower()}.schema.json"]
    assert schema["properties"]["kind"]["const"] == kind
    assert schema["properties"]["apiVersion"]["const"] == "agentctl/v1"
    assert {"apiVersion", "kind", "metadata"} <= set(schema["required"])
    assert schema["additionalProperties"] is False
    assert schema["title"] == f"agentctl {kind}"
    assert len(schema["description"]) > 40


def test_aliases_not_python_names() -> None:
    defs = ALL["agentctl.schema.json"]["definitions"]
    assert "for" in defs["PolicySpec"]["properties"]
    assert "for_" not in defs["PolicySpec"]["properties"]
    assert set(defs["Validity"]["properties"]) == {"from", "until"}
    assert "assert" in defs["Case"]["properties"]
    assert "apiVersion" in defs["CharterDoc"]["properties"]


def test_every_object_forbids_unknown_keys_as_the_models_do() -> None:
    for fname, schema in ALL.items():
        for name, d in schema.get("definitions", {}).items():
            if "properties" in d:
                assert d.get("additionalProperties") is False, (fname, name)


def test_every_property_is_described() -> None:
    missing = [
        f"{name}.{key}"
        for name, d in ALL["agentctl.schema.json"]["definitions"].items()
        for key, prop in d.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert not missing, (
        "add a description in the model (Field(description=...)) or in "
        f"agentctl/model/jsonschema.py FIELD_DESCRIPTIONS: {missing}"
    )


def test_field_descriptions_name_real_fields() -> None:
    from agentctl.model import kinds

    for (model_name, key), _ in js.FIELD_DESCRIPTIONS.items():
        model = getattr(kinds, model_name)
        keys = {info.alias or name for name, info in model.model_fields.items()}
        if model_name == "Document":  # the envelope: every kind adds its spec
            keys.add("spec")
        assert key in keys, f"FIELD_DESCRIPTIONS names {model_name}.{key}, which does not exist"
    for model_name, fields in js.EXACTLY_ONE.items():
        model = getattr(kinds, model_name)
        assert set(fields) <= set(model.model_fields), model_name


def test_defaults_are_written_as_yaml_users_write_them() -> None:
    defs = ALL["agentctl.schema.json"]["definitions"]
    assert defs["HttpTransport"]["properties"]["timeout"]["default"] == "30s"
    assert defs["Operation"]["properties"]["cost_usd"]["default"] == 0


def test_dict_of_names_checks_keys_and_describes_values() -> None:
    ops = ALL["connector.schema.json"]["definitions"]["ConnectorSpec"]["properties"]["operations"]
    assert ops["propertyNames"]["pattern"].startswith("^")
    assert ops["additionalProperties"] == {"$ref": "#/definitions/Operation"}


def test_output_is_stable() -> None:
    again = js.all_schemas()
    assert {k: js.dumps(v) for k, v in again.items()} == {k: js.dumps(v) for k, v in ALL.items()}
    text = js.dumps(ALL["charter.schema.json"])
    assert text.endswith("}\n") and json.loads(text) == ALL["charter.schema.json"]


CONNECTOR: dict[str, Any] = {
    "apiVersion": "agentctl/v1",
    "kind": "Connector",
    "metadata": {"name": "c", "owner": "role/r"},
    "spec": {"transport": {"python": "m:f"}, "operations": {"get": {"scope": "c.read"}}},
}


def _with_transport(transport: dict[str, Any]) -> dict[str, Any]:
    return {**CONNECTOR, "spec": {**CONNECTOR["spec"], "transport": transport}}


@pytest.mark.parametrize(
    ("transport", "ok"),
    [
        ({"python": "m:f"}, True),
        ({"fixture": "f.jsonl"}, True),
        ({"python": None, "command": ["x"]}, True),
        ({"python": "m:f", "command": ["x"]}, False),
        ({}, False),
        ({"python": None}, False),
    ],
)
def test_exactly_one_transport_in_schema_and_model_alike(
    transport: dict[str, Any], ok: bool
) -> None:
    from pydantic import ValidationError

    from agentctl.model.kinds import ConnectorDoc

    doc = _with_transport(transport)
    schema_ok = jsonschema.Draft7Validator(ALL["connector.schema.json"]).is_valid(doc)
    try:
        ConnectorDoc.model_validate(doc)
        model_ok = True
    except ValidationError:
        model_ok = False
    assert (schema_ok, model_ok) == (ok, ok)


def test_combined_schema_dispatches_on_kind() -> None:
    v = jsonschema.Draft7Validator(ALL["agentctl.schema.json"])
    assert v.is_valid(CONNECTOR)
    assert not v.is_valid({**CONNECTOR, "kind": "Charter"})  # a connector's spec is no charter's
    assert not v.is_valid({**CONNECTOR, "kind": "Nope"})
    bad = {**CONNECTOR, "spec": {**CONNECTOR["spec"], "extra": 1}}
    assert not v.is_valid(bad)
