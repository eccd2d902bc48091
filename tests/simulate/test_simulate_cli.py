"""`agentctl simulate` end to end: scenarios, --events, findings, formats, determinism."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sim_helpers import EVENTS, events_jsonl, make_workspace
from support import REPO, agentctl_bin, write


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws")


def test_scenario_passes_text(cli: Any, ws: Path, snapshot: Any) -> None:
    r = cli("simulate", "-w", ws)
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""
    assert all(len(line) <= 80 for line in r.stdout.splitlines())
    assert r.stdout == snapshot


def test_scenario_json(cli: Any, ws: Path, snapshot: Any) -> None:
    r = cli("simulate", "morning", "-w", ws, "--format", "json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["format_version"] == 1
    (run,) = data["runs"]
    assert run["passed"] is True
    assert [e["outcome"] for e in run["timeline"]] == [
        "fired",
        "suppressed",
        "needs_approval",
        "escalated",
    ]
    assert run["timeline"][1]["repeated"] == 2
    assert run["timeline"][3]["approvals"] == [
        {
            "required": "role/store-manager",
            "approver": "role/finance-director",
            "chain": ["role/store-manager", "role/finance-director"],
            "escalated": True,
        }
    ]
    assert r.stdout == snapshot


def test_scenario_markdown(cli: Any, ws: Path, snapshot: Any) -> None:
    r = cli("simulate", "-w", ws, "--format", "markdown")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == snapshot


def test_output_is_byte_identical_across_runs(cli: Any, ws: Path) -> None:
    for fmt in ("json", "text", "markdown"):
        a = cli("simulate", "-w", ws, "--format", fmt).stdout
        b = cli("simulate", "-w", ws, "--format", fmt).stdout
        assert a == b


def test_failed_expectation_shows_expected_vs_got(cli: Any, ws: Path) -> None:
    scenario = ws / "simulator/morning.yaml"
    text = scenario.read_text().replace(
        'outcome: escalated, at: "2026-03-02T15:00:00Z"}',
        'outcome: fired, at: "2026-03-02T15:00:00Z"}',
    )
    scenario.write_text(text)
    r = cli("simulate", "-w", ws)
    assert r.exit_code == 1
    assert "expectations: 3 passed, 1 failed" in r.stdout
    assert "FAIL stockout fired at least once at 2026-03-02T15:00:00Z" in r.stdout
    assert "got: escalated at 2026-03-02T15:00:00Z" in r.stdout
    assert "at simulator/morning.yaml:11:" in r.stdout


def test_scenario_with_an_unknown_policy_is_a_finding(cli: Any, ws: Path) -> None:
    scenario = ws / "simulator/morning.yaml"
    scenario.write_text(
        scenario.read_text().replace(
            "policy: stockout, outcome: fired", "policy: stockuot, outcome: fired"
        )
    )
    r = cli("simulate", "-w", ws)
    assert r.exit_code == 1
    assert "simulator/morning.yaml:7:" in r.stderr
    assert "no policy 'stockuot'" in r.stderr
    assert "did you mean 'stockout'?" in r.stderr


def test_events_file_and_gzip(cli: Any, ws: Path, tmp_path: Path) -> None:
    gz = tmp_path / "e.jsonl.gz"
    gz.write_bytes(gzip.compress(events_jsonl().encode()))
    plain = cli("simulate", "--events", ws / "simulator/events.jsonl", "-w", ws, "-f", "json")
    packed = cli("simulate", "--events", gz, "-w", ws, "-f", "json")
    assert plain.exit_code == packed.exit_code == 0
    a, b = json.loads(plain.stdout)["runs"][0], json.loads(packed.stdout)["runs"][0]
    assert a["timeline"] == b["timeline"]
    assert a["expectations"] == []


def test_out_of_order_events_are_findings(cli: Any, ws: Path, tmp_path: Path) -> None:
    swapped = [*EVENTS[:3], EVENTS[4], EVENTS[3], *EVENTS[5:]]
    path = write(tmp_path / "late.jsonl", events_jsonl(swapped))
    r = cli("simulate", "--events", path, "-w", ws)
    assert r.exit_code == 1
    assert "late.jsonl:5:1: event-out-of-order error:" in r.stdout
    assert "--reorder-window" in r.stdout
    ok = cli("simulate", "--events", path, "-w", ws, "--reorder-window", "1h")
    assert ok.exit_code == 0, ok.stdout
    assert "findings" not in ok.stdout


def test_bad_lines_are_findings_and_the_run_goes_on(cli: Any, ws: Path, tmp_path: Path) -> None:
    text = events_jsonl()
    lines = text.splitlines()
    lines.insert(2, '{"ts": "soon", "type": "pos.sale"}')
    path = write(tmp_path / "bad.jsonl", "\n".join(lines) + "\n")
    r = cli("simulate", "--events", path, "-w", ws, "-f", "json")
    assert r.exit_code == 1
    run = json.loads(r.stdout)["runs"][0]
    assert run["events"] == len(EVENTS)
    assert run["findings"][0]["location"] == {"file": str(path), "line": 3, "column": 1}


def test_policy_with_bad_cel_stops_with_its_location(cli: Any, ws: Path) -> None:
    p = ws / "policies/stockout.yaml"
    p.write_text(p.read_text().replace("metrics.risk >= 0.8", "metrics.risk >= "))
    r = cli("simulate", "-w", ws)
    assert r.exit_code == 1
    assert "policies/stockout.yaml:6:29: cel-invalid error" in r.stderr  # lint's column
    assert "cel-invalid" in r.stderr
    assert "Traceback" not in r.stderr
    j = cli("simulate", "-w", ws, "-f", "json")
    assert j.exit_code == 1
    assert json.loads(j.stdout)["findings"][0]["code"] == "cel-invalid"


def test_runtime_cel_errors_are_decisions(cli: Any, ws: Path) -> None:
    p = ws / "policies/stockout.yaml"
    p.write_text(p.read_text().replace("metrics.risk >= 0.8", "metrics.nope >= 0.8"))
    r = cli("simulate", "--events", ws / "simulator/events.jsonl", "-w", ws, "-f", "json")
    # errors are decisions, and a run with errors fails (issue 8, item 17)
    assert r.exit_code == 1
    summary = json.loads(r.stdout)["runs"][0]["policies"][0]
    assert summary["error"] == len(EVENTS)
    assert "no such key" in summary["first_error"]


def test_usage_errors(cli: Any, ws: Path) -> None:
    r = cli("simulate", "mornin", "-w", ws)
    assert r.exit_code == 2
    assert "did you mean 'morning'?" in r.stderr
    r = cli("simulate", "morning", "--events", "x.jsonl", "-w", ws)
    assert r.exit_code == 2
    r = cli("simulate", "-w", ws, "--policy", "nope")
    assert r.exit_code == 2
    assert "no policy 'nope'" in r.stderr
    r = cli("simulate", "-w", ws, "--reorder-window", "soon")
    assert r.exit_code == 2
    r = cli("simulate", "--events", ws / "missing.jsonl", "-w", ws)
    assert r.exit_code == 2
    assert "no such events file" in r.stderr


def test_scenario_file_outside_the_workspace(cli: Any, ws: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    write(outside / "events.jsonl", events_jsonl())
    write(outside / "s.yaml", (ws / "simulator/morning.yaml").read_text())
    r = cli("simulate", outside / "s.yaml", "-w", ws)
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "PASS stockout escalated" in r.stdout


# --- the bundled example ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["retail-three-weeks", "claims-three-weeks", "support-three-weeks"]
)
def test_every_example_scenario_passes(cli: Any, name: str) -> None:
    r = cli("simulate", name, "-w", REPO, "-f", "json")
    assert r.exit_code == 0, r.stdout
    run = json.loads(r.stdout)["runs"][0]
    assert run["expectations"] and all(e["passed"] for e in run["expectations"])
    assert run["findings"] == []


def test_examples_through_the_installed_command() -> None:
    proc = subprocess.run(
        [agentctl_bin(), "simulate", "--limit", "5"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "HOME": "/nonexistent"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 scenarios: 4 passed, 0 failed" in proc.stdout
    assert proc.stderr == ""  # no progress bar when stderr is not a terminal


def test_fixtures_are_generated_reproducibly(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen", REPO / "simulator/generate.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    gen.OUT = tmp_path  # type: ignore[attr-defined]  # a module loaded from a path
    gen.main()
    for name in ("retail.jsonl.gz", "claims.jsonl.gz", "support.jsonl.gz"):
        assert (tmp_path / name).read_bytes() == (REPO / "simulator/fixtures" / name).read_bytes()
