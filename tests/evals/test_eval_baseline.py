"""`agentctl eval --baseline REV` end to end: the example workspace in a real git repository
with two real commits (the second weakens an example agent), a real ledger, real agents;
and the ledger lookup of recorded baseline results on a real ledger file."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import REPO, agentctl_bin, commit_all, git, ledger_ts, sid, tid

from agentctl.evals.baseline import Outcome
from agentctl.evals.baseline_run import recorded
from agentctl.ledger import Ledger, LedgerEvent

NOW = "2026-11-25T10:00:00Z"
PARTS = ("agentctl.yaml", "charters", "evals", "policies", "simulator")
SUITE = "evals/replenishment-core.yaml"
CASES = [
    "storm-umbrellas-restock",
    "well-stocked-no-plan",
    "generator-plan-above-store-limit",
    "unknown-sku-escalates",
    "planner-never-orders",
]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str, str]:
    """The example workspace in git: a good commit, then one whose planner no longer
    checks whether a restock is needed. The suite's own gate is lowered to 50% in both,
    so only the regression gate can fail the run."""
    root = tmp_path / "ws"
    root.mkdir()
    for part in PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, root / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, root / part)
    _edit(root / SUITE, "    pass_rate: 1.0", "    pass_rate: 0.5")
    git(root, "init", "-q", "-b", "main")
    good = commit_all(root, "the example workspace")
    _edit(
        root / "charters/lib/example_agents/retail.py",
        'if fc["stockout_risk"] < RISK_THRESHOLD or need <= 0:',
        "if False:",
    )
    weak = commit_all(root, "a weakened planner")
    return root, good, weak


def _eval(cli: Any, root: Path, *args: str) -> Any:
    ledger = root.parent / "ledger.db"
    return cli("eval", "-w", root, "--ledger", ledger, "--now", NOW, "replenishment-core", *args)


def test_a_baseline_across_two_commits_reports_the_regression(
    cli: Any, repo: tuple[Path, str, str]
) -> None:
    root, good, _weak = repo
    # first: nothing recorded for the good commit's versions, so the baseline runs there
    r = _eval(cli, root, "--baseline", "HEAD~1", "-f", "json")
    assert r.exit_code == 0, r.stdout + r.stderr  # no --max-regressions: reported, not gated
    doc = json.loads(r.stdout)
    assert doc["format_version"] == 1 and doc["passed"] is True
    b = doc["baseline"]
    assert (b["rev"], b["commit"], b["regressions"], b["improvements"]) == ("HEAD~1", good, 1, 0)
    (s,) = b["suites"]
    assert (s["suite"], s["source"], s["detail"]) == (
        "replenishment-core",
        "run",
        f"ran at {good[:12]}",
    )
    assert s["paired"] == 5 and s["added"] == s["dropped"] == []
    assert s["regressions"] == [{"case": "well-stocked-no-plan", "before": "pass", "after": "fail"}]
    assert s["mcnemar_p"] == 1.0  # one discordant pair: 2 * P(X <= 0 | n = 1), capped
    assert set(s["cost_per_case_usd"]) == set(s["p95_latency_ms"]) == {"baseline", "now", "delta"}
    assert s["version"].startswith("sha256:")

    # now the good commit's results are in the ledger for exactly its versions: read, not run
    r = _eval(cli, root, "--baseline", "HEAD~1", "--max-regressions", "0")
    assert r.exit_code == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "eval: gate failed (4 passed, 1 failed, 0 errored)"
    assert lines[1] == "  1 case(s) regressed against HEAD~1, more than --max-regressions 0"
    assert f"baseline HEAD~1 ({good[:12]}): 1 regressed, 0 improved" in lines
    assert "  gate: at most 0 regression(s): failed" in lines
    assert any(
        ln.startswith("  evalsuite/replenishment-core: from the ledger (eval run ") for ln in lines
    )
    assert "    5 paired: 1 regressed, 0 improved; McNemar exact p = 1" in lines
    assert "    regressed well-stocked-no-plan: pass -> fail" in lines
    assert all(len(ln) <= 80 for ln in lines)
    with Ledger.open(root.parent / "ledger.db") as led:
        # baseline run + this run + this run: the second baseline ran nothing
        runs = led.conn.execute("SELECT count(*) FROM events WHERE kind = 'eval_suite'").fetchone()[
            0
        ]
    assert runs == 3

    assert _eval(cli, root, "--baseline", "HEAD~1", "--max-regressions", "1").exit_code == 0

    # the real eval_case events, exported as OTel evaluation results on the runs they judged
    r = cli("ledger", "export", "-l", root.parent / "ledger.db", "-f", "otlp-json")
    assert r.exit_code == 0, r.stderr
    labels = []
    for line in r.stdout.splitlines():
        for span in json.loads(line)["resourceSpans"][0]["scopeSpans"][0]["spans"]:
            for ev in span.get("events", []):
                assert span["name"] == "invoke_agent replenishment-planner"
                a = {x["key"]: x["value"] for x in ev["attributes"]}
                assert a["gen_ai.evaluation.name"] == {
                    "stringValue": "evalsuite/replenishment-core"
                }
                labels.append(a["gen_ai.evaluation.score.label"]["stringValue"])
    # the baseline run (5 passed) and three runs at HEAD (4 passed, 1 failed each)
    assert sorted(labels) == ["fail"] * 3 + ["pass"] * 17


def test_the_baseline_in_junit_and_markdown(cli: Any, repo: tuple[Path, str, str]) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    root, good, _weak = repo
    r = _eval(cli, root, "--baseline", good, "-f", "junit")
    assert r.exit_code == 0, r.stdout + r.stderr
    xmlschema.XMLSchema(str(REPO / "tests/data/junit.xsd")).validate(r.stdout)
    assert f'<property name="baseline.rev" value="{good}" />' in r.stdout
    assert '<property name="baseline.regressions" value="1" />' in r.stdout
    assert '<property name="baseline.mcnemar_p" value="1.0" />' in r.stdout
    assert f"regressed against baseline {good}: pass -&gt; fail</system-out>" in r.stdout
    r = _eval(cli, root, "--baseline", good, "-f", "markdown", "--max-regressions", "0")
    assert r.exit_code == 1
    assert f"#### Against the baseline `{good}` (`{good[:12]}`)" in r.stdout
    assert "1 regressed, 0 improved. Gate: at most 0 regression(s): **failed**." in r.stdout
    assert "| `replenishment-core` | from the ledger (eval run " in r.stdout
    assert "| `replenishment-core/well-stocked-no-plan` | pass | fail |" in r.stdout


def test_the_installed_command_gates_on_regressions(repo: tuple[Path, str, str]) -> None:
    root, _good, _weak = repo
    proc = subprocess.run(
        [
            agentctl_bin(),
            "eval",
            "replenishment-core",
            "--ledger",
            str(root.parent / "l.db"),
            "--now",
            NOW,
            "--baseline",
            "HEAD~1",
            "--max-regressions",
            "0",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "regressed well-stocked-no-plan: pass -> fail" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_usage_errors(cli: Any, repo: tuple[Path, str, str]) -> None:
    root, _good, _weak = repo
    r = _eval(cli, root, "--max-regressions", "0")
    assert r.exit_code == 2
    assert "--max-regressions needs --baseline" in r.stderr
    r = _eval(cli, root, "--baseline", "no-such-rev")
    assert r.exit_code == 2, r.stdout + r.stderr
    assert "--baseline no-such-rev: unknown git revision 'no-such-rev'" in r.stderr
    r = _eval(cli, root, "--baseline", "HEAD~1", "--max-regressions", "-1")
    assert r.exit_code == 2
    plain = root.parent / "plain"  # a copy outside any git repository
    shutil.copytree(root, plain, ignore=shutil.ignore_patterns(".git"))
    r = _eval(cli, plain, "--baseline", "main")
    assert r.exit_code == 2
    assert "--baseline main: " in r.stderr and "is not inside a git repository" in r.stderr
    assert "drop --baseline" in r.stderr and "Traceback" not in r.stderr


def test_a_suite_missing_at_the_baseline_is_said_so(cli: Any, repo: tuple[Path, str, str]) -> None:
    root, _good, _weak = repo
    # a new case at HEAD: not at the baseline, so not paired
    _edit(
        root / SUITE,
        "    - id: planner-never-orders",
        "    - id: unknown-sku-escalates-again\n"
        "      input: {store_id: S014, sku: NOPE-0001, horizon_days: 7}\n"
        "      assert: ['output.action == \"escalate\"']\n"
        "    - id: planner-never-orders",
    )
    commit_all(root, "one more case")
    # --live: the new case has no cassette yet, and its suite's mode is replay
    r = _eval(
        cli,
        root,
        "--baseline",
        "HEAD~1",
        "--case",
        "unknown-sku-escalates-again",
        "-f",
        "json",
        "--live",
    )
    assert r.exit_code == 0, r.stdout + r.stderr
    (s,) = json.loads(r.stdout)["baseline"]["suites"]
    assert (s["source"], s["paired"], s["added"]) == ("none", 0, ["unknown-sku-escalates-again"])
    assert s["detail"] == "no matching case of this suite at HEAD~1"


# --- the ledger lookup, on a real ledger file --------------------------------------------


def _case(
    n: int,
    case: str,
    outcome: str,
    *,
    version: str = "sha256:v1",
    suite_version: str = "s1",
    run: str = "r1",
) -> LedgerEvent:
    return LedgerEvent(
        kind="eval_case",
        trace_id=tid(n),
        span_id=sid(n),
        parent_span_id=None,
        ts=ledger_ts(n),
        principal="planner",
        principal_version=version,
        operation="evalsuite/core",
        status={"pass": "ok", "fail": "failed", "error": "error"}[outcome],
        cost_usd=0.01 * n,
        latency_ms=10.0 * n,
        attrs={
            "suite": "core",
            "suite_version": suite_version,
            "case": case,
            "outcome": outcome,
            "eval_run": run,
        },
    )


def test_recorded_results_need_exactly_the_same_versions(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as led:
        led.append(
            [
                _case(1, "a", "pass"),
                _case(2, "b", "fail", version="sha256:other"),  # another charter version
                _case(3, "b", "pass", suite_version="s0"),  # another suite version
            ]
        )
        assert recorded(led, "planner", "sha256:v1", "core", "s1", ["a", "b"]) is None
        assert recorded(led, "planner", "sha256:v1", "core", "s1", []) is None
        led.append([_case(4, "b", "error", run="r2")])
        got = recorded(led, "planner", "sha256:v1", "core", "s1", ["a", "b"])
        assert got is not None
        outcomes, runs = got
        assert outcomes == {"a": Outcome("pass", 0.01, 10.0), "b": Outcome("error", 0.04, 40.0)}
        assert runs == ["r1", "r2"]
        # a later eval run replaces a case's results; repeats within one run collapse
        led.append([_case(5, "a", "pass", run="r3"), _case(6, "a", "fail", run="r3")])
        outcomes, runs = recorded(led, "planner", "sha256:v1", "core", "s1", ["a", "b"]) or ({}, [])
        assert outcomes["a"] == Outcome("fail", 0.055, 55.0)
        assert runs == ["r2", "r3"]
