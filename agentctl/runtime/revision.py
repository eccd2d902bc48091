"""`agentctl run --rev REV`: the code as committed, not only the YAML.

The workspace folder as it was at REV (plus any `python_path` folder outside it) is
written to a temporary folder with `git archive`; python_path resolves there, command
runtimes and transports start there, and fixtures are read from there. Modules already
imported from the working tree are set aside for the run, so the revision's own modules
are imported, and put back afterwards.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

from agentctl.errors import GitError


def _git(root: Path, *args: str) -> bytes:
    try:
        proc = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git {args[0]} failed: {exc}") from exc
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(
            f"git {args[0]} failed: {msg[-1] if msg else 'exit ' + str(proc.returncode)}",
            hint="check --rev (a branch, a tag or a commit hash)",
        )
    return proc.stdout


def _repo_paths(root: Path, python_path: list[str]) -> tuple[Path, str, list[str]]:
    """The repository's top folder, the workspace's prefix in it, and the repository
    paths to write out: the workspace folder and python_path folders outside it."""
    top = Path(_git(root, "rev-parse", "--show-toplevel").decode().strip()).resolve()
    ws = root.resolve()
    prefix = ws.relative_to(top).as_posix()
    wanted = [prefix]
    for entry in python_path:
        folder = (ws / entry).resolve()
        try:
            rel = folder.relative_to(top).as_posix()
        except ValueError:
            raise GitError(
                f"python_path entry {entry!r} is outside the git repository, so --rev "
                "cannot load it as committed",
                hint="keep python_path inside the repository, or drop --rev",
            ) from None
        inside = prefix == "." or rel == prefix or rel.startswith(prefix + "/")
        if not inside and rel not in wanted:
            wanted.append(rel)
    return top, prefix, wanted


@contextlib.contextmanager
def checkout(root: Path, rev: str, python_path: list[str]) -> Iterator[Path]:
    """Write the workspace as committed at `rev` to a temporary folder; yields the
    workspace root inside it (removed afterwards)."""
    top, prefix, paths = _repo_paths(root, python_path)
    try:
        commit = _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except GitError:
        raise GitError(
            f"unknown git revision {rev!r}", hint="try a branch, a tag or a commit hash"
        ) from None
    sha = commit.decode().strip()
    # a folder missing at that revision is simply empty there
    present = [p for p in paths if p == "." or _git(top, "ls-tree", sha, "--", p).strip()]
    data = _git(top, "archive", "--format=tar", sha, "--", *present) if present else b""
    with tempfile.TemporaryDirectory(prefix="agentctl-rev-") as tmp:
        dest = Path(tmp)
        if data:
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                tar.extractall(dest, filter="data")
        ws_root = dest / prefix if prefix != "." else dest
        ws_root.mkdir(parents=True, exist_ok=True)
        yield ws_root


def _top_level_names(folders: list[Path]) -> set[str]:
    names: set[str] = set()
    for folder in folders:
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if entry.suffix == ".py":
                names.add(entry.stem)
            elif entry.is_dir() and entry.name.isidentifier():
                names.add(entry.name)
    return names


@contextlib.contextmanager
def fresh_imports(folders: list[Path]) -> Iterator[None]:
    """Modules importable from `folders` are imported afresh during the block (an earlier
    import from the working tree must not stand in for the revision's), and the modules
    and sys.path as they were are put back afterwards."""
    names = _top_level_names(folders)

    def ours(module: str) -> bool:
        return module.partition(".")[0] in names

    saved = {k: v for k, v in sys.modules.items() if ours(k)}
    for k in saved:
        del sys.modules[k]
    saved_path = list(sys.path)
    try:
        yield
    finally:
        for k in [k for k in sys.modules if ours(k)]:
            del sys.modules[k]
        sys.modules.update(saved)
        sys.path[:] = saved_path
