"""The shell side of a plan: the desired workspace (the working copy or a git revision)
with every resource's version, its git commit and the tree of its folder."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agentctl.errors import GitError
from agentctl.model.index import Workspace
from agentctl.model.versions import versions
from agentctl.workspace.loader import LoadResult, load_workspace
from agentctl.workspace.paths import PathRefused, TooLarge


@dataclass
class Snapshot:
    """A workspace as deployments see it."""

    result: LoadResult
    versions: dict[str, str]
    rev: str | None  # the revision asked for; None: the working copy
    commit: str | None  # the git commit (HEAD for the working copy)
    tree: str | None  # the git tree of the workspace folder, working-copy edits included

    @property
    def workspace(self) -> Workspace:
        return self.result.workspace


def safe_reader(reader: Callable[[str], bytes | None] | None) -> Callable[[str], bytes | None]:
    def read(rel: str) -> bytes | None:
        if reader is None:
            return None
        try:
            return reader(rel)
        except (OSError, PathRefused, TooLarge):
            return None  # unreadable counts as absent (the digest records None for it)

    return read


def _git(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            env=env,
        )
    except (OSError, subprocess.SubprocessError):
        return 1, ""
    return proc.returncode, proc.stdout.strip()


def _prefix(root: Path) -> str | None:
    code, out = _git(root, "rev-parse", "--show-prefix")
    return out if code == 0 else None


# never part of the tree: Python's caches (a gate's run writes them) and the ledger with
# its companion and lock files when it lives inside the workspace
_NEVER = (":(exclude,glob)**/__pycache__/**", ":(exclude,glob)**/*.pyc")


def tree_of(
    root: Path, rev: str | None, exclude: list[str] | None = None
) -> tuple[str | None, str | None]:
    """(commit, tree) of the workspace folder: at `rev`, or of the working copy (HEAD's
    commit, and the tree `git commit -a` would make now, built in a throwaway index so the
    user's index is untouched). Untracked files are not in it: a saved plan file beside
    the workspace must not make itself stale, and untracked documents and code are in the
    versions anyway. `exclude`: workspace-relative globs left out. (None, None) outside
    git."""
    prefix = _prefix(root)
    if prefix is None:
        return None, None
    if rev is not None:
        code, commit = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        if code != 0:
            raise GitError(f"unknown git revision {rev!r}", hint="try a branch, a tag or a hash")
        code, tree = _git(root, "rev-parse", f"{commit}:{prefix}")
        return commit, tree if code == 0 else None
    code, commit = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    head = commit if code == 0 else None
    specs = [*_NEVER, *(f":(exclude,glob){g}" for g in exclude or [])]
    with tempfile.TemporaryDirectory(prefix="agentctl-index-") as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if head is not None:
            _git(root, "read-tree", head, env=env)
        code, _ = _git(root, "add", "-u", "--", ".", *specs, env=env)
        if code != 0:
            return head, None
        # tracked files the excludes name are still in the index read from HEAD: fine,
        # they are then part of the commit's tree as well
        args = ["write-tree", f"--prefix={prefix}"] if prefix else ["write-tree"]
        code, tree = _git(root, *args, env=env)
    return head, tree if code == 0 and tree else None


def ledger_globs(root: Path, ledger: Path) -> list[str]:
    """The ledger and the files beside it, as workspace-relative globs (when inside)."""
    try:
        rel = ledger.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return []
    return [rel + "*"]


def snapshot(root: Path, rev: str | None, exclude: list[str] | None = None) -> Snapshot:
    """The desired workspace at `rev` (None: the working copy) with its versions."""
    result = load_workspace(root, rev)
    commit, tree = tree_of(root, rev, exclude)
    ws = result.workspace
    return Snapshot(result, versions(ws, safe_reader(result.reader)), rev, commit, tree)
