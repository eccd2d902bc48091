"""The library under `agentctl simulate`: another program runs a simulation with one call
and gets a result object (runs, comparisons, or why it could not run) and an exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support import commit_all, git

from agentctl.errors import ExitCode
from agentctl.simulate.runner import run_simulation


def _workspace(cli: Any, tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    assert cli("init", ws).exit_code == 0
    return ws


def test_a_program_runs_the_scenarios(cli: Any, tmp_path: Path) -> None:
    ws = _workspace(cli, tmp_path)
    sim = run_simulation(ws)
    assert [r.title for r in sim.runs] == ["urgent-tickets"]
    assert sim.comparisons is None and sim.problem is None
    assert sim.exit_code() == ExitCode.OK
    told: list[tuple[int, int]] = []

    class Tell:
        def __init__(self, label: str) -> None:
            assert label.endswith(".jsonl")

        def __enter__(self) -> Any:
            return lambda done, total: told.append((done, total))

        def __exit__(self, *exc: object) -> None:
            pass

    sim = run_simulation(ws, scenario="urgent-tickets", progress=Tell)
    assert told and told[-1][0] == told[-1][1]  # the stream was read to its end


def test_a_broken_policy_is_the_result_not_an_exception(cli: Any, tmp_path: Path) -> None:
    ws = _workspace(cli, tmp_path)
    policy = ws / "policies" / "urgent-tickets.yaml"
    policy.write_text(policy.read_text().replace("kind: Policy", "kind: Policy\nbogus: 1", 1))
    sim = run_simulation(ws)
    assert sim.problem is not None
    assert "policy/urgent-tickets did not load" in sim.problem.message
    assert sim.problem.findings and sim.exit_code() == ExitCode.FINDINGS
    # the command shows the same: text on stderr through the one catcher, or JSON
    r = cli("simulate", "-w", ws)
    assert r.exit_code == 1 and r.stdout == ""
    assert "bogus" in r.stderr
    assert "agentctl: error: cannot simulate: policy/urgent-tickets did not load" in r.stderr
    r = cli("simulate", "-w", ws, "-f", "json")
    doc = json.loads(r.stdout)
    assert r.exit_code == 1 and doc["error"].startswith("cannot simulate")
    assert doc["findings"]


def test_a_comparison_of_two_revisions(cli: Any, tmp_path: Path) -> None:
    ws = _workspace(cli, tmp_path)
    git(ws, "init", "-q", "-b", "main")
    commit_all(ws, "init")
    sim = run_simulation(ws, compare="main")
    assert sim.comparisons is not None and len(sim.comparisons) == 1
    assert sim.comparisons[0].flips == 0
    assert sim.exit_code(fail_on_flips=True) == ExitCode.OK
