"""The entry point: dispatch to one module per command, and the one place errors become exits.

Command modules import only typer and the standard library at import time; each imports
the core inside its function, so `agentctl --help` stays as fast as a bare typer app.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import typer

from agentctl import __version__
from agentctl.errors import AgentctlError, ExitCode, FindingsError

# name → module. A module exposes `command` (a function) or `app` (a typer group).
COMMANDS: dict[str, str] = {
    "lint": "agentctl.cli.lint",
    "inventory": "agentctl.cli.inventory",
    "explain": "agentctl.cli.explain",
    "schema": "agentctl.cli.schema",
    "init": "agentctl.cli.init",
    "help": "agentctl.cli.help",
    "run": "agentctl.cli.run",
    "ledger": "agentctl.cli.ledger",
    "simulate": "agentctl.cli.simulate",
    "diff": "agentctl.cli.diff",
    "eval": "agentctl.cli.eval",
    "plan": "agentctl.cli.plan",
    "approve": "agentctl.cli.approve",
    "deny": "agentctl.cli.deny",
    "approvals": "agentctl.cli.approvals",
    "apply": "agentctl.cli.apply",
    "rollback": "agentctl.cli.rollback",
    "force-unlock": "agentctl.cli.force_unlock",
    "pause": "agentctl.cli.pause",
    "resume": "agentctl.cli.pause:resume",
    "status": "agentctl.cli.status",
    "serve": "agentctl.cli.serve",
    "tasks": "agentctl.cli.tasks",
}

INTERNAL_ERROR = 3
TAGLINE = "Governance of AI agents as code in git: lint, diff, eval, plan, run, serve, ledger."

# The usage-error base class of the click that typer runs on: typer >= 0.2x vendors its own
# copy (typer._click), older typers use click itself. Importing `click` would both load a
# second click at every start-up and miss the vendored copy's errors (exit 3, not 2).
_CLICK_ERROR: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

app = typer.Typer(
    name="agentctl",
    help=TAGLINE,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 80},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"agentctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for unexpected errors."),
    no_color: bool = typer.Option(False, "--no-color", help="Never colour the output."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """The global options (the help text is TAGLINE)."""
    if no_color:
        os.environ["NO_COLOR"] = "1"


def _register() -> None:
    for name, target in COMMANDS.items():
        module_name, _, function = target.partition(":")  # "module:function" shares a module
        module = importlib.import_module(module_name)
        group = getattr(module, "app", None)
        if group is not None and not function:
            app.add_typer(group, name=name)
        else:
            app.command(name)(getattr(module, function or "command"))


_register()


def _crash_log(text: str) -> Path:
    import tempfile  # lazy: only a crash needs it, and every start-up would pay for it

    folder = Path(os.environ.get("AGENTCTL_CRASH_DIR") or tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="agentctl-crash-", suffix=".log", dir=folder)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    return Path(name)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI with `argv` and return the exit code (what tests and other programs call)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        result = app(args=args, prog_name="agentctl", standalone_mode=False)
    except AgentctlError as exc:
        if isinstance(exc, FindingsError) and exc.findings:
            _print_findings(exc)
        _print_error(exc.message, exc.hint)
        return exc.exit_code
    except typer.Exit as exc:
        code = int(exc.exit_code or 0)
        if code == ExitCode.INTERRUPTED:  # typer turns Ctrl-C into a silent Exit(130)
            sys.stderr.write("interrupted\n")
        return code
    except typer.Abort:
        sys.stderr.write("interrupted\n")
        return ExitCode.INTERRUPTED
    except _CLICK_ERROR as exc:
        exc.show()
        return ExitCode.USAGE
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`agentctl ... | head`): not an error of ours
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep Python quiet at exit
        return ExitCode.OK
    except Exception:
        text = traceback.format_exc()
        if debug:
            sys.stderr.write(text)
        else:
            log = _crash_log(text)
            first = text.strip().splitlines()[-1]
            sys.stderr.write(
                f"agentctl: internal error: {first}\n"
                f"  this is a bug; the traceback is in {log} (or rerun with --debug)\n"
            )
        return INTERNAL_ERROR
    if isinstance(result, int):
        return result
    return ExitCode.OK


def _print_findings(exc: FindingsError) -> None:
    """What stopped the command, file:line:col each, before the one-line reason."""
    from agentctl.cli.common import use_color
    from agentctl.findings import sort_findings
    from agentctl.render.text import render_findings

    sys.stderr.write(render_findings(sort_findings(exc.findings), color=use_color(sys.stderr)))


def _print_error(message: str, hint: str | None) -> None:
    sys.stderr.write(f"agentctl: error: {message}\n")
    if hint:
        sys.stderr.write(f"  hint: {hint}\n")


def main() -> None:
    sys.exit(run())
