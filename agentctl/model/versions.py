"""Versions: the content digest of what a resource is, for the ledger and for deployments.

A charter's version covers everything its agent runs (docs/deploy.md, "Versions"):

- the charter document (its model settings and system prompt are in it),
- its code: for a `python:` runtime the module and every workspace module it imports,
  statically, found with `ast` through the workspace's python_path (as
  agentctl/runtime/transports.py `load_callable` imports it), with the `__init__.py` of
  each package on the way; for a `command:` runtime the workspace files its arguments
  name (a folder: every file below it; a `.py` file: also what it imports),
- the documents of the connectors it can reach (Workspace.effective_permissions).

Policies, contracts, suites, roles and connectors are versioned by their documents
(`Resource.digest`). Pure: the shell passes `read`, workspace path → bytes (None when
unreadable); the set of files comes from `Workspace.paths`.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import posixpath
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from agentctl.model.index import Resource, Workspace
from agentctl.model.kinds import CharterDoc

Reader = Callable[[str], bytes | None]

FORMAT = 1  # bump when what a version covers changes: old digests then differ on purpose


def version_of(ws: Workspace, res: Resource[Any], read: Reader) -> str:
    """The version of any resource: a charter's covers its code and connectors."""
    if res.kind == "Charter":
        return charter_version(ws, res, read)
    return res.digest


def versions(ws: Workspace, read: Reader) -> dict[str, str]:
    """Every resource's version, by reference (what a deployment records). Each file is
    read once: charters share modules, and a git revision's reads are not free."""
    seen: dict[str, bytes | None] = {}

    def once(path: str) -> bytes | None:
        if path not in seen:
            seen[path] = read(path)
        return seen[path]

    return {res.ref: version_of(ws, res, once) for res in ws.resources}


def charter_version(ws: Workspace, charter: Resource[CharterDoc], read: Reader) -> str:
    """sha256 of the canonical JSON of what `charter` runs (see the module docstring)."""
    code = {path: _file_digest(read, path) for path in sorted(code_files(ws, charter.doc, read))}
    connectors = {
        name: ws.by_kind["Connector"][name].digest
        for name in sorted(
            {p.connector for p in ws.effective_permissions(charter.doc).values()}
            & set(ws.by_kind.get("Connector", {}))
        )
    }
    body = {"format": FORMAT, "charter": charter.digest, "code": code, "connectors": connectors}
    return "sha256:" + hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def code_files(ws: Workspace, charter: CharterDoc, read: Reader) -> set[str]:
    """The workspace files (posix paths) that the charter's runtime runs."""
    runtime = charter.spec.runtime
    if runtime.python is not None:
        roots = _roots(ws.settings.python_path)
        module = runtime.python.partition(":")[0]
        return _closure(ws.paths, read, roots, [module])
    if runtime.command is not None:
        return _command_files(ws.paths, read, runtime.command)
    return set()  # a model runtime: all of it is in the document


def _file_digest(read: Reader, path: str) -> str | None:
    data = read(path)
    return None if data is None else hashlib.sha256(data).hexdigest()


def _roots(python_path: Iterable[str]) -> list[str]:
    """python_path entries as workspace folder prefixes ("" is the root); entries outside
    the workspace hold no workspace files and are left out."""
    out: list[str] = []
    for entry in python_path:
        norm = posixpath.normpath(entry.replace("\\", "/"))
        if posixpath.isabs(norm) or norm == ".." or norm.startswith("../"):
            continue
        out.append("" if norm == "." else norm + "/")
    return out


def _module_file(paths: frozenset[str], roots: list[str], module: str) -> tuple[str, bool] | None:
    """Where `module` lives in the workspace: (file, is_package), the first root wins as
    on sys.path; None for a module from elsewhere (the standard library, site-packages)."""
    rel = module.replace(".", "/")
    for root in roots:
        if f"{root}{rel}.py" in paths:
            return f"{root}{rel}.py", False
        if f"{root}{rel}/__init__.py" in paths:
            return f"{root}{rel}/__init__.py", True
    return None


def _closure(paths: frozenset[str], read: Reader, roots: list[str], modules: list[str]) -> set[str]:
    """The files of `modules`, their parent packages, and every workspace module they
    import, transitively."""
    found: set[str] = set()
    todo = list(modules)
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen or not module:
            continue
        seen.add(module)
        parts = module.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # parent packages
        hit = _module_file(paths, roots, module)
        if hit is None:
            continue
        path, is_package = hit
        found.add(path)
        todo.extend(_imports(read(path), module, is_package))
    return found


def _imports(source: bytes | None, module: str, is_package: bool) -> list[str]:
    """The modules a source file imports (also inside functions); `from x import y` may
    import the submodule x.y, so both are listed (the unknown one resolves to nothing)."""
    if source is None:
        return []
    return list(_parsed_imports(source, module, is_package))


# every run computes its charter's version: the same files, parsed again and again (an
# eval of 200 cases parsed the agent's module 200 times, 1.2 ms a run). The answer is a
# function of the bytes, so the bytes are the key: an edited file is parsed afresh.
@functools.lru_cache(maxsize=256)
def _parsed_imports(source: bytes, module: str, is_package: bool) -> tuple[str, ...]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ()  # it does not import at all; its bytes are still in the digest
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".") if is_package else module.split(".")[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join([*pkg, base] if base else pkg)
            out.append(base)
            out.extend(f"{base}.{a.name}" for a in node.names if a.name != "*" and base)
    return tuple(out)


def _command_files(paths: frozenset[str], read: Reader, argv: list[str]) -> set[str]:
    """The workspace files a command names: the same arguments agentctl/runtime/sandbox.py
    `resolve_argv` makes absolute (a later argument, or a program given with a slash)."""
    found: set[str] = set()
    for i, arg in enumerate(argv):
        if not arg or arg.startswith("-") or posixpath.isabs(arg) or (i == 0 and "/" not in arg):
            continue
        rel = posixpath.normpath(arg.replace("\\", "/"))
        if rel == ".." or rel.startswith("../"):
            continue
        if rel in paths:
            found.add(rel)
            if rel.endswith(".py"):  # a script imports from its own folder first
                folder = posixpath.dirname(rel)
                for name in _imports(read(rel), "__main__", False):
                    found |= _closure(paths, read, [folder + "/" if folder else ""], [name])
        else:
            prefix = "" if rel == "." else rel + "/"
            found.update(p for p in paths if p.startswith(prefix))
    return found
