from __future__ import annotations

from pathlib import Path

import typer

from agentctl.cli.common import check_format, emit, format_option, note

FORMATS = ["text", "json"]


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
    format: str = format_option(FORMATS),
) -> int:
    """JSON Schemas (draft-07) of the kinds, for editors and other validators.

    With KIND, print its schema (always JSON). With --out, write
    <kind>.schema.json for every kind, plus agentctl.schema.json, which accepts
    any document by its kind. Point an editor at one with a first line like
    # yaml-language-server: $schema=docs/schemas/charter.schema.json

    Example: agentctl schema --out docs/schemas
    """
    from agentctl.errors import ExitCode, UsageError
    from agentctl.model import jsonschema as js

    check_format(format, FORMATS)
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
            emit(_index_json() if format == "json" else _index_text())
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


def _index_text() -> str:
    import textwrap

    from agentctl.model import jsonschema as js

    lines = ["Schemas (JSON Schema draft-07); print one with 'agentctl schema KIND':", ""]
    for name, _file, desc in js.index():
        first, *rest = textwrap.wrap(desc, 80 - 14) or [""]
        lines.append(f"  {name:<10}  {first}")
        lines.extend(f"  {'':<10}  {r}" for r in rest)
    return "\n".join(lines) + "\n"


def _index_json() -> str:
    import json

    from agentctl.model import jsonschema as js
    from agentctl.render.envelope import envelope

    data = envelope(
        {
            "draft": js.DRAFT_07,
            "schemas": [
                {"name": name, "file": file, "description": desc} for name, file, desc in js.index()
            ],
        }
    )
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
