"""A charter's own input and output schemas (`spec.input_schema`, `spec.output_schema`).

One place for every check against them: `run --input` (a usage error before anything
runs), an ask from another agent (refused and recorded as a denial), the agent's output
(a failed run), and the simulated policy actions that invoke the charter (an error
decision). Pure functions: no clock, no I/O.
"""

from __future__ import annotations

from typing import Any

from agentctl.errors import UsageError
from agentctl.model.index import Resource
from agentctl.model.kinds import CharterDoc
from agentctl.runtime import schemas
from agentctl.runtime.errors import Denied


def input_problems(charter: CharterDoc, payload: Any) -> list[str]:
    """What in `payload` breaks the charter's input_schema (empty: valid, or no schema)."""
    schema = charter.spec.input_schema
    return [] if schema is None else schemas.problems(schema, payload)


def output_problems(charter: CharterDoc, output: Any) -> list[str]:
    schema = charter.spec.output_schema
    return [] if schema is None else schemas.problems(schema, output)


def _where(res: Resource[CharterDoc], field: str) -> str:
    return f"{res.location('spec', field)}: spec.{field}"


def check_run_input(res: Resource[CharterDoc], payload: Any) -> None:
    """`run --input`: a payload the charter does not accept is a usage error (exit 2)."""
    bad = input_problems(res.doc, payload)
    if bad:
        raise UsageError(
            f"--input does not match the input_schema of {res.ref}: {'; '.join(bad)}",
            hint=f"see {_where(res, 'input_schema')}",
        )


def ask_denied(res: Resource[CharterDoc], payload: Any) -> Denied | None:
    """An ask whose payload the provider does not accept: refused before it runs."""
    bad = input_problems(res.doc, payload)
    if not bad:
        return None
    return Denied(
        f"input for {res.ref} does not match its input_schema: {'; '.join(bad)}",
        rule="input-schema",
        hint=f"see {_where(res, 'input_schema')}",
    )


def output_error(res: Resource[CharterDoc], output: Any) -> str | None:
    """Why the agent's output breaks its charter's output_schema (None: it does not)."""
    bad = output_problems(res.doc, output)
    if not bad:
        return None
    return f"output of {res.ref} does not match its output_schema: {'; '.join(bad)}"
