"""`agentctl init`: a new workspace with one commented example of each kind.

`scaffold()` is pure: a name and a date in, file path → text out (the templates ship in
agentctl/data/init/ with the package, so they are part of the code, not user input).
`write_files()` is the shell's one disk operation, shared with `agentctl schema --out`.

A template named `dot-X` is written as `.X` (`.gitignore`, `.github/`): setuptools' package
data globs skip dotfiles, so they would be missing from a built wheel.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import date, timedelta
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from agentctl import DEFAULT_LEDGER, __version__
from agentctl.model.types import NAME_PATTERN

SCHEMA_DIR = "schemas"  # where the new workspace keeps its JSON Schemas (see the modelines)
DEFAULT_NAME = "my-agents"
GITIGNORE = ".gitignore"  # merged into an existing one, never a clash
WORKFLOW = ".github/workflows/agentctl.yml"  # this repository runs the same (`workflow`)
DOT = "dot-"
REVIEW_AFTER = timedelta(days=90)  # a permission review each quarter
CONTRACT_FOR = timedelta(days=365)

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def slug(text: str) -> str:
    """A folder name → a valid resource name (`My Agents` → `my-agents`), or the default."""
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63].strip("-")
    return out if re.match(NAME_PATTERN, out) else DEFAULT_NAME


def templates() -> dict[str, str]:
    """The template files, workspace-relative posix path → text."""
    root = resources.files("agentctl") / "data" / "init"
    out: dict[str, str] = {}
    _collect(root, "", out)
    return dict(sorted(out.items()))


def _collect(node: Traversable, prefix: str, out: dict[str, str]) -> None:
    for child in node.iterdir():
        name = "." + child.name[len(DOT) :] if child.name.startswith(DOT) else child.name
        rel = f"{prefix}{name}"
        if child.is_dir():
            if child.name != "__pycache__":
                _collect(child, rel + "/", out)
        elif not child.name.endswith((".pyc", ".pyo")):
            out[rel] = child.read_text(encoding="utf-8")


def scaffold(name: str, today: date) -> dict[str, str]:
    """Every file of a new workspace: the commented examples, and the JSON Schemas."""
    from agentctl.model import jsonschema

    values = {
        "name": name,
        "today": today.isoformat(),
        "review_by": (today + REVIEW_AFTER).isoformat(),
        "valid_until": (today + CONTRACT_FOR).isoformat(),
        "ledger": DEFAULT_LEDGER,
        "ledger_ignores": "\n".join(ledger_ignores(DEFAULT_LEDGER)),
        "requirement": f"agentctl=={__version__}",
    }
    files = {path: _fill(path, text, values) for path, text in templates().items()}
    for fname, schema in jsonschema.all_schemas().items():
        files[f"{SCHEMA_DIR}/{fname}"] = jsonschema.dumps(schema)
    return dict(sorted(files.items()))


def workflow(requirement: str) -> str:
    """The GitHub workflow init writes, installing agentctl as `requirement`. This
    repository's own .github/workflows/agentctl.yml is `workflow(".")` (a test holds them
    equal; regenerate with `python -c 'from agentctl.scaffold import workflow;
    print(workflow("."), end="")' > .github/workflows/agentctl.yml`)."""
    return _fill(WORKFLOW, templates()[WORKFLOW], {"requirement": requirement})


def ledger_ignores(ledger: str) -> list[str]:
    """.gitignore lines for a workspace-relative ledger and the files beside it (the one
    list of them: agentctl/ledger/location.py)."""
    from agentctl.ledger.location import COMPANIONS, LOCK_KINDS, QUEUE_SUFFIX

    base = "/" + ledger.lstrip("/")
    queue = base + QUEUE_SUFFIX  # agentctl serve's intake queue, an SQLite file too
    return [
        base,
        *(base + c for c in COMPANIONS),
        *(f"{base}.{kind}-*.lock" for kind in LOCK_KINDS),
        queue,
        *(queue + c for c in COMPANIONS),
    ]


def _fill(path: str, text: str, values: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in values:  # a template bug, caught by the tests
            raise KeyError(f"{path}: unknown placeholder {{{{{key}}}}}")
        return values[key]

    return _PLACEHOLDER.sub(sub, text)


def existing(root: Path, files: dict[str, str]) -> list[str]:
    """The paths of `files` that already exist below `root` (what init must not overwrite);
    an existing .gitignore is not one: ours is merged into it (`merge_gitignore`)."""
    return [
        rel
        for rel in files
        if rel != GITIGNORE and ((root / rel).exists() or (root / rel).is_symlink())
    ]


def merge_gitignore(current: str, ours: str) -> str | None:
    """`current` with the lines of `ours` it lacks appended (comments only with their
    patterns); None when nothing is missing."""
    have = {line.strip() for line in current.splitlines()}
    block: list[str] = []
    comments: list[str] = []
    for line in ours.splitlines():
        if line.startswith("#"):
            comments.append(line)
        elif line.strip() and line.strip() not in have:
            block += [*comments, line]
            comments = []
        else:
            comments = []
    if not block:
        return None
    if current and not current.endswith("\n"):
        current += "\n"
    return current + ("\n" if current else "") + "\n".join(block) + "\n"


def write_files(root: Path, files: dict[str, str], *, overwrite: bool = False) -> list[Path]:
    """Write each file atomically (temporary file + os.replace); make folders as needed.

    Without `overwrite`, a file that appears meanwhile is not replaced (FileExistsError).
    """
    umask = os.umask(0)
    os.umask(umask)
    written: list[Path] = []
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not overwrite and target.exists():
            raise FileExistsError(str(target))
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is for secrets
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(target)
    return written
