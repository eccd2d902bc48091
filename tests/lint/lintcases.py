"""Broken-workspace cases: a clean base workspace plus, per case, files laid over it.

tests/lint/base/ lints cleanly. tests/lint/cases/<rule-id>[--<variant>]/ holds the files
that break it (they replace or add to the base's files) and `expect.txt`:

    # comments
    delete: agentctl.yaml                  (optional: remove a base file first)
    symlink: LINK -> TARGET                (optional: a real symlink; a missing target
                                            outside the workspace is created there)
    big: FILE BYTES                        (optional: a YAML file of comments, BYTES long:
                                            big files are made, not committed)
    FILE:LINE:COL: RULE-ID SEVERITY: MESSAGE

The expectation lines are exactly the findings of that rule, as the text renderer prints
their first line.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BASE = HERE / "base"
CASES = HERE / "cases"
TODAY = date(2026, 11, 25)
EXPECT = "expect.txt"


@dataclass(frozen=True)
class Case:
    name: str
    rule: str
    folder: Path
    deletes: tuple[str, ...]
    expected: tuple[str, ...]
    symlinks: tuple[tuple[str, str], ...] = ()
    big: tuple[tuple[str, int], ...] = ()


def rule_of(name: str) -> str:
    return name.split("--", 1)[0]


def read_case(name: str) -> Case:
    folder = CASES / name
    deletes: list[str] = []
    expected: list[str] = []
    symlinks: list[tuple[str, str]] = []
    big: list[tuple[str, int]] = []
    for raw in (folder / EXPECT).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("delete:"):
            deletes.append(line.split(":", 1)[1].strip())
        elif line.startswith("symlink:"):
            link, target = line.split(":", 1)[1].split("->")
            symlinks.append((link.strip(), target.strip()))
        elif line.startswith("big:"):
            file, size = line.split(":", 1)[1].split()
            big.append((file, int(size)))
        else:
            expected.append(line)
    return Case(
        name, rule_of(name), folder, tuple(deletes), tuple(expected), tuple(symlinks), tuple(big)
    )


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / EXPECT).is_file())


def build_case(name: str, dest: Path) -> Path:
    """Copy the base, remove what the case deletes, lay the case's files over it."""
    case = read_case(name)
    root = dest / "ws"
    shutil.copytree(BASE, root)
    for rel in case.deletes:
        (root / rel).unlink()
    for src in sorted(case.folder.rglob("*")):
        if src.is_file() and src.name != EXPECT:
            target = root / src.relative_to(case.folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
    for link, dest_text in case.symlinks:
        at = root / link
        at.parent.mkdir(parents=True, exist_ok=True)
        target = (at.parent / dest_text).resolve()
        if not target.is_relative_to(root.resolve()) and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("outside: the workspace must never read this\n")
        os.symlink(dest_text, at)
    for file, size in case.big:
        line = b"# " + b"x" * 61 + b"\n"
        (root / file).write_bytes((line * (size // len(line) + 1))[:size])
    return root


def lint_dir(root: Path, today: date = TODAY) -> Any:
    from agentctl.lint import run_lint
    from agentctl.workspace.loader import load_workspace

    result = load_workspace(root)
    return run_lint(result.workspace, result.findings, today)


def line_of(f: Any) -> str:
    return f"{f.location}: {f.code} {f.severity.value}: {f.message}"
