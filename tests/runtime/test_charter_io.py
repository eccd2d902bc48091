"""A charter's own input_schema and output_schema (issue 8, item 18): `run --input` that
the charter does not accept is a usage error (exit 2, nothing recorded); an ask with such
input is refused and recorded as a denial; an output that breaks output_schema fails the
run."""

from __future__ import annotations

import json
from typing import Any

from rt_helpers import Ws, charter, ws_fixture  # noqa: F401 - ws_fixture

SCHEMAS = """\
{
    type: object, required: [n], additionalProperties: false,
    properties: {n: {type: integer, minimum: 1}, steps: {type: array}, catch: {},
                 extra: {type: object}}}"""
OUT = "{type: object, required: [results], properties: {results: {type: array}}}"

CONTRACT = """\
apiVersion: agentctl/v1
kind: Contract
metadata: {name: c1, owner: role/ops}
spec:
  consumer: charter/asker
  provider: charter/helper
  scopes: [sys.read]
  valid: {from: 2026-01-01, until: 2027-12-31}
"""


def _ws(ws: Ws) -> Ws:
    return ws.add(
        charter("asker", tools="[sys.read]"),
        charter("helper", tools="[sys.read]", input_schema=SCHEMAS, output_schema=OUT),
        CONTRACT,
    )


def test_run_input_that_breaks_the_schema_exits_2(cli: Any, ws: Ws) -> None:
    _ws(ws)
    args = ("run", "helper", "-w", ws.root, "--ledger", ws.ledger_path, "--now")
    r = cli(*args, "2026-11-25T10:00:00Z", "--input", '{"n": 2}')
    assert r.exit_code == 0, r.stderr
    r = cli(*args, "2026-11-25T10:00:00Z", "--input", '{"n": 0, "x": 1}')
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.startswith(
        "agentctl: error: --input does not match the input_schema of charter/helper: "
    )
    assert "Additional properties are not allowed ('x' was unexpected)" in r.stderr
    assert "at 'n': 0 is less than the minimum of 1" in r.stderr
    assert "  hint: see res.yaml:" in r.stderr and ": spec.input_schema" in r.stderr
    assert len(ws.events("run_start")) == 1  # the refused one left nothing


def test_an_ask_with_bad_input_is_denied_and_recorded(ws: Ws) -> None:
    _ws(ws)
    good = {"steps": [["ask", "charter/helper", {"n": 3}]]}
    res = ws.run("asker", good)
    assert res.status == "ok"
    assert "ok" in res.output["results"][0]
    bad = {"steps": [["ask", "charter/helper", {"n": "three"}]]}
    res = ws.run("asker", bad)
    (result,) = res.output["results"]
    assert result["denied"] == "input-schema"
    assert result["message"].startswith(
        "input for charter/helper does not match its input_schema: at 'n': 'three' is not"
    )
    (denial,) = ws.events("denial")
    assert (denial["principal"], denial["operation"]) == ("asker", "charter/helper")
    assert json.loads(denial["attrs"])["rule"] == "input-schema"
    # the provider never started for the refused ask
    assert [e["principal"] for e in ws.events("run_start")] == ["asker", "helper", "asker"]


def test_an_output_that_breaks_the_schema_fails_the_run(ws: Ws) -> None:
    _ws(ws)
    res = ws.run("helper", {"n": 1})
    assert res.status == "ok"
    res = ws.run("helper", {"n": 1, "extra": {"results": "not a list"}})
    assert res.status == "error"
    assert res.error == (
        "output of charter/helper does not match its output_schema: "
        "at 'results': 'not a list' is not of type 'array'"
    )


def test_no_schema_accepts_any_object(ws: Ws) -> None:
    ws.add(charter("free", tools="[sys.read]"))
    assert ws.run("free", {"anything": [1, 2]}).status == "ok"


def test_an_invalid_schema_refuses_instead_of_crashing(ws: Ws) -> None:
    """A schema that is not a JSON Schema (lint: schema-invalid) accepts nothing; before,
    jsonschema's SchemaError escaped as an internal error."""
    import pytest

    from agentctl.errors import UsageError

    ws.add(
        charter("odd", tools="[sys.read]", output_schema="{type: objekt}"),
        charter("odder", tools="[sys.read]", input_schema="{type: objekt}"),
    )
    res = ws.run("odd", {})
    assert res.status == "error"
    assert "the schema itself is invalid: at 'type': 'objekt'" in (res.error or "")
    with pytest.raises(UsageError, match="the schema itself is invalid"):
        ws.run("odder", {})
