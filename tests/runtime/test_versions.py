"""A charter's version covers what its agent runs (agentctl/model/versions.py): the charter
document, its code, the connectors it can reach; and the ledger records that version, so
`ledger report` attributes a code change to a new version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import agentctl_bin, commit_all

from agentctl.model.versions import charter_version, code_files, version_of
from agentctl.workspace.loader import load_workspace

UNREACHED = """\
apiVersion: agentctl/v1
kind: Connector
metadata: {name: billing, owner: role/team-lead}
spec:
  transport: {python: "billing_tools:call"}
  operations:
    refund: {scope: billing.write, effect: write, description: A refund.}
"""


def _read(root: Path) -> Any:
    def read(rel: str) -> bytes | None:
        path = root / rel
        return path.read_bytes() if path.is_file() else None

    return read


def version(root: Path, charter: str = "triage-agent") -> str:
    ws = load_workspace(root).workspace
    res = ws.charter(f"charter/{charter}")
    assert res is not None
    return charter_version(ws, res, _read(root))


def files_of(root: Path, charter: str = "triage-agent") -> set[str]:
    ws = load_workspace(root).workspace
    res = ws.charter(f"charter/{charter}")
    assert res is not None
    return code_files(ws, res.doc, _read(root))


@pytest.fixture
def ws(tmp_path: Path, cli: Any) -> Path:
    root = tmp_path / "ws"
    assert cli("init", root).exit_code == 0
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_editing_the_agents_python_changes_its_version_and_back(ws: Path) -> None:
    before = version(ws)
    code = ws / "agents" / "helpdesk.py"
    original = code.read_text()
    _edit(code, '"outage", "down"', '"outage", "down", "broken"')
    after = version(ws)
    assert after != before
    code.write_text(original)
    assert version(ws) == before, "the same inputs, the same digest"


def test_editing_a_reached_connector_changes_it_an_unreached_one_does_not(ws: Path) -> None:
    (ws / "charters" / "connectors" / "billing.yaml").write_text(UNREACHED)
    before = version(ws)
    _edit(ws / "charters" / "connectors" / "billing.yaml", "A refund.", "A full refund.")
    assert version(ws) == before
    _edit(ws / "charters" / "connectors" / "helpdesk.yaml", "One ticket", "A ticket")
    assert version(ws) != before


def test_unrelated_files_do_not_change_it(ws: Path) -> None:
    before = version(ws)
    (ws / "agents" / "unused.py").write_text("X = 1\n")
    (ws / "README.md").write_text("notes\n")
    _edit(ws / "policies" / "urgent-tickets.yaml", "apiVersion", "# a comment\napiVersion")
    assert version(ws) == before
    # the document's formatting is no change either (canonical JSON of the document)
    _edit(ws / "charters" / "triage-agent.yaml", "spec:\n", "spec:\n\n")
    assert version(ws) == before
    # but the document's content is
    _edit(ws / "charters" / "triage-agent.yaml", "usd: 0.20,", "usd: 0.25,")
    assert version(ws) != before


def test_the_import_closure_through_python_path(ws: Path) -> None:
    pkg = ws / "agents" / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "core.py").write_text("from . import util\nfrom .sub.deep import f\nimport json\n")
    (pkg / "util.py").write_text("import helpers\n")
    (pkg / "sub").mkdir()
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "deep.py").write_text("def f():\n    import pkg.util\n")
    (pkg / "other.py").write_text("X = 1\n")
    (ws / "agents" / "helpers.py").write_text("Y = 2\n")
    _edit(ws / "charters" / "triage-agent.yaml", "python: helpdesk:triage", "python: pkg.core:f")
    assert files_of(ws) == {
        "agents/pkg/__init__.py",
        "agents/pkg/core.py",
        "agents/pkg/util.py",
        "agents/pkg/sub/__init__.py",
        "agents/pkg/sub/deep.py",
        "agents/helpers.py",
    }
    before = version(ws)
    (ws / "agents" / "helpers.py").write_text("Y = 3\n")
    assert version(ws) != before
    before = version(ws)
    (pkg / "other.py").write_text("X = 2\n")
    assert version(ws) == before


def test_a_command_runtime_covers_the_files_it_names(ws: Path) -> None:
    (ws / "bin").mkdir()
    (ws / "bin" / "agent.py").write_text("import shared\n")
    (ws / "bin" / "shared.py").write_text("")
    (ws / "bin" / "config").mkdir()
    (ws / "bin" / "config" / "a.json").write_text("{}")
    _edit(
        ws / "charters" / "triage-agent.yaml",
        "python: helpdesk:triage",
        "command: [python3, bin/agent.py, --config, ./bin/config, /etc/hosts, ../x]",
    )
    assert files_of(ws) == {"bin/agent.py", "bin/shared.py", "bin/config/a.json"}
    before = version(ws)
    (ws / "bin" / "shared.py").write_text("Z = 1\n")
    assert version(ws) != before


def test_other_kinds_keep_their_document_digest(ws: Path) -> None:
    w = load_workspace(ws).workspace
    for res in w.resources:
        if res.kind != "Charter":
            assert version_of(w, res, _read(ws)) == res.digest


def test_deterministic_across_processes(ws: Path) -> None:
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]);"
        "from test_versions import version; print(version(Path(sys.argv[1])))"
    )
    tests = str(Path(__file__).parent)
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    outs = {
        subprocess.run(
            [sys.executable, "-c", script, str(ws), tests],
            capture_output=True,
            check=True,
            env={**env, "PYTHONPATH": str(Path(tests).parent)},
        ).stdout
        for _ in range(2)
    }
    assert outs == {(version(ws) + "\n").encode()}


def _run(ws: Path, ticket: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            agentctl_bin(),
            "run",
            "triage-agent",
            "--input",
            json.dumps({"ticket_id": ticket}),
            *args,
        ],
        cwd=ws,
        capture_output=True,
        text=True,
    )


def test_the_ledger_attributes_new_behaviour_to_the_new_version(ws: Path) -> None:
    v1 = version(ws)
    assert _run(ws, "T-1002").returncode == 0
    _edit(
        ws / "agents" / "helpdesk.py",
        "    subject = ticket",
        '    raise RuntimeError("a regression")\n    subject = ticket',
    )
    v2 = version(ws)
    assert v2 != v1
    assert _run(ws, "T-1002").returncode == 1
    p = subprocess.run(
        [agentctl_bin(), "ledger", "report", "-f", "json"], cwd=ws, capture_output=True, text=True
    )
    assert p.returncode == 0, p.stderr
    report = {c["charter"]: c["versions"] for c in json.loads(p.stdout)["charters"]}
    got = [(v["version"], v["runs"], v["success_rate"]) for v in report["triage-agent"]]
    assert got == [(v1, 1, 1.0), (v2, 1, 0.0)]
    assert report["triage-agent"][1]["delta"]["success_rate"] == -1.0
    verify = subprocess.run([agentctl_bin(), "ledger", "verify"], cwd=ws, capture_output=True)
    assert verify.returncode == 0, verify.stdout


def test_run_rev_records_the_version_of_the_code_as_committed(ws: Path) -> None:
    # init made ws a git repository (it was in none)
    commit_all(ws, "v1")
    v1 = version(ws)
    _edit(ws / "agents" / "helpdesk.py", '"outage", "down"', '"outage", "down", "broken"')
    commit_all(ws, "v2")
    v2 = version(ws)
    _edit(ws / "agents" / "helpdesk.py", '"broken"', '"broken", "dead"')  # uncommitted
    v3 = version(ws)
    assert len({v1, v2, v3}) == 3
    for rev in ("HEAD~1", "HEAD"):
        p = _run(ws, "T-1002", "--rev", rev)
        assert p.returncode == 0, p.stderr
    assert _run(ws, "T-1002").returncode == 0
    p = subprocess.run(
        [agentctl_bin(), "ledger", "report", "-f", "json", "--agent", "triage-agent"],
        cwd=ws,
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stderr
    (triage,) = [c for c in json.loads(p.stdout)["charters"] if c["charter"] == "triage-agent"]
    assert [v["version"] for v in triage["versions"]] == [v1, v2, v3]
