"""Shared fixtures. Tests never touch the real HOME, pin git identity, and build real git
repositories in temporary folders. Plain helpers live in support.py."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import GIT_ENV, REPO, CliResult, agentctl_bin, commit_all, git, write

__all__ = ["REPO", "CliResult", "agentctl_bin", "commit_all", "git", "write"]


@pytest.fixture(autouse=True)
def _isolate(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AGENTCTL_CRASH_DIR", str(home / "crash"))
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    for k, v in GIT_ENV.items():
        monkeypatch.setenv(k, v)


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., CliResult]:
    """Run agentctl in-process: `cli("lint", "-w", path)` → CliResult."""
    from agentctl.cli.main import run

    def invoke(*args: str | os.PathLike[str], cwd: Path | None = None) -> CliResult:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = run([str(a) for a in args])
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return invoke


@pytest.fixture
def git_repo(tmp_path: Path) -> Iterator[Path]:
    """An empty git repository with a pinned identity."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test Committer")
    git(repo, "config", "user.email", "committer@example.com")
    git(repo, "config", "commit.gpgsign", "false")
    yield repo
