"""Rules about JSON Schemas: that they are schemas, and that what a policy sends a charter
has the fields the charter's input_schema asks for (issue 8, item 18: found before rollout,
not refused at run time)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from agentctl.findings import Finding, Severity
from agentctl.lint.registry import LintContext, finding, rule

E = Severity.ERROR


def _schema_error(schema: dict[str, Any]) -> str | None:
    from agentctl.model.schemas import schema_error

    return schema_error(schema)


@rule(
    "schema-invalid",
    E,
    "An input or output schema that is not a valid JSON Schema.",
    """
Connector operations and charters declare their input and output as JSON Schemas, which
the runtime checks every call and run against (and `simulate` every policy action). A
schema that is itself invalid (a misspelt type, a pattern that is not a regular
expression) would refuse every value. Fix the schema; `agentctl schema` and an editor
with the modelines show what a JSON Schema may hold.
""",
    "schema",
)
def schema_invalid(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    for res in ws.connectors:
        for name, op in res.doc.spec.operations.items():
            for which in ("input_schema", "output_schema"):
                problem = _schema_error(getattr(op, which))
                if problem is not None:
                    yield finding(
                        "schema-invalid",
                        res,
                        ("spec", "operations", name, which),
                        f"{which} of {res.name}.{name} is not a valid JSON Schema: {problem}",
                    )
    for ch in ws.charters:
        for which in ("input_schema", "output_schema"):
            schema = getattr(ch.doc.spec, which)
            problem = None if schema is None else _schema_error(schema)
            if problem is not None:
                yield finding(
                    "schema-invalid",
                    ch,
                    ("spec", which),
                    f"{which} of {ch.ref} is not a valid JSON Schema: {problem}",
                )


@rule(
    "action-input-mismatch",
    E,
    "A policy action's input lacks a field the invoked charter requires, or adds one it refuses.",
    """
A charter with an `input_schema` refuses a run whose input does not fit it. A policy
action that invokes it with one CEL expression per field can be checked before anything
runs: every field the schema requires must be given, and with
`additionalProperties: false` every field given must be one of its `properties`. The
values themselves are computed from events: `agentctl simulate` checks them against the
whole schema.
""",
    "schema",
)
def action_input_mismatch(ctx: LintContext) -> Iterator[Finding]:
    ws = ctx.workspace
    for res in ws.policies:
        for i, a in enumerate(res.doc.spec.actions):
            ch = ws.charter(a.invoke) if a.invoke else None
            schema = ch.doc.spec.input_schema if ch is not None else None
            if ch is None or schema is None or not isinstance(a.input, dict | None):
                continue
            given = dict(a.input or {})
            props = schema.get("properties")
            props = props if isinstance(props, dict) else {}
            required = schema.get("required")
            missing = [
                f for f in (required if isinstance(required, list) else []) if f not in given
            ]
            if missing:
                at = ("spec", "actions", i, "input") if a.input else ("spec", "actions", i)
                yield finding(
                    "action-input-mismatch",
                    res,
                    at,
                    f"the input for {ch.ref} lacks {', '.join(map(repr, missing))}, "
                    "required by its input_schema",
                    f"add {missing[0]}: <CEL> under input",
                )
            if schema.get("additionalProperties") is False:
                for field in given:
                    if field not in props:
                        yield finding(
                            "action-input-mismatch",
                            res,
                            ("spec", "actions", i, "input", field),
                            f"{ch.ref}'s input_schema has no field {field!r}",
                            "its fields: " + ", ".join(sorted(props)) if props else None,
                            key=True,
                        )
