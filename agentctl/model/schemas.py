"""JSON Schema checks of an operation's input and output (jsonschema, imported lazily)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

# Keywords whose rules are the same in the Draft 7 and the 2020-12 metaschemas. Checking
# a schema against 2020-12's metaschema ($dynamicRef) costs ~1-4 ms; against Draft 7's,
# ~0.2 ms. A schema that uses only these (and `items` as one schema) is valid under one
# exactly when it is under the other, so it takes the quick check; any other schema, and
# every schema the quick check refuses (for 2020-12's own message), takes the full one.
_COMMON = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "items", "enum", "const",
        "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "uniqueItems",
        "minProperties", "maxProperties", "anyOf", "allOf", "oneOf", "not", "description",
        "title", "default", "examples", "$ref", "$comment", "readOnly", "writeOnly",
        "patternProperties", "definitions", "$defs", "propertyNames", "contains", "if",
        "then", "else",
    }
)  # fmt: skip
_DATA = frozenset({"enum", "const", "default", "examples"})  # values, not schemas
_NAMED = frozenset({"properties", "patternProperties", "definitions", "$defs"})
_SUBSCHEMA = frozenset(
    {"additionalProperties", "items", "not", "propertyNames", "contains", "if", "then", "else"}
)


def _common(node: Any) -> bool:
    """Whether `node` (a schema) uses only keywords of _COMMON, `items` as a schema."""
    if isinstance(node, bool):
        return True
    if not isinstance(node, dict):
        return False
    for key, value in node.items():
        if key not in _COMMON:
            return False
        if key in _DATA:
            continue
        if key in _NAMED:
            if not isinstance(value, dict) or not all(_common(v) for v in value.values()):
                return False
        elif key in ("anyOf", "allOf", "oneOf"):
            if not isinstance(value, list) or not all(_common(v) for v in value):
                return False
        elif key in _SUBSCHEMA and not _common(value):
            return False  # (`items` as a list is the tuple form: the full check)
    return True


@lru_cache(maxsize=512)
def _validator(schema_json: str) -> Any:
    import jsonschema

    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    quick = cls is jsonschema.Draft202012Validator and "$schema" not in schema and _common(schema)
    if not (quick and _draft7_ok(schema)):
        cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _draft7_ok(schema: dict[str, Any]) -> bool:
    import jsonschema

    v7 = jsonschema.Draft7Validator
    meta = v7(v7.META_SCHEMA, format_checker=v7.FORMAT_CHECKER)
    return all(meta.is_valid(s) for s in [schema, *_under_defs(schema)])


def _under_defs(node: Any) -> list[Any]:
    """The schemas under `$defs` anywhere in `node` (a `_common` schema). Draft 7 does not
    know `$defs` (its name is `definitions`), so its metaschema lets anything through there:
    each must be checked as a schema of its own ({'$defs': {'a': {'type': []}}} is invalid)."""
    found: list[Any] = []
    if not isinstance(node, dict):
        return found
    for key, value in node.items():
        if key in _DATA:
            continue
        if key in _NAMED:
            if key == "$defs":
                found.extend(value.values())
            for v in value.values():
                found.extend(_under_defs(v))
        elif key in ("anyOf", "allOf", "oneOf"):
            for v in value:
                found.extend(_under_defs(v))
        elif key in _SUBSCHEMA:
            found.extend(_under_defs(value))
    return found


def _checked(schema: dict[str, Any]) -> tuple[Any, str | None]:
    """(a validator, None), or (None, why the schema is not a valid JSON Schema)."""
    import jsonschema

    try:
        return _validator(json.dumps(schema, sort_keys=True)), None
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        return None, (f"at '{where}': {exc.message}" if where else exc.message)


def schema_error(schema: dict[str, Any]) -> str | None:
    """Why `schema` is not a valid JSON Schema (None: it is). Lint reports it."""
    return _checked(schema)[1]


def problems(schema: dict[str, Any], value: Any, limit: int = 3) -> list[str]:
    """Messages for what in `value` breaks `schema` (empty: valid), most relevant first.
    An invalid schema accepts nothing (lint's `schema-invalid` says why)."""
    if schema == {"type": "object"} and isinstance(value, dict):
        return []  # the default schema: skip the validator on the hot path
    validator, problem = _checked(schema)
    if problem is not None:
        return [f"the schema itself is invalid: {problem}"]
    errors = sorted(validator.iter_errors(value), key=lambda e: (list(e.path), e.message))
    out = []
    for err in errors[:limit]:
        where = "/".join(str(p) for p in err.absolute_path)
        out.append(f"at '{where}': {err.message}" if where else err.message)
    return out
