from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from agentctl.cli.common import RevOpt, WorkspaceOpt, check_format, emit, format_option, use_color

FORMATS = ["text", "json"]


def command(
    kind: str = typer.Argument(
        None,
        help="Only this kind: role, connector, charter, policy, contract, suite, scenario.",
        metavar="KIND",
    ),
    workspace: Path = WorkspaceOpt,
    rev: str = RevOpt,
    format: str = format_option(FORMATS),
) -> int:
    """What the workspace holds: per kind, name, owner, file:line and a key fact.

    Charters show their runtime, granted scopes and budget per run; policies the
    events they watch and how long a condition must hold; contracts consumer and
    provider; eval suites the charter they test and their number of cases.

    Example: agentctl inventory charters --rev main
    """
    from agentctl.cli.common import load, note, workspace_root
    from agentctl.errors import ExitCode, UsageError
    from agentctl.render import inventory as inv_render

    check_format(format, FORMATS)
    kinds = None
    if kind is not None:
        named = inv_render.kind_named(kind)
        if named is None:
            from agentctl.model.validate import did_you_mean

            options = [k.lower() for k in inv_render.ORDER]
            raise UsageError(
                f"unknown kind {kind!r}",
                hint=did_you_mean(kind.lower(), options) or "choose one of: " + ", ".join(options),
            )
        kinds = [named]
    root = workspace_root(workspace)
    result = load(root, rev)
    ws = result.workspace
    errors = sum(1 for f in result.findings if f.severity.value == "error")
    counts = _case_counts(root, ws, rev)
    report = inv_render.build(ws, kinds=kinds, case_counts=counts, load_errors=errors)
    if format == "json":
        emit(inv_render.render_json(report))
    else:
        emit(inv_render.render_text(report, color=use_color()))
    if errors:
        note(
            f"agentctl: {errors} load error(s): some documents are not listed; run 'agentctl lint'"
        )
    return ExitCode.OK


def _case_counts(root: Path, ws: Any, rev: str | None) -> dict[str, int | None]:
    """How many cases each suite's cases_file holds (JSONL: one case a non-blank line)."""
    import posixpath

    counts: dict[str, int | None] = {}
    reader = _git_reader(root, rev) if rev else None
    for res in ws.suites:
        rel = res.doc.spec.cases_file
        if not rel:
            continue
        path = posixpath.normpath(posixpath.join(posixpath.dirname(res.file), rel))
        try:
            data = reader(path) if reader else (root / path).read_bytes()
        except (OSError, KeyError):
            counts[res.name] = None
            continue
        text = data.decode("utf-8", errors="replace")
        counts[res.name] = sum(
            1 for line in text.splitlines() if line.strip() and not line.lstrip().startswith("//")
        )
    return counts


def _git_reader(root: Path, rev: str) -> Any:
    import git  # lazy: gitpython is slow to import

    repo = git.Repo(root, search_parent_directories=True)
    tree = repo.commit(rev).tree
    prefix = root.resolve().relative_to(Path(repo.working_tree_dir or root).resolve()).as_posix()
    prefix = "" if prefix == "." else prefix + "/"

    def read(path: str) -> bytes:
        blob = tree / (prefix + path)
        data: bytes = blob.data_stream.read()
        return data

    return read
