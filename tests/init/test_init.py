"""`agentctl init`: a new workspace with one commented example of each kind that lints clean."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date, timedelta
from pathlib import Path, PurePosixPath

import jsonschema
import pytest
from support import agentctl_bin, commit_all

from agentctl.model import jsonschema as js
from agentctl.model.kinds import KINDS
from agentctl.scaffold import scaffold, slug
from agentctl.workspace.yamlload import parse_bytes

DAY = date(2026, 3, 1)


def kinds_in(root: Path) -> dict[str, list[str]]:
    """kind → the files holding it, read back with agentctl's own loader."""
    out: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.yaml")):
        docs, problems = parse_bytes(path.read_bytes())
        assert not problems
        for d in docs:
            out.setdefault(d.data["kind"], []).append(path.relative_to(root).as_posix())
    return out


def test_init_creates_a_workspace_that_lints_clean(tmp_path: Path, cli) -> None:
    ws = tmp_path / "support-agents"
    r = cli("init", ws)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == ""
    assert "Created workspace 'support-agents'" in r.stderr
    assert f"Next: cd {ws} && agentctl lint" in r.stderr
    assert set(kinds_in(ws)) == set(KINDS), "one example of each kind"
    r = cli("lint", "-w", ws, "--strict", "--format", "json")
    assert r.exit_code == 0, r.stdout
    summary = json.loads(r.stdout)["summary"]
    assert summary["findings"] == {"error": 0, "warning": 0, "info": 0}
    assert summary["resources"] == {
        "Charter": 2,
        "Connector": 1,
        "Contract": 1,
        "EvalSuite": 1,
        "Policy": 1,
        "Role": 2,
        "Scenario": 1,
    }
    r = cli("lint", "-w", ws)
    assert r.exit_code == 0 and "No findings." in r.stdout


def test_the_installed_agentctl_inits_and_lints_in_a_subprocess(tmp_path: Path) -> None:
    p = subprocess.run([agentctl_bin(), "init"], cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "in this folder" in p.stderr and "Next: agentctl lint" in p.stderr
    p = subprocess.run(
        [agentctl_bin(), "lint", "--strict", "--format", "json"],
        cwd=tmp_path / "charters",  # lint finds agentctl.yaml above
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(p.stdout)["summary"]["findings"] == {"error": 0, "warning": 0, "info": 0}


def test_the_workspace_lints_clean_from_git_too(git_repo: Path, cli) -> None:
    assert cli("init", git_repo, "--name", "governed").exit_code == 0
    commit_all(git_repo, "agentctl init")
    r = cli("lint", "-w", git_repo, "--rev", "HEAD", "--strict")
    assert r.exit_code == 0, r.stdout
    assert "Workspace governed at HEAD" in r.stdout


def test_every_yaml_file_has_a_modeline_that_resolves_and_validates(tmp_path: Path, cli) -> None:
    assert cli("init", tmp_path).exit_code == 0
    files = sorted(tmp_path.rglob("*.yaml"))
    assert len(files) >= 9
    for path in files:
        rel = path.relative_to(tmp_path).as_posix()
        text = path.read_text()
        target = js.modeline(text.split("\n", 1)[0])
        assert target, f"{rel}: no modeline on the first line"
        schema_path = (path.parent / PurePosixPath(target)).resolve()
        assert schema_path.parent == (tmp_path / "schemas").resolve(), rel
        schema = json.loads(schema_path.read_text())
        jsonschema.Draft7Validator.check_schema(schema)
        for doc in parse_bytes(path.read_bytes())[0]:
            assert schema_path.name == js.filename(doc.data["kind"].lower()), rel
            errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(doc.data)]
            assert not errors, f"{rel}: {errors}"


def test_the_schemas_written_are_the_current_ones(tmp_path: Path, cli) -> None:
    assert cli("init", tmp_path).exit_code == 0
    assert cli("schema", "--out", tmp_path / "schemas", "--check").exit_code == 0


def test_refuses_to_overwrite_without_force(tmp_path: Path, cli) -> None:
    (tmp_path / "agentctl.yaml").write_text("# mine\n")
    r = cli("init", tmp_path)
    assert r.exit_code == 2
    assert r.stderr == (
        f"agentctl: error: {tmp_path}: 1 of the files to create already exist: agentctl.yaml\n"
        "  hint: pass --force to overwrite them, or choose an empty folder\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["agentctl.yaml"], "nothing else written"
    assert (tmp_path / "agentctl.yaml").read_text() == "# mine\n"


def test_a_second_init_lists_the_clashes_and_force_overwrites(tmp_path: Path, cli) -> None:
    assert cli("init", tmp_path).exit_code == 0
    (tmp_path / "charters" / "roles.yaml").write_text("# edited\n")
    r = cli("init", tmp_path)
    assert r.exit_code == 2
    total = len(scaffold("x", DAY)) - 1  # an existing .gitignore is merged, not a clash
    assert (
        f"{total} of the files to create already exist: .github/workflows/agentctl.yml, "
        "agentctl.yaml, agents/helpdesk.py, " in r.stderr
    )
    assert f"and {total - 5} more" in r.stderr
    assert (tmp_path / "charters" / "roles.yaml").read_text() == "# edited\n"
    r = cli("init", tmp_path, "--force")
    assert r.exit_code == 0
    assert "kind: Role" in (tmp_path / "charters" / "roles.yaml").read_text()
    assert cli("lint", "-w", tmp_path, "--strict").exit_code == 0


def test_other_files_in_the_folder_are_left_alone(tmp_path: Path, cli) -> None:
    (tmp_path / "README.md").write_text("hello\n")
    assert cli("init", tmp_path).exit_code == 0
    assert (tmp_path / "README.md").read_text() == "hello\n"


def test_name_option_and_default_name(tmp_path: Path, cli) -> None:
    assert cli("init", tmp_path / "a", "--name", "claims-ops").exit_code == 0
    assert "  name: claims-ops\n" in (tmp_path / "a" / "agentctl.yaml").read_text()
    assert cli("init", tmp_path / "My Agents!").exit_code == 0
    assert "  name: my-agents\n" in (tmp_path / "My Agents!" / "agentctl.yaml").read_text()
    r = cli("init", tmp_path / "b", "--name", "Claims Ops")
    assert r.exit_code == 2
    assert "--name 'Claims Ops' is not a valid name" in r.stderr
    assert "e.g. 'claims-ops'" in r.stderr
    assert not (tmp_path / "b").exists()


def test_a_file_is_not_a_folder(tmp_path: Path, cli) -> None:
    (tmp_path / "f").write_text("")
    r = cli("init", tmp_path / "f")
    assert (
        r.exit_code == 2
        and f"Invalid value for 'DIR': dir '{tmp_path / 'f'}' is a file" in r.stderr
    )


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Support Agents", "support-agents"),
        ("x", "x"),
        ("---", "my-agents"),
        ("ÄÖ", "my-agents"),
        ("a" * 80, "a" * 63),
    ],
)
def test_slug(text: str, name: str) -> None:
    assert slug(text) == name


def test_scaffold_is_pure_and_dated_from_today() -> None:
    files = scaffold("x", DAY)
    assert files == scaffold("x", DAY)
    # every placeholder filled (`${{ github.base_ref }}` is the workflow's own expression)
    assert not [p for p, t in files.items() if re.search(r"\{\{\w+\}\}", t)]
    charter = files["charters/triage-agent.yaml"]
    assert "credential: {issued: 2026-03-01, lifetime: 90d}" in charter
    assert f"review_by: {DAY + timedelta(days=90)}" in charter
    assert f"until: {DAY + timedelta(days=365)}" in files["policies/triage-reply.yaml"]


def test_the_dates_matter_lint_sees_them_expire(tmp_path: Path, cli) -> None:
    assert cli("init", tmp_path).exit_code == 0
    later = (date.today() + timedelta(days=120)).isoformat()
    r = cli("lint", "-w", tmp_path, "--today", later)
    assert r.exit_code == 1
    assert "credential-expired" in r.stdout and "review-overdue" in r.stdout


def test_the_data_files_parse() -> None:
    files = scaffold("x", DAY)
    compile(files["agents/helpdesk.py"], "agents/helpdesk.py", "exec")
    for line in files["charters/connectors/fixtures/helpdesk.jsonl"].splitlines():
        rec = json.loads(line)
        assert isinstance(rec["operation"], str) and isinstance(rec["output"], dict)
    events = [json.loads(x) for x in files["simulator/events.jsonl"].splitlines()]
    assert [e["ts"] for e in events] == sorted(e["ts"] for e in events)
    assert all({"ts", "type"} <= set(e) for e in events)


def test_the_scenario_passes_in_the_simulator(tmp_path: Path, cli) -> None:
    assert cli("init", tmp_path).exit_code == 0
    r = cli("simulate", "-w", tmp_path)
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "expectations: 3 passed, 0 failed" in r.stdout


@pytest.mark.parametrize(
    ("ticket", "priority", "status"),
    [("T-1001", "urgent", "pending"), ("T-1002", "normal", "solved")],
)
def test_the_agents_run_offline_as_the_eval_cases_expect(
    tmp_path: Path, ticket: str, priority: str, status: str
) -> None:
    # a subprocess: the runtime imports the workspace's agents/ onto sys.path
    assert (
        subprocess.run([agentctl_bin(), "init"], cwd=tmp_path, capture_output=True).returncode == 0
    )
    p = subprocess.run(
        [agentctl_bin(), "run", "triage-agent", "--input", json.dumps({"ticket_id": ticket})],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"ticket_id": ticket, "priority": priority, "status": status}
    assert "asks 1" in p.stderr  # the reply writer, under the contract
