from __future__ import annotations

from pathlib import Path

import typer

from agentctl.cli.common import check_format, emit, format_option, note, render


def command(
    kind: str = typer.Argument(
        None,
        help="role, connector, charter, policy, contract, evalsuite, scenario, workspace, "
        "or agentctl (any document). Default: list the schemas.",
        metavar="KIND",
    ),
    out: Path = typer.Option(
        None, "--out", "-o", help="Write the schemas (or KIND's) into this folder.", file_okay=False
    ),
    check: bool = typer.Option(
        False, "--check", help="With --out: exit 1 if the files there are stale; write nothing."
    ),
    docs: bool = typer.Option(
        False, "--docs", help="Print the reference of every kind and field (Markdown)."
    ),
    format: str = format_option("schemas"),
) -> int:
    """JSON Schemas (draft-07) of the kinds, for editors and other validators.

    With KIND, print its schema (always JSON). With --out, write
    <kind>.schema.json for every kind, plus agentctl.schema.json, which accepts
    any document by its kind. Point an editor at one with a first line like
    # yaml-language-server: $schema=docs/schemas/charter.schema.json
    With --docs, print docs/kinds.md: every kind and field, with its type,
    default and description.

    Example: agentctl schema --out docs/schemas
    """
    from agentctl.errors import ExitCode, UsageError
    from agentctl.model import jsonschema as js

    check_format(format, "schemas")
    if docs:
        if kind is not None or out is not None:
            raise UsageError("--docs prints the whole reference: drop KIND and --out")
        from agentctl.model import reference

        emit(reference.render())
        return ExitCode.OK
    stem = None
    if kind is not None:
        stem = js.kind_of(kind)
        if stem is None:
            from agentctl.model.validate import did_you_mean

            raise UsageError(
                f"unknown kind {kind!r}",
                hint=did_you_mean(kind.lower(), js.kinds())
                or "choose one of: " + ", ".join(js.kinds()),
            )
    if check and out is None:
        raise UsageError("--check compares files: it needs --out DIR")
    if out is None:
        if stem is not None:
            emit(js.dumps(js.schema_for(stem)))
        else:
            from agentctl.render.topics import SchemaIndex

            emit(render("schemas", format, SchemaIndex(js.DRAFT_07, js.index())))
        return ExitCode.OK
    wanted = [stem] if stem is not None else js.kinds()
    texts = {js.filename(s): js.dumps(js.schema_for(s)) for s in wanted}
    stale = [name for name, text in texts.items() if _read(out / name) != text]
    if check:
        for name in stale:
            note(f"{out / name}: out of date (regenerate with 'agentctl schema --out {out}')")
        if not stale:
            note(f"{out}: {len(texts)} schemas up to date")
        return ExitCode.FINDINGS if stale else ExitCode.OK
    from agentctl.scaffold import write_files

    write_files(out, {name: texts[name] for name in stale}, overwrite=True)
    note(f"{out}: wrote {len(stale)} of {len(texts)} schemas ({len(texts) - len(stale)} unchanged)")
    return ExitCode.OK


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
