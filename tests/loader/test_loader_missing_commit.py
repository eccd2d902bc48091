"""A full commit hash the repository does not hold (a shallow clone, another repository)
is an unknown revision, not a crash: git resolves a full hash lazily."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support import commit_all, write


def test_a_missing_full_hash_is_an_unknown_revision(git_repo: Path, cli: Any) -> None:
    write(
        git_repo / "agentctl.yaml",
        "apiVersion: agentctl/v1\nkind: Workspace\nmetadata: {name: w}\n",
    )
    commit_all(git_repo, "settings")
    r = cli("lint", "-w", git_repo, "--rev", "0" * 40)
    assert r.exit_code == 2
    assert r.stderr == (
        f"agentctl: error: unknown git revision '{'0' * 40}'\n"
        "  hint: try a branch, a tag or a commit hash\n"
    )
