"""A charter's own input and output schemas (`spec.input_schema`, `spec.output_schema`).

One place for every check against them: `run --input` (a usage error before anything
runs), an ask from another agent (refused and recorded as a denial), the agent's output
(a failed run), and the simulated policy actions that invoke the charter (an error
decision). Pure functions: no clock, no I/O.
"""

from __future__ import annotations

from typing import Any

from agentctl.errors import ConfigError, UsageError
from agentctl.model import schemas
from agentctl.model.index import Resource
from agentctl.model.kinds import CharterDoc
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


def _unclean(res: Resource[CharterDoc], broken: frozenset[str]) -> str | None:
    """A charter kept despite unknown fields (so that lint reports no knock-on findings)
    never runs: the misspelt field may be the budget or the pause that should hold it."""
    if res.ref not in broken:
        return None
    return f"{res.ref} did not load cleanly (an unknown field): it does not run until fixed"


def check_run_input(res: Resource[CharterDoc], payload: Any, broken: frozenset[str]) -> None:
    """`run`: a charter that did not load cleanly is a configuration error, and a payload
    it does not accept a usage error (both exit 2, before anything is recorded)."""
    unclean = _unclean(res, broken)
    if unclean is not None:
        raise ConfigError(unclean, hint=f"'agentctl lint' shows the findings in {res.file}")
    bad = input_problems(res.doc, payload)
    if bad:
        raise UsageError(
            f"--input does not match the input_schema of {res.ref}: {'; '.join(bad)}",
            hint=f"see {_where(res, 'input_schema')}",
        )


def ask_denied(res: Resource[CharterDoc], payload: Any, broken: frozenset[str]) -> Denied | None:
    """An ask the provider cannot take (it did not load cleanly, or the payload breaks its
    input_schema): refused before it runs."""
    unclean = _unclean(res, broken)
    if unclean is not None:
        return Denied(unclean, rule="charter-invalid", hint=f"see {res.file}")
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
