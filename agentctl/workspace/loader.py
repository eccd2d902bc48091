"""Find the workspace, read its files (working tree or git revision), build the Workspace.

`build_workspace` is the pure part: bytes in, Workspace and findings out. The readers
(`read_tree`, `read_revision`) are the shell.
"""

from __future__ import annotations

import fnmatch
import gc
import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import orjson

from agentctl.errors import ConfigError, GitError
from agentctl.findings import Finding, Location, Severity
from agentctl.workspace.yamlload import YamlProblem, parse_bytes

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
    # reads one more file on demand (cases files named by suites); None: nothing more to read
    reader: Callable[[str], bytes | None] | None = None


@dataclass
class LoadResult:
    workspace: Workspace
    findings: list[Finding] = field(default_factory=list)


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


def read_tree(root: Path, only: list[Path] | None = None) -> Source:
    """Read every YAML file below `root` (or the given files/folders) from the disk."""
    root = root.resolve()
    settings = root / SETTINGS_FILE
    excludes = _settings_excludes(settings.read_bytes() if settings.is_file() else None)
    paths: set[str] = set()
    files: list[SourceFile] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not _hidden([d]) and not _excluded((rel_dir / d).as_posix(), excludes)
        )
        for name in sorted(filenames):
            rel = (rel_dir / name).as_posix()
            # dotfiles (.pre-commit-config.yaml) are tool config, as read_revision treats them
            if name.startswith(".") or _excluded(rel, excludes):
                continue
            paths.add(rel)
            if name.endswith(YAML_SUFFIXES):
                files.append(SourceFile(rel, (Path(dirpath) / name).read_bytes()))
    if only:
        wanted = [_rel_to(root, p) for p in only]
        files = [f for f in files if f.path == SETTINGS_FILE or _under(f.path, wanted)]

    def reader(rel: str) -> bytes | None:
        full = root / rel
        return full.read_bytes() if rel in paths and full.is_file() else None

    return Source(files, frozenset(paths), reader=reader)


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


def read_revision(root: Path, rev: str, only: list[Path] | None = None) -> Source:
    """Read the workspace's YAML files as they were at git revision `rev`, without a checkout."""
    import git  # lazy: gitpython costs ~100 ms to import

    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise GitError(f"{root} is not inside a git repository", hint="drop --rev") from exc
    try:
        commit = repo.commit(rev)
    except (git.BadName, ValueError, git.GitCommandError) as exc:
        raise GitError(
            f"unknown git revision {rev!r}", hint="try a branch, a tag or a commit hash"
        ) from exc
    workdir = Path(repo.working_tree_dir or root).resolve()
    prefix = root.resolve().relative_to(workdir).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    tree = commit.tree
    blobs: dict[str, Any] = {}
    for item in tree.traverse():
        if not isinstance(item, git.Blob):
            continue
        path = str(item.path)
        if not path.startswith(prefix):
            continue
        rel = path[len(prefix) :]
        if _hidden(PurePosixPath(rel).parts[:-1]) or PurePosixPath(rel).name.startswith("."):
            continue
        blobs[rel] = item
    settings_blob = blobs.get(SETTINGS_FILE)
    excludes = _settings_excludes(
        settings_blob.data_stream.read() if settings_blob is not None else None
    )
    paths = {p for p in blobs if not _excluded(p, excludes)}
    files = [
        SourceFile(p, blobs[p].data_stream.read())
        for p in sorted(paths)
        if p.endswith(YAML_SUFFIXES)
    ]
    if only:
        wanted = [_rel_to(root, p) for p in only]
        files = [f for f in files if f.path == SETTINGS_FILE or _under(f.path, wanted)]

    def reader(rel: str) -> bytes | None:
        blob = blobs.get(rel) if rel in paths else None
        return bytes(blob.data_stream.read()) if blob is not None else None

    return Source(files, frozenset(paths), rev=rev, commit=commit.hexsha, reader=reader)


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

    findings: list[Finding] = []
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
    if source.reader is not None:
        from agentctl.workspace.cases import attach_cases, needed_files

        extra: dict[str, bytes] = {}
        for _, path in needed_files(result.workspace):
            data = source.reader(path)
            if data is not None:
                extra[path] = data
        result.findings.extend(attach_cases(result.workspace, extra))
    return result
