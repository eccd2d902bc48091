from __future__ import annotations

from pathlib import Path

import typer

from agentctl.cli.common import format_option


def command(
    directory: Path = typer.Argument(
        Path("."),
        help="Where to create the workspace (created if missing).",
        file_okay=False,
        metavar="DIR",
    ),
    name: str = typer.Option(
        None, "--name", "-n", help="The workspace's name (default: from the folder name)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite files that already exist."),
    format: str = format_option("init"),
) -> int:
    """Create a workspace with one commented example of each kind, ready to lint.

    Writes agentctl.yaml, two roles, a connector with a recorded fixture, two
    charters and their Python code, a policy, a contract, an eval suite, a
    scenario with its events, the JSON Schemas (schemas/) that the files'
    modelines point at, a .gitignore that keeps the ledger out of git (merged
    into an existing one), and a GitHub Actions workflow
    (.github/workflows/agentctl.yml). Runs `git init` when the folder is not in
    a git repository. Existing files are never overwritten without --force.

    Example: agentctl init support-agents && cd support-agents && agentctl lint
    """
    import re

    from agentctl.cli.common import today
    from agentctl.errors import ExitCode, UsageError
    from agentctl.model.types import NAME_PATTERN
    from agentctl.scaffold import GITIGNORE, existing, merge_gitignore, scaffold, slug, write_files

    root = directory.resolve()
    if name is None:
        name = slug(root.name)
    elif not re.match(NAME_PATTERN, name):
        raise UsageError(
            f"--name {name!r} is not a valid name",
            hint=f"use lowercase letters, digits and '-', e.g. {slug(name)!r}",
        )
    from agentctl.cli.common import check_format, emit, note, render
    from agentctl.render.topics import Created

    check_format(format, "init")
    files = scaffold(name, today(None))
    clash = existing(root, files)
    if clash and not force:
        some = ", ".join(clash[:5]) + (f" and {len(clash) - 5} more" if len(clash) > 5 else "")
        raise UsageError(
            f"{directory}: {len(clash)} of the files to create already exist: {some}",
            hint="pass --force to overwrite them, or choose an empty folder",
        )
    listed = list(files)
    ignore = {GITIGNORE: files.pop(GITIGNORE)}
    current = root / GITIGNORE
    if current.is_file() and not current.is_symlink():
        merged = merge_gitignore(current.read_text(encoding="utf-8"), ignore[GITIGNORE])
        ignore = {} if merged is None else {GITIGNORE: merged}
    write_files(root, files, overwrite=force)
    write_files(root, ignore, overwrite=True)  # the user's lines kept, ours appended
    shown = "this folder" if root == Path.cwd().resolve() else str(directory)
    repo = _git_init(root)
    out = render("init", format, Created(name, root, shown, listed, repo))
    if format == "json":
        emit(out)
    else:  # what was done is a diagnostic; stdout stays empty for the text format
        note(out.rstrip("\n"))
    return ExitCode.OK


def _git_init(root: Path) -> str | None:
    """`git init` in `root` unless it is in a git repository already: what happened, for
    the summary (None: `root` is the top of a repository already)."""
    import subprocess

    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if top.returncode == 0 and top.stdout.strip():
            return _in_repository(root, Path(top.stdout.strip()))
        # branch main: the one the workflow deploys from (git before 2.28 has no -b)
        for argv in (["git", "init", "-q", "-b", "main"], ["git", "init", "-q"]):
            made = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=30)
            if made.returncode == 0:
                break
    except (OSError, subprocess.SubprocessError) as exc:
        return f"not a git repository, and git init failed ({exc}): run it yourself"
    if made.returncode != 0:
        return f"not a git repository, and git init failed: {made.stderr.strip()}"
    return "initialized an empty git repository (it was in none)"


def _in_repository(root: Path, top: Path) -> str | None:
    """GitHub reads workflows only at the repository's root: say where this one belongs."""
    try:
        rel = root.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        return None
    if rel == ".":
        return None
    return (
        f"the workspace is in the repository at {top}; GitHub reads workflows only there: "
        f"move .github/workflows/agentctl.yml to {top}/.github/workflows/ and set its "
        f"defaults.run.working-directory to {rel}"
    )
