"""Find the workspace, read its files (working tree or git revision), build the Workspace.

`build_workspace` is the pure part: bytes in, Workspace and findings out. The readers
(`read_tree`, `read_revision`) are the shell.
"""

from __future__ import annotations

import fnmatch
import gc
import hashlib
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import orjson

from agentctl.errors import ConfigError, GitError
from agentctl.findings import Finding, Location, Severity
from agentctl.workspace.paths import (
    MAX_READ_BYTES,
    PathRefused,
    TooLarge,
    inside,
    link_target,
    read_capped,
    read_inside,
    too_large_message,
)
from agentctl.workspace.yamlload import MAX_FILE_BYTES, YamlProblem, parse_bytes

if TYPE_CHECKING:  # the model (pydantic) is imported when a workspace is built, not at start-up
    from agentctl.model.index import Workspace

SETTINGS_FILE = "agentctl.yaml"
YAML_SUFFIXES = (".yaml", ".yml")
SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages", "build", "dist"})


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # posix, relative to the workspace root
    data: bytes


@dataclass
class Source:
    """What the shell read: the YAML files' bytes and every path (for existence checks)."""

    files: list[SourceFile]
    paths: frozenset[str]
    rev: str | None = None
    commit: str | None = None
    # reads one more file on demand (cases files named by suites); None: nothing more to read.
    # It may raise TooLarge (agentctl.workspace.paths).
    reader: Callable[[str], bytes | None] | None = None
    # what the shell refused to read: symlinks out of the workspace, files over a size cap
    findings: list[Finding] = field(default_factory=list)


@dataclass
class LoadResult:
    workspace: Workspace
    findings: list[Finding] = field(default_factory=list)
    # reads any workspace file as loaded (working copy or revision): what versions need
    reader: Callable[[str], bytes | None] | None = None


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding agentctl.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / SETTINGS_FILE).is_file():
            return folder
    raise ConfigError(
        f"no {SETTINGS_FILE} in {start} or any folder above it",
        hint="run 'agentctl init' to create a workspace, or pass --workspace DIR",
    )


def _excluded(path: str, patterns: Iterable[str]) -> bool:
    for pat in patterns:
        pat = pat.rstrip("/")
        if fnmatch.fnmatch(path, pat) or fnmatch.fnmatch(path, pat + "/*"):
            return True
    return False


def _hidden(parts: Iterable[str]) -> bool:
    return any(p.startswith(".") or p in SKIP_DIRS for p in parts)


def _settings_excludes(data: bytes | None) -> list[str]:
    """Read `spec.exclude` from agentctl.yaml before the full load (it decides what to load)."""
    if data is None:
        return []
    docs, _ = parse_bytes(data)
    for doc in docs:
        spec = doc.data.get("spec") if isinstance(doc.data, dict) else None
        excl = spec.get("exclude") if isinstance(spec, dict) else None
        if isinstance(excl, list):
            return [e for e in excl if isinstance(e, str)]
    return []


def _outside(rel: str, reason: str, rev: str | None = None) -> Finding:
    return Finding(
        "path-outside",
        Severity.ERROR,
        f"{rel} {reason}: it is not read",
        Location(rel, 1, 1, rev),
        "keep every file the workspace uses inside it (copy the file in, not a link out)",
    )


def too_large(rel: str, limit: int, rev: str | None = None) -> Finding:
    return Finding(
        "file-too-large",
        Severity.ERROR,
        too_large_message(limit),
        Location(rel, 1, 1, rev),
        "split it into smaller files",
    )


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, ValueError):
        return False


def read_tree(root: Path, only: list[Path] | None = None) -> Source:
    """Read every YAML file below `root` (or the given files/folders) from the disk.

    Symlinks are followed only to places inside the workspace (agentctl.workspace.paths);
    one that leaves it is a finding and its target is never opened. Symlinked folders are
    not walked (their files are read where they really are, if inside)."""
    root = root.resolve()
    findings: list[Finding] = []
    excludes: list[str] = []
    try:
        settings = inside(root, SETTINGS_FILE)
        if _regular(settings):
            excludes = _settings_excludes(read_capped(settings, MAX_FILE_BYTES))
    except (PathRefused, TooLarge):
        pass  # reported by the walk below
    paths: set[str] = set()
    files: list[SourceFile] = []

    def visit(folder: Path, rel_dir: str) -> None:
        # os.scandir: the entry types come with the listing, so a plain file costs no
        # extra system call; only symlinks are resolved (realpath) and checked.
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            return
        subdirs = []
        for e in entries:
            rel = f"{rel_dir}{e.name}"
            if e.name.startswith(".") or _excluded(rel, excludes):
                continue  # dotfiles are tool config, as read_revision treats them
            link = e.is_symlink()
            if link:
                try:
                    real = inside(root, rel)
                except PathRefused as exc:
                    findings.append(_outside(rel, exc.reason))
                    continue
                if real.is_dir():
                    continue  # not walked (its files are read where they are)
                if not _regular(real):
                    continue  # a dangling link: nothing to read
            elif e.is_dir(follow_symlinks=False):
                if e.name not in SKIP_DIRS:
                    subdirs.append(e)
                continue
            elif not e.is_file(follow_symlinks=False):
                continue  # a FIFO or a socket: nothing to read (and a read would block)
            else:
                real = Path(e.path)
            paths.add(rel)
            if e.name.endswith(YAML_SUFFIXES):
                try:
                    files.append(SourceFile(rel, read_capped(real, MAX_FILE_BYTES, rel)))
                except TooLarge:
                    findings.append(too_large(rel, MAX_FILE_BYTES))
                except OSError:
                    pass  # unreadable (permissions, vanished): as if absent
        for d in subdirs:
            visit(Path(d.path), f"{rel_dir}{d.name}/")

    visit(root, "")
    if only:
        wanted = [_rel_to(root, p) for p in only]
        files = [f for f in files if f.path == SETTINGS_FILE or _under(f.path, wanted)]

    def reader(rel: str) -> bytes | None:
        if rel not in paths:
            return None
        return read_inside(root, rel)

    return Source(files, frozenset(paths), reader=reader, findings=findings)


def _rel_to(root: Path, p: Path) -> str:
    full = p.resolve()
    try:
        rel = full.relative_to(root).as_posix()
    except ValueError as exc:
        raise ConfigError(f"{p} is outside the workspace {root}") from exc
    if not full.exists():
        raise ConfigError(f"{p}: no such file or folder")
    return "" if rel == "." else rel


def _under(path: str, wanted: list[str]) -> bool:
    return any(w == "" or path == w or path.startswith(w + "/") for w in wanted)


GIT_SYMLINK = 0o120000
MAX_LINK_HOPS = 40  # as the kernel's ELOOP limit
MAX_LINK_TEXT = 4096  # PATH_MAX: a longer "symlink" blob is no path


def _git_links(
    blobs: dict[str, Any], links: dict[str, Any], rev: str
) -> tuple[dict[str, Any], list[Finding]]:
    """Resolve git symlink blobs inside the same commit, never on the disk: a link to a
    file of the workspace reads that file's blob; one that leaves the workspace is a
    finding; a dangling link (or one to a folder) is no file, as on the disk."""
    resolved: dict[str, Any] = {}
    findings: list[Finding] = []
    for rel in sorted(links):
        here = rel
        try:
            for _ in range(MAX_LINK_HOPS):
                text = links[here].data_stream.read(MAX_LINK_TEXT + 1)
                if len(text) > MAX_LINK_TEXT:
                    raise PathRefused(here, "is a symlink whose target is longer than a path")
                here = link_target(here, text)
                if here not in links:
                    break
            else:
                continue  # a loop: nothing to read, as ELOOP on the disk
        except PathRefused as exc:
            findings.append(_outside(rel, exc.reason, rev))
            continue
        if here in blobs:
            resolved[rel] = blobs[here]
    return resolved, findings


def read_revision(root: Path, rev: str, only: list[Path] | None = None) -> Source:
    """Read the workspace's YAML files as they were at git revision `rev`, without a checkout."""
    import git  # lazy: gitpython costs ~100 ms to import

    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise GitError(f"{root} is not inside a git repository", hint="drop --rev") from exc
    try:
        commit = repo.commit(rev)
        commit.tree  # noqa: B018 - a full hash resolves lazily: a missing object fails here
    except (git.BadName, ValueError, git.GitCommandError) as exc:
        raise GitError(
            f"unknown git revision {rev!r}", hint="try a branch, a tag or a commit hash"
        ) from exc
    workdir = Path(repo.working_tree_dir or root).resolve()
    prefix = root.resolve().relative_to(workdir).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    tree = commit.tree
    blobs: dict[str, Any] = {}
    links: dict[str, Any] = {}
    for item in tree.traverse():
        if not isinstance(item, git.Blob):
            continue
        path = str(item.path)
        if not path.startswith(prefix):
            continue
        rel = path[len(prefix) :]
        if _hidden(PurePosixPath(rel).parts[:-1]) or PurePosixPath(rel).name.startswith("."):
            continue
        (links if item.mode == GIT_SYMLINK else blobs)[rel] = item
    resolved, findings = _git_links(blobs, links, rev)
    blobs.update(resolved)
    settings_blob = blobs.get(SETTINGS_FILE)
    excludes = _settings_excludes(
        settings_blob.data_stream.read()
        if settings_blob is not None and settings_blob.size <= MAX_FILE_BYTES
        else None
    )
    paths = {p for p in blobs if not _excluded(p, excludes)}
    findings = [f for f in findings if not _excluded(f.location.file, excludes)]
    files = []
    for p in sorted(paths):
        if not p.endswith(YAML_SUFFIXES):
            continue
        if blobs[p].size > MAX_FILE_BYTES:
            findings.append(too_large(p, MAX_FILE_BYTES, rev))
            continue
        files.append(SourceFile(p, blobs[p].data_stream.read()))
    if only:
        wanted = [_rel_to(root, p) for p in only]
        files = [f for f in files if f.path == SETTINGS_FILE or _under(f.path, wanted)]

    def reader(rel: str) -> bytes | None:
        blob = blobs.get(rel) if rel in paths else None
        if blob is None:
            return None
        if blob.size > MAX_READ_BYTES:
            raise TooLarge(rel, MAX_READ_BYTES)
        return bytes(blob.data_stream.read())

    return Source(
        files,
        frozenset(paths),
        rev=rev,
        commit=commit.hexsha,
        reader=reader,
        findings=findings,
    )


def restrict(findings: list[Finding], root: Path, only: list[Path]) -> list[Finding]:
    """The findings in the given files or folders (`lint PATHS`). The whole workspace is
    loaded and linted all the same, so references into other files still resolve."""
    wanted = [_rel_to(root.resolve(), p) for p in only]
    return [f for f in findings if _under(f.location.file, wanted)]


def _problem_finding(p: YamlProblem, file: str, rev: str | None) -> Finding:
    sev = Severity(p.severity)
    return Finding(p.code, sev, p.message, Location(file, p.line, p.column, rev), p.hint)


def digest_of(raw: Any) -> str:
    """Content hash of a document: canonical JSON (sorted keys), so formatting does not count."""
    try:
        blob = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:  # NaN and friends are fine for orjson; other surprises are not fatal
        blob = repr(raw).encode()
    return "sha256:" + hashlib.sha256(blob).hexdigest()


def _ref_of(raw: Any) -> str:
    """`kind/name` of a raw document, as far as it can be read."""
    if not isinstance(raw, dict):
        return ""
    meta = raw.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    kind = raw.get("kind")
    return f"{kind.lower()}/{name}" if isinstance(kind, str) and isinstance(name, str) else ""


def build_workspace(source: Source) -> LoadResult:
    """Parse and validate every document; index them. Pure: no disk, no clock."""
    # The load allocates millions of small objects that all stay alive; with the cyclic GC
    # on, its full collections rescan the growing heap again and again (measured: 2.6x the
    # whole load time at 10,000 resources). They hold no cycles, so pause it meanwhile.
    paused = gc.isenabled()
    if paused:
        gc.collect(1)  # the young garbage from before the load is not frozen below
    gc.disable()
    try:
        return _build_workspace(source)
    finally:
        if paused:
            # The next collection will scan all of it once (1.2 s at 10,000 resources);
            # the CLI, whose workspace lives as long as the command, freezes it instead
            # (agentctl.cli.common.load). A library caller keeps a normal GC.
            gc.enable()


def _build_workspace(source: Source) -> LoadResult:
    from agentctl.model.index import Resource, Workspace
    from agentctl.model.kinds import WorkspaceDoc
    from agentctl.model.validate import validate_document

    findings: list[Finding] = list(source.findings)
    resources: list[Resource[Any]] = []
    settings = None
    settings_name = None
    settings_file = None
    broken: set[str] = set()
    rev = source.rev
    for sf in source.files:
        docs, problems = parse_bytes(sf.data)
        findings.extend(_problem_finding(p, sf.path, rev) for p in problems)
        if not docs and not problems:
            findings.append(
                Finding(
                    "yaml-empty",
                    Severity.WARNING,
                    "empty file: it holds no document",
                    Location(sf.path, 1, 1, rev),
                    "add a document or delete the file",
                )
            )
        for doc in docs:
            findings.extend(_problem_finding(p, sf.path, rev) for p in doc.problems)
            if doc.data is None:
                if not doc.problems:
                    findings.append(
                        Finding(
                            "yaml-empty",
                            Severity.WARNING,
                            f"empty document (document {doc.index + 1} of the file)",
                            Location(sf.path, doc.line, 1, rev),
                            "remove the stray '---' or fill the document in",
                        )
                    )
                continue
            if any(p.severity == "error" for p in doc.problems):
                continue
            model, problems2 = validate_document(doc.data, sf.path, rev, doc.line)
            findings.extend(problems2)
            if model is None or problems2:  # kept with unknown fields: still not clean
                broken.add(_ref_of(doc.data))
            if model is None:
                continue
            if isinstance(model, WorkspaceDoc):
                if sf.path == SETTINGS_FILE and settings is None:
                    settings, settings_file = model.spec, sf.path
                    settings_name = model.metadata.name
                else:
                    findings.append(
                        Finding(
                            "misplaced-settings",
                            Severity.ERROR,
                            "kind: Workspace belongs in agentctl.yaml at the workspace root, once",
                            Location(sf.path, doc.line, 1, rev),
                            "move these settings into agentctl.yaml",
                        )
                    )
                continue
            resources.append(
                Resource(model, sf.path, doc.index, doc.data, digest_of(doc.data), rev)
            )
    if settings is None and not any(f.path == SETTINGS_FILE for f in source.files):
        findings.append(
            Finding(
                "missing-settings",
                Severity.WARNING,
                f"no {SETTINGS_FILE} at the workspace root: using default settings",
                Location(SETTINGS_FILE, 1, 1, rev),
                "run 'agentctl init' or add a 'kind: Workspace' document",
            )
        )
    ws = Workspace(
        resources=resources,
        paths=source.paths,
        rev=rev,
        commit=source.commit,
        settings_file=settings_file,
        name=settings_name,
        broken=frozenset(broken),
    )
    if settings is not None:
        ws.settings = settings
    return LoadResult(ws, findings)


def load_workspace(
    root: Path, rev: str | None = None, only: list[Path] | None = None
) -> LoadResult:
    """The shell's one call: read from disk or git, then build."""
    source = read_revision(root, rev, only) if rev else read_tree(root, only)
    result = build_workspace(source)
    result.reader = source.reader
    if source.reader is not None:
        from agentctl.workspace.cases import attach_cases, needed_files

        extra: dict[str, bytes] = {}
        for _, path in needed_files(result.workspace):
            try:
                data = source.reader(path)
            except TooLarge as exc:
                result.findings.append(too_large(path, exc.limit, source.rev))
                continue
            except (PathRefused, OSError):
                continue  # reported by lint (path-outside, file-missing)
            if data is not None:
                extra[path] = data
        result.findings.extend(attach_cases(result.workspace, extra))
    return result
