"""`agentctl eval --repeat`, retries and `--max-cost` on a small workspace whose agent
behaves as each case says (tests/evals/ev_helpers.py): real runs, a real ledger."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from ev_helpers import make_eval_ws, suite
from support import REPO


def _eval(cli: Any, root: Path, *args: str) -> Any:
    return cli("eval", "-w", root, "--ledger", root.parent / "ledger.db", *args)


def _rows(root: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    con = sqlite3.connect(root.parent / "ledger.db")
    rows = con.execute(
        "SELECT trace_id, attrs FROM events WHERE kind = ? ORDER BY seq", (kind,)
    ).fetchall()
    con.close()
    return [(t, json.loads(a or "{}")) for t, a in rows]


def test_repeat_exposes_a_flaky_case_apart_from_stable_failures(cli: Any, tmp_path: Path) -> None:
    root = make_eval_ws(
        tmp_path / "ws",
        suite(
            "core",
            [
                {"id": "steady", "key": "a"},
                {"id": "wobbly", "mode": "alternate", "key": "b"},
                {"id": "broken", "mode": "wrong", "key": "c"},
            ],
        ),
    )
    r = _eval(cli, root, "--repeat", "4", "-f", "json")
    assert r.exit_code == 1, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["repeat"] == 4
    assert (doc["flaky"], doc["failures"], doc["errors"]) == (
        ["core/wobbly"],
        ["core/broken"],
        [],
    )
    s = doc["suites"][0]
    assert s["counts"] == {"pass": 1, "fail": 1, "error": 0, "flaky": 1, "skipped": 0}
    assert (s["runs"], s["runs_passed"]) == (12, 6)
    steady, wobbly, broken = s["cases"]
    assert [r["outcome"] for r in wobbly["runs"]] == ["pass", "fail", "pass", "fail"]
    assert (wobbly["outcome"], wobbly["passes"], wobbly["pass_rate"]) == ("flaky", 2, 0.5)
    low, high = wobbly["pass_rate_interval"]
    assert 0.0 < low < 0.5 < high < 1.0
    assert (steady["outcome"], broken["outcome"]) == ("pass", "fail")
    # four fresh runs each: four traces per case, no answer served twice
    assert len({run["trace_id"] for c in s["cases"] for run in c["runs"]}) == 12
    events = _rows(root, "eval_case")
    assert [a["repeat"] for _t, a in events if a["case"] == "wobbly"] == [1, 2, 3, 4]
    assert len(_rows(root, "run_start")) == 12

    r = _eval(cli, root, "--repeat", "4")
    lines = r.stdout.splitlines()
    assert lines[0] == "eval: gate failed (1 passed, 1 failed, 0 errored, 1 flaky)"
    assert "  1 case(s) flaky: passed in some runs, failed in others" in lines
    assert "  runs: 6/12 passed; Wilson 95% interval 25.4%..74.6%" in lines
    flaky = lines.index("  flaky wobbly  suite0.yaml:1")
    assert lines[flaky + 1] == "    2/4 runs passed [.F.F]; the first failed run:"
    assert flaky < lines.index("  failed broken  suite0.yaml:1")


def test_junit_shows_a_flaky_case_with_its_runs(cli: Any, tmp_path: Path) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    root = make_eval_ws(
        tmp_path / "ws", suite("core", [{"id": "wobbly", "mode": "alternate", "key": "b"}])
    )
    r = _eval(cli, root, "--repeat", "2", "-f", "junit")
    assert r.exit_code == 1
    xmlschema.XMLSchema(str(REPO / "tests/data/junit.xsd")).validate(r.stdout)
    assert '<failure message="flaky: 1/2 runs passed" type="Flaky">' in r.stdout
    assert "<system-out>1/2 runs passed\nrun 1: pass (trace " in r.stdout
    assert "run 2: fail (trace " in r.stdout


def test_pass_rate_lower_bound_gates_on_the_wilson_interval(cli: Any, tmp_path: Path) -> None:
    cases = [{"id": "one", "key": "a"}, {"id": "two", "key": "b"}]
    root = make_eval_ws(tmp_path / "ws", suite("core", cases, pass_rate_lower_bound=0.8))
    # 6 of 6 passed, yet so few runs cannot show a rate of 80%: lower bound 61%
    r = _eval(cli, root, "--repeat", "3")
    assert r.exit_code == 1, r.stdout
    assert "pass rate lower bound 61.0% (Wilson 95%, 6/6 runs) is below 80.0%" in r.stdout
    r = _eval(cli, root, "--repeat", "10", "-f", "json")
    assert r.exit_code == 0, r.stdout
    s = json.loads(r.stdout)["suites"][0]
    assert s["thresholds"]["pass_rate_lower_bound"] == 0.8
    assert s["pass_rate_interval"][0] == pytest.approx(0.8389, abs=1e-4)


def test_an_errored_case_is_retried_and_each_attempt_shown(cli: Any, tmp_path: Path) -> None:
    root = make_eval_ws(
        tmp_path / "ws",
        suite(
            "core",
            [
                {"id": "recovers", "mode": "crash_first", "key": "a", "n": 1},
                {"id": "dead", "mode": "down", "key": "b"},
            ],
        ),
    )
    r = _eval(cli, root, "-f", "json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert (doc["errors"], doc["failures"]) == (["core/dead"], [])
    recovers, dead = doc["suites"][0]["cases"]
    assert recovers["outcome"] == "pass"
    assert [a["attempt"] for a in recovers["attempts"]] == [1]
    assert "crash on run 1" in recovers["attempts"][0]["error"]
    assert dead["outcome"] == "error" and "svc is down" in dead["error"]
    assert [a["attempt"] for a in dead["attempts"]] == [1, 2]  # and the third, its result
    assert len({a["trace_id"] for a in dead["attempts"]} | {dead["trace_id"]}) == 3
    events = {a["case"]: a for _t, a in _rows(root, "eval_case")}
    assert [a["attempt"] for a in events["dead"]["attempts"]] == [1, 2]

    r = _eval(cli, root)  # the counters go on: "recovers" now passes at once
    lines = r.stdout.splitlines()
    assert lines[0] == "eval: gate failed (1 passed, 0 failed, 1 errored)"
    i = lines.index("  error dead  suite0.yaml:1")
    assert lines[i + 1].startswith("    attempt 1: error: ")
    assert lines[i + 2].startswith("    attempt 2: error: ")
    assert "retried" in lines[i + 1]


def test_a_recovered_case_is_shown_as_retried(cli: Any, tmp_path: Path) -> None:
    root = make_eval_ws(
        tmp_path / "ws", suite("core", [{"id": "recovers", "mode": "down_first", "key": "a"}])
    )
    r = _eval(cli, root)
    assert r.exit_code == 0, r.stdout
    assert r.stdout.splitlines()[:2] == [
        "eval: every gate passed (1 passed, 0 failed, 0 errored)",
        "PASS evalsuite/core (charter/bot)",
    ]
    assert "  retried recovers  suite0.yaml:1" in r.stdout
    assert "svc is down" in r.stdout


def test_failures_are_never_retried_and_the_budget_bounds_retries(cli: Any, tmp_path: Path) -> None:
    root = make_eval_ws(
        tmp_path / "ws",
        suite("core", [{"id": "wrong", "mode": "wrong", "key": "a"}]),
        suite("down", [{"id": "dead", "mode": "down", "key": "b"}]),
    )
    assert _eval(cli, root, "core", "--retries", "5").exit_code == 1
    assert len(_rows(root, "run_start")) == 1
    r = _eval(cli, root, "down", "--retries", "5", "--retry-budget", "0", "-f", "json")
    assert r.exit_code == 1
    assert json.loads(r.stdout)["suites"][0]["cases"][0]["attempts"] == []
    assert len(_rows(root, "run_start")) == 2
    r = _eval(cli, root, "down", "--retries", "0", "-f", "json")
    assert json.loads(r.stdout)["suites"][0]["cases"][0]["attempts"] == []


def test_max_cost_stops_the_run_and_fails_the_gate(cli: Any, tmp_path: Path) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    cases = [{"id": f"c{i}", "key": f"k{i}"} for i in range(4)]
    root = make_eval_ws(tmp_path / "ws", suite("core", cases))
    # each case costs $0.01: the second one reaches the limit, the rest never start
    r = _eval(cli, root, "--max-cost", "0.015", "-f", "json")
    assert r.exit_code == 1, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert [c["outcome"] for c in doc["suites"][0]["cases"]] == ["pass", "pass"] + ["skipped"] * 2
    assert doc["stopped"].startswith("max cost reached: $0.0200 spent of --max-cost $0.0150")
    assert doc["suites"][0]["reasons"] == ["2 case(s) not run (max cost reached)"]
    assert len(_rows(root, "run_start")) == 2
    r = _eval(cli, root, "--max-cost", "0.015")
    assert r.stdout.startswith("eval: gate failed (2 passed, 0 failed, 0 errored, 2 skipped)")
    assert "  skipped c3  suite0.yaml:1: max cost reached" in r.stdout
    r = _eval(cli, root, "--max-cost", "0.015", "-f", "junit")
    xmlschema.XMLSchema(str(REPO / "tests/data/junit.xsd")).validate(r.stdout)
    assert r.stdout.count('<skipped message="skipped: max cost reached" />') == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--repeat", "0"], "--repeat 0: must be at least 1"),
        (["--jobs", "0"], "--jobs 0: must be at least 1"),
        (["--retries", "-1"], "--retries -1: must be 0 or more"),
        (["--shard", "3/2"], "--shard '3/2' is not i/n"),
        (["--shard", "x"], "--shard 'x' is not i/n"),
        (["merge"], "eval merge needs the JSON results of the shards"),
    ],
)
def test_bad_options_exit_2(cli: Any, tmp_path: Path, args: list[str], message: str) -> None:
    root = make_eval_ws(tmp_path / "ws", suite("core", [{"id": "a"}]))
    r = _eval(cli, root, *args)
    assert r.exit_code == 2, r.stdout + r.stderr
    assert message in r.stderr


def test_rev_with_jobs_runs_every_case_on_the_revisions_code(cli: Any, tmp_path: Path) -> None:
    from support import commit_all, git

    cases = [{"id": f"c{i}", "key": f"k{i}"} for i in range(4)]
    root = make_eval_ws(tmp_path / "ws", suite("core", cases))
    git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("state/\n__pycache__/\n")
    good = commit_all(root, "a good agent")
    agents = root / "lib" / "ev_agents.py"
    agents.write_text(agents.read_text().replace('mode != "wrong"', "False"))
    assert _eval(cli, root, "--jobs", "2").exit_code == 1  # the working copy is broken
    r = _eval(cli, root, "--rev", good, "--jobs", "2", "-f", "json")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["counts"]["pass"] == 4


def test_max_cost_with_repeats_stops_between_runs(cli: Any, tmp_path: Path) -> None:
    cases = [{"id": "c0", "key": "k0"}, {"id": "c1", "key": "k1"}]
    root = make_eval_ws(tmp_path / "ws", suite("core", cases))
    r = _eval(cli, root, "--repeat", "3", "--max-cost", "0.035", "-f", "json")
    assert r.exit_code == 1, r.stdout
    doc = json.loads(r.stdout)
    c0, c1 = doc["suites"][0]["cases"]
    assert (len(c0["runs"]), c1["runs"], c1["passes"]) == (3, [], 1)  # c1 ran once
    assert doc["passed"] is False
    assert doc["stopped"].endswith("; 2 run(s) not run, 0 case(s) not at all")


def test_a_flaky_case_is_a_failure_for_the_baseline_not_an_error() -> None:
    from agentctl.evals.baseline_run import outcomes_of
    from agentctl.evals.judge import CaseResult, SuiteVerdict, Thresholds, combine

    def run(outcome: str) -> CaseResult:
        return CaseResult("core", "wobbly", "s.yaml:1", [], outcome, cost_usd=0.02)

    flaky = combine([run("pass"), run("fail"), run("pass")])
    late = CaseResult("core", "late", "s.yaml:9", [], "skipped", skipped="max cost reached")
    verdict = SuiteVerdict("core", "charter/bot", Thresholds(1.0, None, None), [flaky, late])
    got = outcomes_of(verdict)
    assert list(got) == ["wobbly"]  # a case never run is not paired
    assert (got["wobbly"].outcome, got["wobbly"].cost_usd) == ("fail", 0.02)
