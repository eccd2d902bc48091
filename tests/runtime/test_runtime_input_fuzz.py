"""`agentctl run --input` never ends in an internal error: whatever the value (big
integers, deep nesting, lone surrogates, huge strings, non-object JSON, invalid UTF-8 in
@file, NaN/Infinity, duplicate keys, not JSON at all), the exit code is 0, 1 or 2 and the
ledger still verifies. The inputs the fuzzing of the issue found are in `KNOWN`.

Two workspaces: the example (whose charters' input_schemas refuse most of these before
anything runs) and one whose `echo` agent takes anything, writes it through a journaled
`write` call and returns it, so every value reaches the ledger and stdout."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rt_helpers import charter, make_ws

from agentctl.ledger import Ledger
from agentctl.ledger.verify import verify

REPO = Path(__file__).resolve().parents[2]
CHARTERS = ["support-tier1", "claims-intake", "replenishment-planner", "echo"]
ECHO = """\
def echo(task, ctx):
    ctx.call("sys.write", {"value": task})
    return {"echo": task}
"""
NOW = "2026-11-25T10:00:00Z"

KNOWN = [
    '{"ticket_id": 123456789012345678901234567890}',
    "123456789012345678901234567890",
    "[" * 300 + "]" * 300,
    '{"a":' * 300 + "1" + "}" * 300,
    "[" * 5000 + "]" * 5000,
    '{"ticket_id": "\\ud800"}',
    '{"\\udc00": 1}',
    '{"claim_id": NaN, "x": -Infinity}',
    '{"ticket_id": "T-310452", "ticket_id": 5}',
    "[1, 2]",
    '"text"',
    "null",
    "1e999",
    "",
    "{",
    "1" * 5000,  # more digits than Python converts to an int
]


@pytest.fixture(scope="module", autouse=True)
def _forget_imports() -> Iterator[None]:
    """The runs import the workspaces' code (connectors, agents) into this process: forget
    it after the module, as the `ws` fixture does, or later tests get these modules."""
    before, saved = set(sys.modules), list(sys.path)
    yield
    for name in set(sys.modules) - before:
        if name.startswith(("rt_", "example_")):
            del sys.modules[name]
    sys.path[:] = saved


@pytest.fixture(scope="module")
def example_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("example") / "ws"
    root.mkdir()
    shutil.copy(REPO / "agentctl.yaml", root)
    for folder in ("charters", "policies", "evals", "simulator"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.fixture(scope="module")
def echo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = make_ws(tmp_path_factory.mktemp("echo"))
    ws.lib("rt_echo.py", ECHO).add(charter("echo", 'python: "rt_echo:echo"', tools="[sys.write]"))
    (ws.root / "agentctl.yaml").write_text(
        (ws.root / "agentctl.yaml").read_text() + "  ledger: ledger.db\n"
    )
    return ws.root


def where(example_ws: Path, echo_ws: Path, charter_name: str) -> Path:
    return echo_ws if charter_name == "echo" else example_ws


leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # unbounded
    st.floats(),  # NaN and infinities too
    st.text(st.characters(codec=None, categories=None), max_size=12),  # lone surrogates
)
value = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.one_of(st.sampled_from(["ticket_id", "claim_id", "sku"]), st.text(max_size=4)),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=12,
)
deep = st.builds(
    lambda n, o: (o + ('"x":' if o == "{" else "")) * n + "0" + ("}" if o == "{" else "]") * n,
    st.integers(200, 3000),
    st.sampled_from(["[", "{"]),
)
huge = st.builds(lambda n: json.dumps({"ticket_id": "T" * n}), st.integers(10**5, 3 * 10**6))
inputs = st.one_of(
    value.map(json.dumps),
    value.map(lambda v: json.dumps({"ticket_id": v, "claim_id": v, "store_id": v})),
    deep,
    huge,
    st.sampled_from(KNOWN),
    st.text(max_size=30),  # not JSON at all, mostly
)


def _check(cli: Callable[..., Any], root: Path, charter: str, *args: str) -> None:
    r = cli("run", charter, "-w", root, "--now", NOW, *args)
    assert r.exit_code in (0, 1, 2), r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(charter=st.sampled_from(CHARTERS), text=inputs)
@example(charter="support-tier1", text=KNOWN[0])
@example(charter="support-tier1", text=KNOWN[5])
@example(charter="claims-intake", text=KNOWN[2])
@example(charter="echo", text=KNOWN[0])
@example(charter="echo", text=KNOWN[2])
@example(charter="echo", text=KNOWN[4])
@example(charter="echo", text=KNOWN[5])
@example(charter="echo", text=KNOWN[6])
@example(charter="echo", text=KNOWN[-1])
def test_run_input_never_crashes(
    cli: Callable[..., Any], example_ws: Path, echo_ws: Path, charter: str, text: str
) -> None:
    _check(cli, where(example_ws, echo_ws, charter), charter, "--input", text)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.one_of(st.binary(max_size=40), st.just(b'{"ticket_id": "\xff\xfe"}')))
def test_run_input_file_never_crashes(
    cli: Callable[..., Any], echo_ws: Path, tmp_path: Path, data: bytes
) -> None:
    f = tmp_path / "input.json"
    f.write_bytes(data)
    _check(cli, echo_ws, "echo", "--input", f"@{f}")


def test_invalid_utf8_in_a_file_names_the_place(
    cli: Callable[..., Any], example_ws: Path, tmp_path: Path
) -> None:
    f = tmp_path / "input.json"
    f.write_bytes(b'{\n  "ticket_id": "T-\xff"}')
    r = cli("run", "support-tier1", "-w", example_ws, "--input", f"@{f}")
    assert r.exit_code == 2
    assert r.stderr == (
        f"agentctl: error: {f}:2:19: the input is not UTF-8 (byte 0xff)\n"
        "  hint: JSON input is UTF-8 text; re-encode the file\n"
    )


def test_the_ledgers_verify_after_the_fuzzing(
    cli: Callable[..., Any], example_ws: Path, echo_ws: Path
) -> None:
    # the module's runs all wrote to these ledgers (this test runs last in the module)
    _check(cli, echo_ws, "echo", "--input", KNOWN[0])
    _check(cli, example_ws, "support-tier1", "--input", '{"ticket_id": "T-310452"}')
    for ledger in (echo_ws / "ledger.db", example_ws / ".agentctl" / "ledger.db"):
        with Ledger.open(ledger, readonly=True) as led:
            assert led.count() > 0
            report = verify(led)
            assert report.ok, [p.message for p in report.problems]
