"""pyproject.toml says what agentctl needs, no more: every runtime dependency is imported by
agentctl (or has a stated reason), the package list names packages that exist, and the
dependencies whose API moves between minors are capped."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import tomllib

from support import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())

# Declared but not imported, on purpose (pyproject.toml says why beside each one).
NOT_IMPORTED = {
    "ruamel.yaml": "plan/apply: comment-preserving edits",
    "ruamel.yaml.clib": "ruamel.yaml's C speedups",
}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0]


def _imported_top_levels() -> set[str]:
    """Top-level modules that agentctl's own code imports (not the init templates)."""
    out: set[str] = set()
    for path in (REPO / "agentctl").rglob("*.py"):
        if "data" in path.relative_to(REPO / "agentctl").parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                out.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                out.add(node.module.split(".")[0])
    return out


def test_every_runtime_dependency_is_imported_or_explained() -> None:
    provided = importlib.metadata.packages_distributions()  # top-level module → dists
    imported_dists = {
        dist.lower() for mod in _imported_top_levels() for dist in provided.get(mod, [])
    }
    unused = [
        name
        for req in PYPROJECT["project"]["dependencies"]
        if (name := _name(req)).lower() not in imported_dists and name not in NOT_IMPORTED
    ]
    assert unused == [], "runtime dependencies agentctl never imports (make them test extras?)"


def test_the_explained_exceptions_are_still_declared() -> None:
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    assert set(NOT_IMPORTED) <= declared


def test_packages_find_names_packages_that_exist() -> None:
    for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]:
        top = pattern.rstrip("*")
        assert (REPO / top / "__init__.py").is_file(), f"packages.find names {pattern!r}"


def test_typer_is_capped() -> None:
    # typer 0.x changes its bundled click between minors (cli/main.py depends on it)
    [typer] = [r for r in PYPROJECT["project"]["dependencies"] if _name(r) == "typer"]
    assert "<" in typer
