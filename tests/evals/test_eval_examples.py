"""`agentctl eval` end to end on a copy of the example workspace: real agents, real
fixture connectors, a real ledger and a real git repository."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import REPO, commit_all, git

from agentctl.ledger import Ledger
from agentctl.ledger.verify import verify

NOW = "2026-11-25T10:00:00Z"
PARTS = ("agentctl.yaml", "charters", "evals", "policies", "simulator")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """The example workspace, copied into a fresh git repository."""
    root = tmp_path / "ws"
    root.mkdir()
    for part in PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, root / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, root / part)
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "the example workspace")
    return root


def _eval(cli: Any, ws: Path, *args: str) -> Any:
    # a fixed clock: the examples' fixtures and credentials are dated
    return cli("eval", "-w", ws, "--ledger", ws.parent / "ledger.db", "--now", NOW, *args)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _unreachable(ws: Path) -> None:
    """The python connectors' systems are gone: their modules refuse to import."""
    for tool in (ws / "charters/lib/example_tools").glob("*.py"):
        if tool.name != "__init__.py":
            tool.write_text('raise RuntimeError("the system is unreachable")\n' + tool.read_text())


def test_every_example_suite_passes_offline(cli: Any, ws: Path) -> None:
    """From the cassettes: every example case has one (evals/recordings/SUITE/CASE.json)
    and its suite replays it, so the systems behind the connectors need not be there."""
    from agentctl.evals.cassette import file_name
    from agentctl.workspace.cases import suite_cases
    from agentctl.workspace.loader import load_workspace

    loaded = load_workspace(ws).workspace
    for suite in loaded.suites:
        assert suite.doc.spec.recording.mode == "replay", suite.name
        for site in suite_cases(loaded, suite):
            tape = ws / "evals/recordings" / suite.name / file_name(site.case.id)
            assert tape.is_file(), tape
    _unreachable(ws)
    commit_all(ws, "the systems are gone")
    r = _eval(cli, ws, "--format", "json")
    assert r.exit_code == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["passed"] is True
    names = sorted(s["suite"] for s in doc["suites"])
    expected = sorted(p.stem for p in (REPO / "evals").glob("*.yaml"))
    assert names == expected
    for s in doc["suites"]:
        assert s["verdict"] == "passed", s
        assert s["counts"]["fail"] == s["counts"]["error"] == 0
    # every case result and suite verdict is in the ledger, bound to version and commit
    head = git(ws, "rev-parse", "HEAD").strip()
    with Ledger.open(ws.parent / "ledger.db") as led:
        assert verify(led).ok
        starts = dict(
            led.conn.execute(
                "SELECT trace_id, principal_version FROM events WHERE kind = 'run_start' "
                "AND parent_span_id IS NULL"
            ).fetchall()
        )
        rows = led.conn.execute(
            "SELECT kind, principal, principal_version, git_commit, status, attrs, trace_id "
            "FROM events WHERE kind IN ('eval_case', 'eval_suite') ORDER BY seq"
        ).fetchall()
    cases = [r for r in rows if r[0] == "eval_case"]
    suites = [r for r in rows if r[0] == "eval_suite"]
    assert len(cases) == doc["counts"]["pass"] and len(suites) == len(expected)
    assert {r[3] for r in rows} == {head}
    assert {r[4] for r in rows} == {"ok"}
    assert all(r[2] == starts[r[6]] for r in cases)  # the version that ran
    assert {r[2] for r in suites} <= set(starts.values())
    by_case = {json.loads(r[5])["case"]: r[6] for r in cases}
    listed = {c["id"]: c["trace_id"] for s in doc["suites"] for c in s["cases"]}
    assert by_case == listed  # each eval_case sits in its own run's trace


def test_a_weakened_agent_fails_its_suite_naming_the_case(cli: Any, ws: Path) -> None:
    # the planner no longer checks whether a restock is needed at all
    _edit(
        ws / "charters/lib/example_agents/retail.py",
        'if fc["stockout_risk"] < RISK_THRESHOLD or need <= 0:',
        "if False:",
    )
    r = _eval(cli, ws, "replenishment-core")
    assert r.exit_code == 1, r.stdout + r.stderr
    assert r.stdout.startswith("eval: gate failed (4 passed, 1 failed, 0 errored)")
    assert "FAIL evalsuite/replenishment-core (charter/replenishment-planner)" in r.stdout
    assert "failed well-stocked-no-plan  evals/replenishment-core.yaml:" in r.stdout
    assert 'output.action == "none"' in r.stdout
    assert "assertion is false; expected true, got false" in r.stdout
    assert '    output: {"action": "escalate"' in r.stdout


def test_a_red_team_case_fails_when_the_forbidden_call_goes_through(cli: Any, ws: Path) -> None:
    # the planner is granted what it must not have: its order now goes through
    _edit(
        ws / "charters/replenishment-planner.yaml",
        "tools: [inventory.read, procurement.read]",
        "tools: [inventory.read, procurement.read, procurement.write]",
    )
    r = _eval(cli, ws, "replenishment-core", "--case", "planner-never-orders", "-f", "json")
    assert r.exit_code == 1, r.stdout + r.stderr
    case = json.loads(r.stdout)["suites"][0]["cases"][0]
    assert case["outcome"] == "fail"
    checks = {f["check"]: f for f in case["failures"]}
    went = checks["expect_denial: procurement.write"]
    assert went["message"].startswith("procurement.create_restock_order went through")
    assert went["got"].startswith('procurement.create_restock_order {"needed_by"')


def test_a_red_team_case_fails_when_no_denial_happened(cli: Any, ws: Path) -> None:
    # the agent no longer tries the refund: the case proves nothing about the guard
    _edit(
        ws / "charters/lib/example_agents/support.py",
        '            ctx.call(\n                "billing.refund",',
        '            (lambda *a: None)(\n                "billing.refund",',
    )
    r = _eval(cli, ws, "support-top-intents", "--tag", "red-team")
    assert r.exit_code == 1, r.stdout + r.stderr
    assert "failed red-team-refund-demand" in r.stdout
    assert "no denial of billing.refund in the trace" in r.stdout
    assert "failed red-team-ssn-fishing" not in r.stdout


def test_a_crashing_agent_is_an_error_not_a_failure(cli: Any, ws: Path) -> None:
    _edit(
        ws / "charters/lib/example_agents/support.py",
        '    tid = task["ticket_id"]\n    ticket = ctx.call("ticketing.get_ticket"',
        '    tid = task["ticket_id"]\n    1 / 0\n    ticket = ctx.call("ticketing.get_ticket"',
    )
    r = _eval(cli, ws, "support-top-intents", "--case", "invoice-copy")
    assert r.exit_code == 1
    assert r.stdout.startswith("eval: gate failed (0 passed, 0 failed, 1 errored)")
    assert "1 case(s) errored: the agent or a connector crashed, not judged" in r.stdout
    assert "error invoice-copy" in r.stdout
    assert "raised ZeroDivisionError: division by zero" in r.stdout
    doc = json.loads(
        _eval(cli, ws, "support-top-intents", "--case", "invoice-copy", "-f", "json").stdout
    )
    case = doc["suites"][0]["cases"][0]
    assert (case["outcome"], case["failures"]) == ("error", [])
    with Ledger.open(ws.parent / "ledger.db") as led:
        statuses = {
            s for (s,) in led.conn.execute("SELECT status FROM events WHERE kind = 'eval_case'")
        }
    assert statuses == {"error"}


def test_junit_validates_and_separates_errors_from_failures(cli: Any, ws: Path) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    _edit(
        ws / "charters/lib/example_agents/support.py",
        '    tid = task["ticket_id"]\n    ticket = ctx.call("ticketing.get_ticket"',
        '    tid = task["ticket_id"]\n    if "INV-104410" in str(task):\n        1 / 0\n'
        '    ticket = ctx.call("ticketing.get_ticket"',
    )
    _edit(
        ws / "evals/support-top-intents.yaml",
        'output.intent == "refund_status"',
        'output.intent == "nope"',
    )
    r = _eval(cli, ws, "support-top-intents", "logistics-core", "--format", "junit")
    assert r.exit_code == 1
    schema = xmlschema.XMLSchema(str(REPO / "tests/data/junit.xsd"))
    schema.validate(r.stdout)
    assert re.search(
        r'<testsuite name="support-top-intents" tests="7" failures="1" errors="1"', r.stdout
    )
    assert re.search(
        r'<testsuite name="logistics-core" tests="5" failures="0" errors="0"', r.stdout
    )
    assert '<failure message="output.intent == &quot;nope&quot;: assertion is false"' in r.stdout
    assert "expected: true" in r.stdout and "got: false" in r.stdout
    assert '<error message="charter/support-tier1 raised ZeroDivisionError' in r.stdout


def test_markdown_is_a_pull_request_comment(cli: Any, ws: Path) -> None:
    r = _eval(cli, ws, "logistics-core", "-f", "markdown")
    assert r.exit_code == 0
    assert r.stdout.startswith("### ✅ agentctl eval: every gate passed\n")
    assert (
        "| `logistics-core` | `charter/logistics-agent` | 5 | 0 | 0 | 100% (min 100%) | passed |"
        in r.stdout
    )


def test_usage_errors_exit_2(cli: Any, ws: Path) -> None:
    r = _eval(cli, ws, "no-such-suite")
    assert r.exit_code == 2
    assert "unknown eval suite 'no-such-suite'" in r.stderr
    r = _eval(cli, ws, "--case", "no-such-case")
    assert r.exit_code == 2
    assert "no eval case to run for case 'no-such-case'" in r.stderr
    r = _eval(cli, ws, "--format", "yaml")
    assert r.exit_code == 2
    real = ws.parent / "real.db"
    assert cli("eval", "-w", ws, "logistics-core", "--ledger", real).exit_code == 0
    r = cli("eval", "-w", ws, "logistics-core", "--ledger", real, "--now", NOW)
    assert r.exit_code == 2
    assert "--now cannot be used with" in r.stderr


def test_rev_evaluates_the_code_and_suites_of_that_revision(cli: Any, ws: Path) -> None:
    good = git(ws, "rev-parse", "HEAD").strip()
    _edit(
        ws / "charters/lib/example_agents/retail.py",
        'if fc["stockout_risk"] < RISK_THRESHOLD or need <= 0:',
        "if False:",
    )
    weak = commit_all(ws, "a weakened planner")
    r = _eval(cli, ws, "replenishment-core", "--rev", good, "-f", "json")
    assert r.exit_code == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert (doc["rev"], doc["commit"]) == (good, good)
    r = _eval(cli, ws, "replenishment-core", "--rev", weak)
    assert r.exit_code == 1
    assert "failed well-stocked-no-plan" in r.stdout
    with Ledger.open(ws.parent / "ledger.db") as led:
        commits = [
            c
            for (c,) in led.conn.execute("SELECT git_commit FROM events WHERE kind = 'eval_suite'")
        ]
    assert commits == [good, weak]


def test_a_connector_error_is_an_error_not_a_failure(cli: Any, ws: Path) -> None:
    # the ticketing system is down: every call to it fails
    _edit(
        ws / "charters/lib/example_tools/support.py",
        '    tid = payload["ticket_id"]\n    if tid not in TICKETS:',
        '    raise ConnectionError("ticketing is down")\n    tid = payload["ticket_id"]\n'
        "    if tid not in TICKETS:",
    )
    # replayed, the case never reaches the connector: its cassette answers
    r = _eval(cli, ws, "support-top-intents", "--case", "where-is-my-refund")
    assert r.exit_code == 0, r.stdout + r.stderr
    # live, the dead connector is the case's error
    r = _eval(
        cli, ws, "support-top-intents", "--case", "where-is-my-refund", "-f", "json", "--live"
    )
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    case = doc["suites"][0]["cases"][0]
    assert (case["outcome"], case["failures"]) == ("error", []), case
    assert "ticketing is down" in case["error"]
    assert doc["suites"][0]["reasons"][-1] == "1 case(s) errored and could not be judged"


def test_live_the_example_systems_are_called(cli: Any, ws: Path) -> None:
    _unreachable(ws)
    r = _eval(cli, ws, "logistics-core", "--case", "books-slot-in-window", "--live", "-f", "json")
    assert r.exit_code == 1
    (case,) = json.loads(r.stdout)["suites"][0]["cases"]
    assert case["outcome"] != "pass"
    assert _eval(cli, ws, "logistics-core", "--case", "books-slot-in-window").exit_code == 0
