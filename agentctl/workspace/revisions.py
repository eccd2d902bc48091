"""Which git revisions to compare when the user names none (the shell: runs git).

BASE defaults to the merge base of HEAD with the default branch (what a pull request
would merge into); in a shallow clone without that history the error says which fetch
brings it, instead of failing obscurely.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from agentctl.errors import GitError


def _git(root: Path, *args: str) -> tuple[int, str]:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False, timeout=60
        )
    except FileNotFoundError:
        raise GitError("git is not installed", hint="install git, or pass both revisions") from None
    return proc.returncode, proc.stdout.strip()


def default_branch(root: Path) -> str | None:
    """origin's HEAD (origin/main), else the first of origin/main, origin/master, main,
    master that exists; never the branch being compared itself (a clone of a feature
    branch points origin/HEAD at that branch)."""
    current = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD")[1]
    candidates = []
    code, out = _git(root, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    if code == 0 and out:
        candidates.append(out)
    candidates += ["origin/main", "origin/master", "main", "master"]
    for name in candidates:
        if current and name.removeprefix("origin/") == current:
            continue
        if _git(root, "rev-parse", "--verify", "--quiet", name + "^{commit}")[0] == 0:
            return name
    return None


def merge_base(root: Path, head: str = "HEAD") -> str:
    """The commit BASE defaults to: merge-base of `head` and the default branch."""
    if _git(root, "rev-parse", "--git-dir")[0] != 0:
        raise GitError(f"{root} is not inside a git repository", hint="pass BASE and HEAD folders")
    shallow = _git(root, "rev-parse", "--is-shallow-repository")[1] == "true"
    branch = default_branch(root)
    if branch is None:
        hint = (
            "this is a shallow clone without the default branch; fetch it with its history: "
            "git fetch --no-tags --deepen=200 origin main:refs/remotes/origin/main "
            "(or git fetch --unshallow), or pass BASE"
            if shallow
            else "name the base: agentctl diff BASE (e.g. agentctl diff main)"
        )
        raise GitError("cannot find the default branch (origin/HEAD, main or master)", hint=hint)
    code, out = _git(root, "merge-base", head, branch)
    if code != 0 or not out:
        if shallow:
            remote_branch = branch.split("/", 1)[1] if branch.startswith("origin/") else branch
            raise GitError(
                f"no common history between {head} and {branch} in this shallow clone",
                hint="fetch more history: git fetch --no-tags --deepen=200 origin "
                f"{remote_branch} (or git fetch --unshallow), or pass BASE",
            )
        raise GitError(f"{head} and {branch} have no common ancestor", hint="pass BASE")
    return out


def repo_prefix(root: Path) -> str:
    """The workspace folder relative to the enclosing git repository ("" at its root)."""
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            rel = root.relative_to(folder).as_posix()
            return "" if rel == "." else rel + "/"
    return ""
