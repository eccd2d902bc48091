"""The layer rules, read from the imports with `ast` (every import counts: top level,
inside functions, and under TYPE_CHECKING)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import agentctl

PACKAGE = Path(agentctl.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imported(node: ast.Import | ast.ImportFrom, here: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = node.module or ""
    if node.level:  # relative: resolve against this module's package
        pkg = here.split(".") if is_package else here.split(".")[:-1]
        pkg = pkg[: len(pkg) - (node.level - 1)]
        base = ".".join([*pkg, base] if base else pkg)
    # `from agentctl.render import text` imports the module agentctl.render.text
    names = [f"{base}.{a.name}" for a in node.names]
    return [n if n in modules() else base for n in names]


@cache
def imports() -> dict[str, frozenset[str]]:
    """module → every module (ours or third-party, top-level name) it imports."""
    graph = {}
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.update(_imported(node, name, path.name == "__init__.py"))
        graph[name] = frozenset(found)
    return graph


def _edges(source: str, target: str) -> list[str]:
    return sorted(
        f"{m} imports {t}"
        for m, deps in imports().items()
        if m == source or m.startswith(source + ".")
        for t in deps
        if t == target or t.startswith(target + ".")
    )


def test_the_model_does_not_import_the_loader() -> None:
    assert _edges("agentctl.model", "agentctl.workspace") == []


def test_the_engine_does_not_import_lint() -> None:
    assert _edges("agentctl.engine", "agentctl.lint") == []


def test_the_pure_core_does_not_import_the_shell() -> None:
    """The model, the engine and the diff decide; the runtime and the ledger act."""
    for core in ("agentctl.model", "agentctl.engine", "agentctl.diff"):
        for shell in ("agentctl.runtime", "agentctl.ledger", "agentctl.cli"):
            assert _edges(core, shell) == [], (core, shell)


def test_only_the_cli_imports_typer_or_rich() -> None:
    bad = [
        e
        for lib in ("typer", "rich", "click")
        for e in _edges("agentctl", lib)
        if not e.startswith("agentctl.cli.")
    ]
    assert bad == []


def test_no_import_cycles() -> None:
    ours = {m: {d for d in deps if d in modules() and d != m} for m, deps in imports().items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(ours[m]):
            if state.get(d) == 1:
                cycles.append([*stack[stack.index(d) :], d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(ours):
        if m not in state:
            visit(m)
    assert [" -> ".join(c) for c in cycles] == []


def test_the_reader_sees_every_module() -> None:
    """The rules above mean something only if the walk finds the code."""
    assert {"agentctl.cli.main", "agentctl.model.kinds", "agentctl.engine.core"} <= set(modules())
    assert "typer" in imports()["agentctl.cli.main"]
    assert "agentctl.model.kinds" in imports()["agentctl.model.jsonschema"]
