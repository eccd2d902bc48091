"""Who authored a change (separation of duties): the authors of the commits since the
deployed one that touch the change's files, and whoever edits them uncommitted."""

from __future__ import annotations

from pathlib import Path

from support import git, write

from agentctl.deploy.approving import authors


def _commit(repo: Path, path: str, text: str, email: str) -> str:
    write(repo / path, text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"{path} by {email}", f"--author=Someone <{email}>")
    return git(repo, "rev-parse", "HEAD").strip()


def test_the_authors_since_the_deployed_commit(git_repo: Path) -> None:
    base = _commit(git_repo, "a.yaml", "1", "old@example.com")
    _commit(git_repo, "a.yaml", "2", "ana@example.com")
    _commit(git_repo, "b.yaml", "1", "bob@example.com")  # another file
    head = _commit(git_repo, "a.yaml", "3", "cat@example.com")
    assert authors(git_repo, base, head, ["a.yaml"], None) == [
        "ana@example.com",
        "cat@example.com",
    ]
    # the deployed commit is not in this clone: every author of the file counts
    assert authors(git_repo, "0" * 40, head, ["a.yaml"], None) == [
        "ana@example.com",
        "cat@example.com",
        "old@example.com",
    ]
    # an uncommitted edit: the person at this working copy is an author too
    write(git_repo / "a.yaml", "4")
    assert "me@example.com" in authors(git_repo, base, head, ["a.yaml"], "me@example.com")
    assert "me@example.com" not in authors(git_repo, base, head, ["b.yaml"], "me@example.com")
