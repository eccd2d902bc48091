"""JSON Schema checks of an operation's input and output (jsonschema, imported lazily)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=512)
def _validator(schema_json: str) -> Any:
    import jsonschema

    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


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
