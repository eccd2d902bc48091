"""`agentctl init` for CI: a .gitignore that keeps the ledger's local state out of git, a
`git init` where there is no repository, and a GitHub workflow that SchemaStore's schema
accepts (the one check-jsonschema vendors; this repository's own ci.yml is checked too)."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML
from support import GIT_ENV, REPO, agentctl_bin, git

from agentctl import DEFAULT_LEDGER, __version__
from agentctl.scaffold import WORKFLOW, merge_gitignore, scaffold, workflow


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [agentctl_bin(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )


def test_git_add_after_init_and_a_run_stages_only_the_workspace(tmp_path: Path) -> None:
    ws = tmp_path / "agents"
    p = _run(tmp_path, "init", "agents")
    assert p.returncode == 0, p.stderr
    assert "Git: initialized an empty git repository (it was in none)." in p.stderr
    assert (ws / ".git").is_dir()
    # on main, the branch the workflow deploys from, whatever git's own default
    assert git(ws, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    p = _run(ws, "run", "triage-agent", "--input", json.dumps({"ticket_id": "T-1001"}))
    assert p.returncode == 0, p.stderr
    ledger = ws / DEFAULT_LEDGER
    # hold the ledger open in WAL mode, as a run in progress does: -wal and -shm exist now
    con = sqlite3.connect(ledger)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        con.execute("SELECT count(*) FROM events").fetchone()
        state = sorted(p.name for p in ledger.parent.iterdir())
        assert {"ledger.db", "ledger.db-wal", "ledger.db-shm"} <= set(state)
        for lock in ("budget-triage-agent", "contract-triage-reply", "rate-helpdesk"):
            assert f"ledger.db.{lock}.lock" in state, state
        # bytecode, as an in-process agent or an editor leaves it
        subprocess.run(
            [sys.executable, "-m", "py_compile", "agents/helpdesk.py"], cwd=ws, check=True
        )
        assert list((ws / "agents" / "__pycache__").iterdir())
        git(ws, "add", "-A")
        staged = git(ws, "diff", "--cached", "--name-only").splitlines()
    finally:
        con.close()
    assert sorted(staged) == sorted(scaffold("agents", date.today()))


def test_inside_a_repository_no_git_init(git_repo: Path, cli: Any) -> None:
    r = cli("init", git_repo / "governance")
    assert r.exit_code == 0, r.stderr
    assert not (git_repo / "governance" / ".git").exists()
    # a subfolder: the workflow belongs at the repository's root (as git names it: real path)
    top = git_repo.resolve()
    assert (
        f"Git: the workspace is in the repository at {top}; GitHub reads workflows only "
        f"there: move .github/workflows/agentctl.yml to {top}/.github/workflows/ and "
        "set its defaults.run.working-directory to governance.\n"
    ) in r.stderr
    r = cli("init", git_repo, "--format", "json")
    assert json.loads(r.stdout)["git"] is None, "the repository's root: nothing to say"


def test_an_existing_gitignore_is_merged_not_a_clash(tmp_path: Path, cli: Any) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\n/.agentctl/ledger.db")
    r = cli("init", tmp_path)
    assert r.exit_code == 0, r.stderr
    text = (tmp_path / ".gitignore").read_text()
    assert text.startswith("node_modules/\n/.agentctl/ledger.db\n\n")
    assert text.count("/.agentctl/ledger.db\n") == 1, "a line it had is not added again"
    assert "/.agentctl/ledger.db.rate-*.lock\n" in text and "__pycache__/\n" in text
    assert cli("init", tmp_path, "--force").exit_code == 0
    assert (tmp_path / ".gitignore").read_text() == text, "nothing missing: left as it was"


def test_merge_gitignore() -> None:
    ours = "# a\n/x\n# b\n/y\n"
    assert merge_gitignore("", ours) == ours
    assert merge_gitignore("/x\n/y\n", ours) is None
    assert merge_gitignore("/x", ours) == "/x\n\n# b\n/y\n"


def _schema() -> dict[str, Any]:
    path = resources.files("check_jsonschema") / "builtin_schemas/vendor/github-workflows.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return schema


def _load(text: str) -> Any:
    return YAML(typ="safe").load(text)  # YAML 1.2, as GitHub reads it: `on` is a key, not True


@pytest.mark.parametrize(
    "which", ["agentctl init", "this repository's ci.yml", "this repository's agentctl.yml"]
)
def test_the_workflows_validate_against_schemastore(which: str) -> None:
    if which == "agentctl init":
        text = scaffold("x", date(2026, 3, 1))[WORKFLOW]
    elif which == "this repository's ci.yml":
        text = (REPO / ".github/workflows/ci.yml").read_text()
    else:
        text = (REPO / WORKFLOW).read_text()
    doc = _load(text)
    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in jsonschema.Draft7Validator(_schema()).iter_errors(doc)
    ]
    assert not errors
    assert errors == [] and "jobs" in doc and "on" in doc


def test_the_schema_does_reject_a_broken_workflow() -> None:
    doc = _load(scaffold("x", date(2026, 3, 1))[WORKFLOW])
    del doc["jobs"]["lint"]["runs-on"]
    doc["on"]["pull_requests"] = None  # a misspelt event
    errors = list(jsonschema.Draft7Validator(_schema()).iter_errors(doc))
    assert len(errors) == 2


def test_the_workflow_runs_each_check_on_the_right_event() -> None:
    doc = _load(scaffold("x", date(2026, 3, 1))[WORKFLOW])
    assert set(doc["on"]) == {"pull_request", "push"}
    assert doc["on"]["push"] == {"branches": ["main"]}
    jobs = doc["jobs"]
    runs = {name: [s.get("run", "") for s in job["steps"]] for name, job in jobs.items()}
    uses = {name: [s.get("uses", "") for s in job["steps"]] for name, job in jobs.items()}
    assert any("agentctl lint --format sarif" in r for r in runs["lint"])
    assert "github/codeql-action/upload-sarif@v3" in uses["lint"]
    assert jobs["lint"]["permissions"]["security-events"] == "write"
    for pr_only in ("diff", "eval", "simulate"):
        assert jobs[pr_only]["if"] == "github.event_name == 'pull_request'"
    assert uses["diff"].count("marocchino/sticky-pull-request-comment@v2") == 1
    assert "agentctl simulate" in runs["simulate"]
    # eval: a JUnit report, published even when a gate failed
    assert runs["eval"][-2] == "agentctl eval --format junit > agentctl-eval.xml"
    (report,) = [s for s in jobs["eval"]["steps"] if "junit-report" in s.get("uses", "")]
    assert report["if"] == "always()" and report["with"]["report_paths"] == "agentctl-eval.xml"
    assert jobs["eval"]["permissions"]["checks"] == "write"
    # main: lint, plan, then apply of that plan, behind a GitHub environment
    deploy = jobs["deploy"]
    assert "push" in deploy["if"] and "refs/heads/main" in deploy["if"]
    assert deploy["environment"] == "production"
    assert deploy["concurrency"]["cancel-in-progress"] is False
    steps = [r.split()[:2] for r in runs["deploy"] if r.startswith("agentctl")]
    assert steps == [["agentctl", "lint"], ["agentctl", "plan"], ["agentctl", "apply"]]
    plan, apply = (r for r in runs["deploy"] if r.startswith(("agentctl plan", "agentctl apply")))
    assert "--out agentctl-plan.json" in plan
    assert apply.startswith("agentctl apply agentctl-plan.json --auto-approve")


def test_this_repository_runs_the_workflow_init_writes() -> None:
    """One source: .github/workflows/agentctl.yml here is init's, installing this checkout."""
    assert (REPO / WORKFLOW).read_text() == workflow("."), (
        "regenerate it: python -c 'from agentctl.scaffold import workflow; "
        'print(workflow("."), end="")\' > .github/workflows/agentctl.yml'
    )
    assert workflow("agentctl==9.9") == scaffold("x", date(2026, 3, 1))[WORKFLOW].replace(
        f'"agentctl=={__version__}"', '"agentctl==9.9"'
    )


def test_every_command_in_the_workflow_exists(cli: Any) -> None:
    text = scaffold("x", date(2026, 3, 1))[WORKFLOW]
    used = set(re.findall(r"^\s+run: agentctl (\S+)(.*)$", text, re.M))
    assert {c for c, _ in used} == {"lint", "diff", "eval", "simulate", "plan", "apply"}
    for command, rest in used:
        r = cli(command, "--help")
        assert r.exit_code == 0, command
        for option in re.findall(r"(--[a-z-]+)", rest):
            assert option in r.stdout, f"agentctl {command} has no {option}"


def test_init_output_still_lints_clean(tmp_path: Path, cli: Any) -> None:
    assert cli("init", tmp_path).exit_code == 0
    assert (tmp_path / WORKFLOW).is_file() and (tmp_path / ".gitignore").is_file()
    r = cli("lint", "-w", tmp_path, "--strict")
    assert r.exit_code == 0 and "No findings." in r.stdout, r.stdout
