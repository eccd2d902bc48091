"""`--jobs N` and `--shard i/n` + `eval merge` on a copy of the example workspace: the
same report as one run, case for case (apart from trace ids and timings)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import REPO, agentctl_bin, commit_all, git

from agentctl.ledger import Ledger
from agentctl.ledger.verify import verify

NOW = "2026-11-25T10:00:00Z"
PARTS = ("agentctl.yaml", "charters", "evals", "policies", "simulator")
# timings and ids differ from run to run; everything else must not
VOLATILE = {"trace_id", "latency_ms", "p95_latency_ms", "tool", "spent_usd"}


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shards") / "ws"
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


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _eval(cli: Any, ws: Path, ledger: str, *args: str) -> Any:
    return cli("eval", "-w", ws, "--ledger", ws.parent / ledger, "--now", NOW, *args)


# agents in a process of their own (logistics) and in-process ones (support, planner)
SUITES = ("support-top-intents", "logistics-core", "replenishment-core")


@pytest.fixture(scope="module")
def whole(ws: Path) -> dict[str, str]:
    """One run of SUITES with one job, as JSON and as text (rendered from the report)."""
    from agentctl.cli.main import run
    from agentctl.render.eval_data import report_from_json
    from agentctl.render.registry import renderer

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run(
            [
                *("eval", "-w", str(ws), "--ledger", str(ws.parent / "whole.db")),
                *("--now", NOW, *SUITES, "-f", "json"),
            ]
        )
    assert code == 0, out.getvalue()
    report = report_from_json(json.loads(out.getvalue()))
    return {
        "json": out.getvalue(),
        "text": renderer("eval", "text")(report),
        "markdown": renderer("eval", "markdown")(report),
    }


def test_jobs_give_the_report_of_one_job(cli: Any, ws: Path, whole: dict[str, str]) -> None:
    four = _eval(cli, ws, "jobs4.db", *SUITES, "-f", "json", "--jobs", "4")
    assert four.exit_code == 0, four.stdout + four.stderr
    assert _stable(json.loads(four.stdout)) == _stable(json.loads(whole["json"]))
    with Ledger.open(ws.parent / "jobs4.db") as led:
        assert verify(led).ok
        cases = led.conn.execute("SELECT count(*) FROM events WHERE kind = 'eval_case'")
        assert cases.fetchone()[0] == json.loads(four.stdout)["counts"]["pass"]
    text = _eval(cli, ws, "jobs4b.db", *SUITES, "--jobs", "4")
    assert text.stdout == whole["text"]


def test_two_shards_merged_are_one_run(
    cli: Any, ws: Path, tmp_path: Path, whole: dict[str, str]
) -> None:
    suites = SUITES
    files = []
    seen: set[str] = set()
    for i in (1, 2):
        r = _eval(cli, ws, "shards.db", *suites, "-f", "json", "--shard", f"{i}/2", "-j", "2")
        assert r.exit_code == 0, r.stdout + r.stderr
        doc = json.loads(r.stdout)
        ids = {f"{s['suite']}/{c['id']}" for s in doc["suites"] for c in s["cases"]}
        assert ids and not ids & seen  # each case in exactly one shard
        seen |= ids
        files.append(tmp_path / f"shard{i}.json")
        files[-1].write_text(r.stdout)
    merged = cli("eval", "merge", *files, "-f", "json")
    assert merged.exit_code == 0, merged.stderr
    assert _stable(json.loads(merged.stdout)) == _stable(json.loads(whole["json"]))
    text = cli("eval", "merge", files[1], files[0])  # in any order
    assert text.stdout == whole["text"]
    md = cli("eval", "merge", *files, "-f", "markdown")
    assert md.stdout == whole["markdown"]

    # what cannot add up to one run is refused, exit 2
    r = cli("eval", "merge", files[0], files[0])
    assert r.exit_code == 2 and "shard 1/2 is given twice" in r.stderr
    r = cli("eval", "merge", files[0])
    assert r.exit_code == 2 and "shard 2/2 missing" in r.stderr
    other = json.loads(files[1].read_text())
    other["commit"] = "f" * 40
    (tmp_path / "other.json").write_text(json.dumps(other))
    r = cli("eval", "merge", files[0], tmp_path / "other.json")
    assert r.exit_code == 2 and "different commits" in r.stderr
    changed = json.loads(files[1].read_text())
    changed["suites"][0]["suite_version"] = "0" * 64
    (tmp_path / "changed.json").write_text(json.dumps(changed))
    r = cli("eval", "merge", files[0], tmp_path / "changed.json")
    assert r.exit_code == 2 and "differs from the other shards'" in r.stderr
    overlap = json.loads(files[1].read_text())
    overlap["suites"].insert(0, json.loads(files[0].read_text())["suites"][0])
    (tmp_path / "overlap.json").write_text(json.dumps(overlap))
    r = cli("eval", "merge", files[0], tmp_path / "overlap.json")
    assert r.exit_code == 2 and "shards overlap: case " in r.stderr
    (tmp_path / "bad.json").write_text("{\n  nope")
    r = cli("eval", "merge", files[0], tmp_path / "bad.json")
    assert r.exit_code == 2 and "bad.json:2:3: not JSON" in r.stderr
    whole_file = tmp_path / "whole.json"
    whole_file.write_text(whole["json"])
    r = cli("eval", "merge", files[0], whole_file)
    assert r.exit_code == 2 and "not a shard's result" in r.stderr


def test_no_progress_output_without_a_terminal(ws: Path) -> None:
    """CI logs: stderr is a pipe, so not one progress character is written to it."""
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [
            *(agentctl_bin(), "eval", "logistics-core", "-w", str(ws), "--now", NOW),
            *("--jobs", "2", "--ledger", str(ws.parent / "pipe.db")),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.startswith("eval: every gate passed")
