"""The example workspace is true to life (issue 8, item 18): the ids in the recorded events
fit the connector schemas they will be sent to, every policy action's input fits the
charter it invokes, every eval case fits its charter, and the charters' own schemas are
real JSON Schemas. These tests read the real files at the repository root."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from support import REPO

SCENARIOS = ["retail-three-weeks", "claims-three-weeks", "support-three-weeks"]


@pytest.fixture(scope="module")
def ws() -> Any:
    from agentctl.workspace.loader import load_workspace

    return load_workspace(REPO).workspace


def _valid(schema: dict[str, Any], value: Any) -> list[str]:
    v = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [e.message for e in v.iter_errors(value)]


def _field_schemas(ws: Any, charter: Any = None) -> dict[str, list[tuple[str, Any]]]:
    """Field name → (operation, the property's schema) over the connectors' inputs: all of
    them, or those granted to `charter` (what that agent can send a value on to)."""
    if charter is not None:
        ops = [(o.qualified, o.op) for o in ws.granted_operations(charter.doc)]
    else:
        ops = [
            (f"{c.name}.{n}", op) for c in ws.connectors for n, op in c.doc.spec.operations.items()
        ]
    out: dict[str, list[tuple[str, Any]]] = {}
    for name, op in ops:
        for field, schema in op.input_schema.get("properties", {}).items():
            out.setdefault(field, []).append((name, schema))
    return out


def _events(name: str) -> Iterator[dict[str, Any]]:
    with gzip.open(REPO / "simulator/fixtures" / f"{name}.jsonl.gz", "rt") as fh:
        for line in fh:
            yield json.loads(line)


@pytest.mark.parametrize("fixture", ["retail", "claims", "support"])
def test_every_id_in_the_fixtures_fits_the_connector_schemas(ws: Any, fixture: str) -> None:
    """Every id field of every recorded event, against every connector input that takes a
    field of that name (store-0042 used to fail inventory's ^S[0-9]{3}$)."""
    fields = _field_schemas(ws)
    ids = {"store_id", "sku", "claim_id", "member_id", "ticket_id", "order_id", "invoice_id"}
    seen: dict[str, set[Any]] = {}
    for ev in _events(fixture):
        for k, v in ev["data"].items():
            if k in ids:
                seen.setdefault(k, set()).add(v)
    checked = 0
    for field, values in seen.items():
        for op, schema in fields.get(field, []):
            bad = sorted(v for v in values if _valid(schema, v))
            assert bad == [], f"{fixture}: {field} {bad[:3]} do not fit {op}"
            checked += len(values)
    assert checked > 0, fixture
    # non-vacuous: the old ids are refused by the same check
    if fixture == "retail":
        (_, store) = fields["store_id"][0]
        assert _valid(store, "store-0042")


def _simulate(ws: Any, name: str) -> Any:
    from agentctl.simulate import simulate
    from agentctl.simulate.scenario import select
    from agentctl.simulate.stream import read_events

    (sc,) = select(ws, REPO, name)
    return simulate(
        ws,
        read_events(sc.events_path, sc.events_display, None),
        title=sc.name,
        events_file=sc.events_display,
        only=sc.spec.policies,
        expect=sc.spec.expect,
        where=sc.where,
    )


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_simulated_action_fits_its_charter_and_connectors(ws: Any, name: str) -> None:
    """What the policies would send: it fits the invoked charter's input_schema (the engine
    checks that: no errors), and each field fits the connector inputs the charter may pass
    it on to — so the rollout would not be refused at run time."""
    run = _simulate(ws, name)
    assert not run.failed and run.unexpected_errors == 0
    acted = [e.decision for e in run.timeline if e.decision.outcome != "suppressed"]
    assert acted
    checked = 0
    for d in acted:
        for action in d.actions:
            if action.type != "invoke":
                continue
            charter = ws.get(action.target)
            assert _valid(charter.doc.spec.input_schema, action.input) == [], action
            fields = _field_schemas(ws, charter)
            for field, value in action.input.items():
                for op, schema in fields.get(field, []):
                    assert _valid(schema, value) == [], f"{d.time} {field}={value!r} → {op}"
                    checked += 1
    assert checked > 0


def test_every_charter_has_real_schemas(ws: Any) -> None:
    for ch in ws.charters:
        for which in ("input_schema", "output_schema"):
            schema = getattr(ch.doc.spec, which)
            assert schema is not None, f"{ch.name} {which}"
            Draft202012Validator.check_schema(schema)
            assert schema["type"] == "object"
        # inputs are closed, like the connectors': an invented field is an error
        assert ch.doc.spec.input_schema.get("additionalProperties") is False, ch.name
        assert ch.doc.spec.input_schema.get("required"), ch.name


def test_every_eval_case_fits_its_charter(ws: Any) -> None:
    checked = 0
    for suite in ws.suites:
        charter = ws.get(suite.doc.spec.charter)
        cases: list[Any] = [c.input for c in suite.doc.spec.cases]
        if suite.doc.spec.cases_file:
            path = REPO / Path(suite.file).parent / suite.doc.spec.cases_file
            cases += [json.loads(line)["input"] for line in path.read_text().splitlines()]
        for inp in cases:
            assert _valid(charter.doc.spec.input_schema, inp) == [], f"{suite.name}: {inp}"
            checked += 1
    assert checked >= 35


def test_every_ask_in_the_example_fits_its_provider(ws: Any) -> None:
    """The two contracts' requests, as the consumers' code builds them."""
    planner_ask = {
        "request": "quote",
        "sku": "SKU-1003",
        "quantity": 48,
        "needed_by": "2026-11-17",
        "as_of": "2026-11-03",
    }
    intake_ask = {
        "member_id": "M-0051177",
        "policy_number": "PPO-7741203",
        "service_date": "2026-11-03",
        "procedure_codes": ["99213"],
    }
    for provider, ask in (("procurement-agent", planner_ask), ("claims-policy", intake_ask)):
        schema = ws.get(f"charter/{provider}").doc.spec.input_schema
        assert _valid(schema, ask) == [], provider
    order = {**planner_ask, "request": "order"}
    assert _valid(ws.get("charter/procurement-agent").doc.spec.input_schema, order)


def test_the_run_help_example_runs_on_the_example(cli: Any, tmp_path: Path) -> None:
    """`run --help` shows an input the example's charter and connectors accept."""
    import re
    import shlex

    help_text = cli("run", "--help").stdout
    (example,) = re.findall(r"Example: (agentctl run .*)", help_text)
    args = shlex.split(example)[1:]
    r = cli(*args, "-w", REPO, "--ledger", tmp_path / "l.db", "--now", "2026-11-25T10:00:00Z")
    assert r.exit_code == 0, r.stderr
    assert "denied" not in r.stderr


def test_a_simulated_restock_runs_without_a_refusal(ws: Any, cli: Any, tmp_path: Path) -> None:
    """End to end: the planner, run with the input the retail scenario's first firing
    computes (store S014), passes every schema on its way (before: store-0042 was refused
    by inventory.get_stock's input_schema)."""
    import sqlite3

    run = _simulate(ws, "retail-three-weeks")
    first = next(e.decision for e in run.timeline if e.decision.outcome == "fired")
    (action,) = first.actions
    db = tmp_path / "l.db"
    r = cli(
        "run",
        action.target,
        "-w",
        REPO,
        "--ledger",
        db,
        "--now",
        "2026-11-25T10:00:00Z",
        "--input",
        json.dumps(action.input),
    )
    assert r.exit_code == 0, r.stderr
    con = sqlite3.connect(db)
    kinds = [k for (k,) in con.execute("SELECT kind FROM events ORDER BY seq")]
    con.close()
    assert "denial" not in kinds
    assert kinds.count("tool_call") >= 2  # stock and forecast were read for that store
