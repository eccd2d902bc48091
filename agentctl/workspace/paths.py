"""The one path rule: which files a workspace may name, and how they are opened.

Nothing is read outside the workspace. A path written in a YAML file (`cases_file`, a
scenario's `events`, a connector's `fixture`) is relative to that file; it may not be
absolute and may not climb out of the workspace with `..` (`named`). On disk, a symlink —
the file itself or any folder on the way — is followed only when where it lands is still
inside the workspace; otherwise the path is refused and its target is never opened
(`inside`, `read_inside`). In a git revision a symlink (mode 120000) is never followed on
the disk: its target is looked up in the same commit, under the same rule
(`link_target`, used by the loader's git reader).

Paths the user types on the command line (`simulate --events FILE`, a scenario file) may
be anywhere: the user chose them. Paths a YAML file names may not. See docs/workspace.md.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

# The most bytes read whole from one workspace file that is not YAML (an eval cases file,
# a connector fixture). Streams (simulate's events) are read line by line instead.
MAX_READ_BYTES = 64 * 1024 * 1024


class PathRefused(ValueError):
    """A path that would leave the workspace; `reason` completes "the path ..."."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path!r} {reason}")
        self.path = path
        self.reason = reason


class TooLarge(ValueError):
    """A file over its size cap; it was not read past the cap."""

    def __init__(self, path: str, limit: int) -> None:
        super().__init__(f"{path} is larger than {human_size(limit)}")
        self.path = path
        self.limit = limit


def human_size(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n:,} bytes"


def too_large_message(limit: int) -> str:
    return f"the file is larger than {human_size(limit)}: it is not read"


def _check_text(rel: str) -> None:
    if "\x00" in rel:
        raise PathRefused(rel, "holds a NUL character")
    if rel.startswith("/"):
        raise PathRefused(rel, "is absolute: paths in the workspace are relative")


def named(base_file: str, rel: str) -> str:
    """The workspace path that `rel`, written in `base_file`, names (lexically: no disk).

    Raises PathRefused for an absolute path or one that climbs out with `..`."""
    _check_text(rel)
    full = posixpath.normpath(posixpath.join(posixpath.dirname(base_file), rel))
    if full == ".." or full.startswith("../"):
        raise PathRefused(rel, "leaves the workspace ('..' climbs above its root)")
    return full


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def inside(root: Path, rel: str) -> Path:
    """The real file behind the workspace path `rel` under `root`, symlinks resolved.

    Raises PathRefused when the path or a symlink on the way (a parent folder's too) lands
    outside `root`. Only link texts are read to decide; no target outside is opened."""
    _check_text(rel)
    real_root = os.path.realpath(root)
    lexical = os.path.normpath(os.path.join(real_root, rel))
    if not _is_within(lexical, real_root):
        raise PathRefused(rel, "leaves the workspace ('..' climbs above its root)")
    real = os.path.realpath(lexical)
    if not _is_within(real, real_root):
        if os.path.islink(lexical):
            raise PathRefused(rel, "is a symlink that points outside the workspace")
        raise PathRefused(rel, "lies under a symlinked folder that points outside the workspace")
    return Path(real)


def read_capped(path: Path, limit: int, display: str | None = None) -> bytes:
    """The file's bytes, refusing (TooLarge) rather than reading more than `limit`."""
    if path.stat().st_size > limit:
        raise TooLarge(display or path.as_posix(), limit)
    with path.open("rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(display or path.as_posix(), limit)
    return data


def read_inside(root: Path, rel: str, limit: int = MAX_READ_BYTES) -> bytes:
    """`inside`, then `read_capped`: the one way a workspace file named by YAML is read."""
    return read_capped(inside(root, rel), limit, rel)


def link_target(link_rel: str, target: bytes) -> str:
    """Where a symlink at workspace path `link_rel` with link text `target` points, as a
    workspace path (git's symlink blobs): PathRefused when it leaves the workspace."""
    try:
        text = target.decode("utf-8")
    except UnicodeDecodeError:
        raise PathRefused(link_rel, "is a symlink whose target is not a UTF-8 path") from None
    try:
        return named(link_rel, text)
    except PathRefused:
        raise PathRefused(link_rel, "is a symlink that points outside the workspace") from None
