"""Property tests: whatever an event stream or a scenario file holds, `simulate` answers with
exit 0, 1 or 2 and never a traceback (exit 3 is an internal error: the bar is zero). The
same for `inventory` over a workspace with a fuzzed file. Commands run in-process with
--debug, so a failure shows its traceback.

Bounded: ~200 examples for parse_line and ~100 per command-level property by default
(AGENTCTL_STRESS_SCALE scales them).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sim_helpers import SCENARIO, make_workspace
from support import REPO

from agentctl.cli.main import run
from agentctl.engine.events import Event, parse_line

SCALE = float(os.environ.get("AGENTCTL_STRESS_SCALE", "1.0"))
EXAMPLES = max(10, int(200 * SCALE))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
CLI_FUZZ = settings(FUZZ, max_examples=max(10, EXAMPLES // 2))  # each runs a whole command


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("fuzz") / "ws")


def invoke(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["--debug", *map(str, args)])
    return code, out.getvalue(), err.getvalue()


def check(*args: str | Path) -> tuple[int, str, str]:
    code, out, err = invoke(*args)
    assert code in (0, 1, 2), f"exit {code}\n{err}"
    assert "Traceback" not in out + err, err
    return code, out, err


# --- event lines ------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["A-1", "s-1", "", "\u0000", "🙂", "9" * 400]),
)
json_trees = st.recursive(
    json_scalars,
    lambda c: st.one_of(
        st.lists(c, max_size=4), st.dictionaries(st.text(max_size=8), c, max_size=5)
    ),
    max_leaves=25,
)
timestamps = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "2026-03-02T10:00:00Z",
            "2026-03-02T10:00:00",
            "2026-03-02T10:00:00+14:00",
            "2026-03-02T10:00:00-23:59",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "9999-12-31T23:59:59.999999Z",
            "2026-02-30T10:00:00Z",
            "2026-03-02T24:00:00Z",
            "2026-03-02T10:00:60Z",
            "2026-03-02",
            "20260302T100000Z",
        ]
    ),
)
events = st.fixed_dictionaries(
    {
        "ts": st.one_of(timestamps, json_scalars),
        "type": st.one_of(st.just("pos.sale"), json_scalars),
    },
    optional={
        "data": st.one_of(
            json_trees,
            st.fixed_dictionaries({"sku": json_trees, "store_id": json_trees, "units": json_trees}),
        ),
        "metrics": st.one_of(
            json_trees,
            st.fixed_dictionaries({"risk": json_scalars, "value": json_scalars}),
            st.dictionaries(st.text(max_size=6), json_scalars, max_size=3),
        ),
        "extra": json_trees,
    },
)


def encode(obj: Any) -> bytes:
    try:
        return orjson.dumps(obj)
    except TypeError:  # an integer over 64 bits: json writes it, orjson reads the refusal
        return json.dumps(obj).encode()


lines = st.one_of(
    events.map(encode),
    st.binary(max_size=200),
    st.text(max_size=120).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from(
        [
            b"[" * 2000 + b"]" * 2000,
            b'{"ts": "2026-03-02T10:00:00Z", "type": "x", "data": '
            + b"[" * 900
            + b"]" * 900
            + b"}",
            b'{"ts": "2026-03-02T10:00:00Z", "type": "x", "data": {"a": "\\ud800"}}',
            b'{"ts": "2026-03-02T10:00:00Z", "type": "x", "data": {"a": 1e999}}',
            b'{"ts": "2026-03-02T10:00:00Z", "type": "x", "data": {"a": 123456789012345678901234}}',
            b'{"ts": "2026-03-02T10:00:00Z", "type": "x", "ts": "x"}',
            b"\xef\xbb\xbf{}",
            b"\r",
            b"\x00",
        ]
    ),
)


@FUZZ
@given(lines)
def test_parse_line_never_raises(line: bytes) -> None:
    got = parse_line(line, 1, "e.jsonl")
    if not isinstance(got, Event):
        assert got.code == "event-invalid" and got.location.line == 1


@CLI_FUZZ
@given(st.lists(lines, max_size=12), st.booleans(), st.sampled_from(["0s", "1h"]))
@example(
    [b'{"ts": "2026-03-02T10:00:00Z", "type": "pos.sale", "metrics": {"risk": "x"}}'], False, "0s"
)
@example([b'{"ts": "0001-01-01T00:00+00:01", "type": "pos.sale"}'], False, "0s")  # year 0 in UTC
def test_simulate_events_never_crashes(ws: Path, body: list[bytes], gz: bool, window: str) -> None:
    data = b"\n".join(line.replace(b"\n", b" ") for line in body)
    path = ws.parent / ("fuzz.jsonl.gz" if gz else "fuzz.jsonl")
    path.write_bytes(gzip.compress(data) if gz else data)
    for fmt in ("text", "json"):
        check("simulate", "--events", path, "-w", ws, "--reorder-window", window, "-f", fmt)


@CLI_FUZZ
@given(st.binary(min_size=1, max_size=300))
def test_simulate_damaged_gzip_never_crashes(ws: Path, noise: bytes) -> None:
    good = gzip.compress(b'{"ts": "2026-03-02T10:00:00Z", "type": "pos.sale"}\n' * 20)
    cut = len(noise) % len(good)
    path = ws.parent / "damaged.jsonl.gz"
    path.write_bytes(good[: max(cut, 2)] + noise)
    check("simulate", "--events", path, "-w", ws)


# --- scenario files ---------------------------------------------------------------------

SCENARIO_DOC = yaml.safe_load(SCENARIO)
yaml_scalars = st.one_of(
    json_scalars,
    st.sampled_from(
        [
            "stockout",
            "policy/stockout",
            "fired",
            "suppressed:cooldown",
            "suppressed:nope",
            "2026-03-02T10:00:00Z",
            "2026-03-02T10:00:00",
            "events.jsonl",
            "../events.jsonl",
            "/etc/passwd",
            "missing.jsonl",
            "s-1/A-1",
        ]
    ),
)
yaml_trees = st.recursive(
    yaml_scalars,
    lambda c: st.one_of(
        st.lists(c, max_size=4), st.dictionaries(st.text(max_size=8), c, max_size=4)
    ),
    max_leaves=20,
)
scenario_keys = st.sampled_from(
    ["events", "policies", "expect", "policy", "outcome", "at", "between", "count", "key", "x"]
)


def mutate(doc: Any, rnd: list[tuple[int, Any, Any]]) -> Any:
    """Set keys of the spec or of an expectation to fuzzed values."""
    doc = json.loads(json.dumps(doc))
    for where, key, value in rnd:
        spec = doc.setdefault("spec", {})
        expect = spec.get("expect")
        if where % 3 == 0 or not isinstance(expect, list) or not expect:
            spec[key] = value
        else:
            item = expect[where % len(expect)]
            if isinstance(item, dict):
                item[key] = value
            else:
                expect[where % len(expect)] = value
    return doc


@CLI_FUZZ
@given(st.lists(st.tuples(st.integers(0, 100), scenario_keys, yaml_trees), min_size=1, max_size=4))
def test_simulate_scenario_files_never_crash(ws: Path, changes: list[Any]) -> None:
    doc = mutate(SCENARIO_DOC, changes)
    path = ws / "simulator/fuzz.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    try:
        check("simulate", path, "-w", ws)
        check("simulate", "-w", ws, "-f", "json")  # every scenario, the fuzzed one too
    finally:
        path.unlink()


@CLI_FUZZ
@given(st.binary(max_size=400))
def test_simulate_scenario_bytes_never_crash(ws: Path, data: bytes) -> None:
    path = ws.parent / "scenario.yaml"
    path.write_bytes(data)
    check("simulate", path, "-w", ws)


# --- inventory (and lint) over a fuzzed workspace ----------------------------------------


@pytest.fixture(scope="module")
def inv_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("inv") / "ws"
    shutil.copytree(REPO / "tests/lint/base", root)
    return root


@CLI_FUZZ
@given(st.lists(yaml_trees, min_size=1, max_size=3))
def test_inventory_and_lint_never_crash(inv_ws: Path, docs: list[Any]) -> None:
    data = "---\n".join(yaml.safe_dump(d, allow_unicode=True) for d in docs)
    (inv_ws / "fuzz.yaml").write_text(data)
    check("inventory", "-w", inv_ws)
    check("inventory", "-w", inv_ws, "-f", "json")
    check("lint", "-w", inv_ws, "-f", "json")


def test_fuzz_regressions() -> None:
    """Inputs that once made simulate exit 3, kept as plain regressions."""
    year0 = parse_line(b'{"ts": "0001-01-01T00:00+00:01", "type": "x"}', 1, "e.jsonl")
    assert not isinstance(year0, Event) and "out of range" in year0.message
    deep = b'{"ts": "2026-03-02T10:00:00Z", "type": "x", "data": {"a": %s}}'
    bad = parse_line(deep % (b"[" * 1000 + b"]" * 1000), 1, "e.jsonl")  # RecursionError once
    assert not isinstance(bad, Event) and bad.message == "the event nests deeper than 100 levels"
    ok = parse_line(deep % (b"[" * 97 + b"]" * 97), 1, "e.jsonl")  # event > data > a > 97
    assert isinstance(ok, Event)
    # the last second of year 9999 with a fraction: the float rounds into year 10000
    late = parse_line(b'{"ts":"9999-12-31T23:59:59.99999Z","type":"x"}', 1, "e.jsonl")
    assert not isinstance(late, Event) and "out of range" in late.message


FUZZ_SUITE = """\
apiVersion: agentctl/v1
kind: EvalSuite
metadata: {name: fuzz-suite, owner: role/ops}
spec:
  charter: charter/planner
  cases_file: fuzz-cases.jsonl
"""
cases = st.fixed_dictionaries(
    {},
    optional={
        "id": json_scalars,
        "input": json_trees,
        "assert": st.one_of(json_trees, st.lists(st.sampled_from(["true", "output.x ==", "1"]))),
        "expect_denial": json_trees,
        "x": json_trees,
    },
)


@CLI_FUZZ
@given(st.lists(st.one_of(cases.map(encode), lines), max_size=8))
def test_lint_cases_files_never_crash(inv_ws: Path, body: list[bytes]) -> None:
    (inv_ws / "evals/fuzz-suite.yaml").write_text(FUZZ_SUITE)
    (inv_ws / "evals/fuzz-cases.jsonl").write_bytes(b"\n".join(body))
    try:
        for fmt in ("text", "json", "sarif", "github"):
            check("lint", "-w", inv_ws, "-f", fmt)
    finally:
        (inv_ws / "evals/fuzz-suite.yaml").unlink()
