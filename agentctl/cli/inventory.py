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

    `inventory charter/NAME` lists that charter's effective permissions: every
    operation its grants reach, with effect, scope, data classes and the grant.

    Example: agentctl inventory charters --rev main
    """
    from agentctl.cli.common import load, note
    from agentctl.errors import ExitCode, UsageError
    from agentctl.render import inventory as inv_render

    check_format(format, "inventory")
    if kind is not None and kind.startswith("charter/"):
        return _permissions(kind, workspace, rev, format)
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


def _permissions(ref: str, workspace: Path | None, rev: str | None, format: str) -> int:
    from agentctl.cli.common import load
    from agentctl.errors import ExitCode, UsageError
    from agentctl.model.permissions import CharterPermissions, effective_permissions

    ws = load(workspace, rev).workspace
    charter = ws.charter(ref)
    if charter is None:
        from agentctl.model.validate import did_you_mean

        names = sorted(c.ref for c in ws.charters)
        raise UsageError(f"no charter {ref!r}", hint=did_you_mean(ref, names) or ", ".join(names))
    report = CharterPermissions(charter.ref, effective_permissions(ws, charter.doc))
    emit(render("permissions", format, report))
    return ExitCode.OK
