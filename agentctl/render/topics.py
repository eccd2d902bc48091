"""Small reports: a lint rule (`explain`), a help topic, the schema index, a new workspace
(`init`). Text for people, JSON in the envelope."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agentctl.render.envelope import envelope

if TYPE_CHECKING:
    from agentctl.lint import Rule

WIDTH = 80


def _dumps(data: dict[str, object]) -> str:
    return json.dumps(envelope(data), indent=2, ensure_ascii=False) + "\n"


def rule_text(r: Rule, *, color: bool = False) -> str:
    return f"{r.id} ({r.severity.value}, {r.category})\n\n{r.summary}\n\n{r.explanation}\n"


def rule_json(r: Rule, *, color: bool = False) -> str:
    return _dumps(
        {
            "id": r.id,
            "severity": r.severity.value,
            "category": r.category,
            "summary": r.summary,
            "explanation": r.explanation,
        }
    )


@dataclass(frozen=True)
class Topic:
    name: str
    text: str


def topic_text(t: Topic, *, color: bool = False) -> str:
    return t.text


def topic_json(t: Topic, *, color: bool = False) -> str:
    return _dumps({"topic": t.name, "text": t.text})


@dataclass(frozen=True)
class SchemaIndex:
    draft: str
    rows: list[tuple[str, str, str]]  # (name, file, description)


def schemas_text(index: SchemaIndex, *, color: bool = False) -> str:
    lines = ["Schemas (JSON Schema draft-07); print one with 'agentctl schema KIND':", ""]
    for name, _file, desc in index.rows:
        first, *rest = textwrap.wrap(desc, WIDTH - 14) or [""]
        lines.append(f"  {name:<10}  {first}")
        lines.extend(f"  {'':<10}  {r}" for r in rest)
    return "\n".join(lines) + "\n"


def schemas_json(index: SchemaIndex, *, color: bool = False) -> str:
    return _dumps(
        {
            "draft": index.draft,
            "schemas": [{"name": n, "file": f, "description": d} for n, f, d in index.rows],
        }
    )


@dataclass(frozen=True)
class Created:
    """A workspace `agentctl init` wrote."""

    name: str
    root: Path
    shown: str  # how to name the folder to the user ("this folder" or as typed)
    files: list[str]
    git: str | None = None  # what `git init` did; None: the folder was in a repository


def init_text(c: Created, *, color: bool = False) -> str:
    go = "" if c.shown == "this folder" else f"cd {c.shown} && "
    git = f"Git: {c.git}.\n" if c.git else ""
    return (
        f"Created workspace {c.name!r} in {c.shown}: {len(c.files)} files.\n{git}"
        f"Next: {go}agentctl lint && agentctl inventory\n"
    )


def init_json(c: Created, *, color: bool = False) -> str:
    return json.dumps(
        envelope({"name": c.name, "root": str(c.root), "files": sorted(c.files), "git": c.git}),
        indent=2,
    )
