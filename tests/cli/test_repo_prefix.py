"""SARIF and GitHub annotations name files relative to the git repository's root, so code
scanning and the pull-request view place findings when the workspace is a subfolder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support import write

BROKEN_ROLE = """apiVersion: agentctl/v1
kind: Role
metadata: {name: ops}
spec:
  reports_to: role/nobody
"""
SETTINGS = "apiVersion: agentctl/v1\nkind: Workspace\nmetadata: {name: w}\n"


def _workspace(folder: Path) -> Path:
    write(folder / "agentctl.yaml", SETTINGS)
    write(folder / "charters" / "roles.yaml", BROKEN_ROLE)
    return folder


def _uris(sarif: dict[str, Any]) -> list[str]:
    return [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    ]


def test_workspace_in_a_subfolder_of_a_repository(git_repo: Path, cli: Any) -> None:
    ws = _workspace(git_repo / "ops" / "agents")
    sarif = cli("lint", "-w", ws, "--format", "sarif")
    assert sarif.exit_code == 1
    assert set(_uris(json.loads(sarif.stdout))) == {"ops/agents/charters/roles.yaml"}
    gh = cli("lint", "-w", ws, "--format", "github")
    assert gh.stdout.startswith("::error file=ops/agents/charters/roles.yaml,line=5,col=15,")
    # the human output stays workspace-relative: that is where the user stands
    text = cli("lint", "-w", ws)
    assert "\ncharters/roles.yaml:5:15: unknown-role error:" in text.stdout


def test_workspace_at_the_repository_root(git_repo: Path, cli: Any) -> None:
    ws = _workspace(git_repo)
    sarif = cli("lint", "-w", ws, "--format", "sarif")
    assert set(_uris(json.loads(sarif.stdout))) == {"charters/roles.yaml"}


def test_workspace_outside_any_repository(tmp_path: Path, cli: Any) -> None:
    ws = _workspace(tmp_path / "plain")
    gh = cli("lint", "-w", ws, "--format", "github")
    assert gh.stdout.startswith("::error file=charters/roles.yaml,")
