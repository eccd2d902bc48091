from __future__ import annotations

from pathlib import Path

import typer

from agentctl.cli.common import RevOpt, WorkspaceOpt, check_format, emit, format_option, render


def command(
    kind: str = typer.Argument(
        None,
        help="Only this kind: role, connector, charter, policy, contract, suite, scenario.",
        metavar="KIND",
    ),
    workspace: Path = WorkspaceOpt,
    rev: str = RevOpt,
    format: str = format_option("inventory"),
) -> int:
    """What the workspace holds: per kind, name, owner, file:line and a key fact.

    Charters show their runtime, granted scopes and budget per run; policies the
    events they watch and how long a condition must hold; contracts consumer and
    provider; eval suites the charter they test and their number of cases.

    Example: agentctl inventory charters --rev main
    """
    from agentctl.cli.common import load, note
    from agentctl.errors import ExitCode, UsageError
    from agentctl.render import inventory as inv_render

    check_format(format, "inventory")
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
    result = load(workspace, rev)
    errors = sum(1 for f in result.findings if f.severity.value == "error")
    report = inv_render.build(result.workspace, kinds=kinds, load_errors=errors)
    emit(render("inventory", format, report))
    if errors:
        note(
            f"agentctl: {errors} error(s) while loading: entries may be missing or incomplete;"
            " run 'agentctl lint'"
        )
    return ExitCode.OK
