"""Options and small helpers every command shares. Only cli/ talks to the terminal."""

from __future__ import annotations

import datetime as _dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from agentctl.errors import UsageError

if TYPE_CHECKING:
    from agentctl.workspace.loader import LoadResult

WorkspaceOpt = typer.Option(
    None,
    "--workspace",
    "-w",
    help="Workspace folder (default: the nearest one holding agentctl.yaml).",
    file_okay=False,
)
RevOpt = typer.Option(None, "--rev", help="Read the workspace at this git revision.")


def _choices(report: str | list[str]) -> list[str]:
    from agentctl.render.registry import formats

    return formats(report) if isinstance(report, str) else report


def format_option(report: str | list[str], default: str = "text") -> Any:
    """`--format`, its choices from the renderers of `report` (render/registry.py)."""
    choices = _choices(report)
    return typer.Option(default, "--format", "-f", help="Output format: " + "|".join(choices) + ".")


def check_format(value: str, report: str | list[str]) -> str:
    choices = _choices(report)
    if value not in choices:
        raise UsageError(f"unknown format {value!r}", hint="choose one of: " + ", ".join(choices))
    return value


def render(report: str, format: str, obj: Any, **options: Any) -> str:
    """`obj` rendered by the `format` renderer of `report` (colour when stdout allows)."""
    from agentctl.render.registry import renderer

    return renderer(report, check_format(format, report))(obj, color=use_color(), **options)


def use_color(stream: Any = None) -> bool:
    """Colour only on a TTY, never with NO_COLOR (https://no-color.org) or --no-color."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def workspace_root(path: Path | None) -> Path:
    from agentctl.errors import ConfigError
    from agentctl.workspace.loader import find_root

    if path is not None:
        if not path.is_dir():
            raise ConfigError(f"{path}: no such folder", hint="pass an existing workspace folder")
        return path.resolve()
    return find_root(Path.cwd())


def load(path: Path | None, rev: str | None, only: list[Path] | None = None) -> LoadResult:
    import gc

    from agentctl.workspace.loader import load_workspace

    result = load_workspace(workspace_root(path), rev, only)
    # The workspace lives as long as the command: take its millions of small objects out
    # of the cyclic GC's sight, or the next collection rescans them all (1.2 s at 10,000
    # resources, paid by lint). Refcounting still frees them.
    gc.freeze()
    return result


def today(value: str | None) -> _dt.date:
    """`--today` or the clock: the shell reads the clock so the core never does."""
    if value is None:
        return _dt.date.today()
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--today {value!r} is not a date", hint="write YYYY-MM-DD") from None


def load_for_running(root: Path, rev: str | None, doing: str) -> LoadResult:
    """The workspace for `run` and `eval`: load errors are a note on stderr, not a stop
    (the charter in question may be fine; lint names the rest)."""
    result = load(root, rev)
    errors = [f for f in result.findings if f.severity.value == "error"]
    if errors:
        note(
            f"agentctl: {len(errors)} error(s) while loading the workspace; "
            f"run 'agentctl lint' ({doing} anyway)"
        )
    return result


def ledger_file(root: Path, given: Path | None) -> Path:
    """`--ledger`, else the workspace's (ledger/location.py)."""
    if given is not None:
        return given
    from agentctl.ledger.location import ledger_path

    return ledger_path(root)


def instant(value: str) -> _dt.datetime:
    """`--now`: an RFC 3339 instant (UTC when it names no zone)."""
    try:
        got = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--now {value!r} is not an RFC 3339 instant", hint="e.g. 2026-11-25T09:30:00Z"
        ) from None
    return got if got.tzinfo is not None else got.replace(tzinfo=_dt.UTC)


def emit(text: str) -> None:
    """Data goes to stdout."""
    sys.stdout.write(text)
    if text and not text.endswith("\n"):
        sys.stdout.write("\n")
    sys.stdout.flush()


def note(text: str) -> None:
    """Progress and diagnostics go to stderr."""
    sys.stderr.write(text + "\n")


def clock() -> _dt.datetime:
    """The shell reads the clock, for commands that record (approve, deny) or judge expiry
    (approvals). Never pinned by the environment: an approval's time and an expired request
    are facts an insider must not be able to set (AGENTCTL_NOW pins only the read-only
    ledger reports, cli/ledger.py)."""
    return _dt.datetime.now(_dt.UTC)
