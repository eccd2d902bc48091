"""CLI start-up: `agentctl --help` and `agentctl lint --help` against a bare typer app.

The bare app is generated in a temporary folder: one typer.Typer with a callback and as
many no-op commands (and groups) as agentctl registers, each with the same name, the same
docstring and the same number of options as ours, so both sides render the same amount of
help. What is left over is agentctl's own cost: its imports, its registry, its entry point.

Both run as a fresh interpreter per call (the installed console script for ours, a
two-line launcher for the bare app; both import a module with cached bytecode), the calls
alternate so drift hits both alike, and the best of N counts. Target: within 1.15x.
"""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import Row

TARGET = 1.15
HEAVY = ("git", "jsonschema", "sqlite_utils", "cel", "pydantic")


def _agentctl() -> list[str]:
    exe = Path(sys.executable).parent / "agentctl"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "agentctl"]  # not installed: close enough, says the row


def _shape(group: Any) -> list[tuple[str, str, int, list[Any]]]:
    """(name, docstring, option count, subcommands) of each command of a typer app."""
    out: list[tuple[str, str, int, list[Any]]] = []
    for cmd in group.registered_commands:
        fn = cmd.callback
        name = cmd.name or fn.__name__.replace("_", "-")
        params = len(inspect.signature(fn).parameters)
        out.append((name, inspect.getdoc(fn) or "", params, []))
    for info in group.registered_groups:
        sub = info.typer_instance
        doc = (info.help or (sub.info.help if sub else "")) or ""
        out.append((info.name or "group", str(doc), 0, _shape(sub) if sub else []))
    return out


def _commands_src(app: str, shape: list[tuple[str, str, int, list[Any]]], depth: int) -> str:
    src = ""
    for i, (name, doc, params, subs) in enumerate(shape):
        if subs:
            sub = f"sub{depth}_{i}"
            src += f"{sub} = typer.Typer(help={doc!r})\n"
            src += _commands_src(sub, subs, depth + 1)
            src += f"{app}.add_typer({sub}, name={name!r})\n"
            continue
        args = ", ".join(
            f"o{j}: str = typer.Option(None, '--option-{j}', help='Option number {j}.')"
            for j in range(params)
        )
        src += f"@{app}.command({name!r})\ndef c{depth}_{i}({args}) -> None:\n"
        src += f"    {doc!r}\n\n"
    return src


def bare_app_source(shape: list[tuple[str, str, int, list[Any]]], callback_options: int) -> str:
    opts = ", ".join(
        f"o{j}: bool = typer.Option(False, '--flag-{j}', help='Flag number {j}.')"
        for j in range(callback_options)
    )
    return (
        "import typer\n\n"
        "app = typer.Typer(name='bare', help='A bare typer app.', no_args_is_help=True,\n"
        "                  add_completion=False, pretty_exceptions_enable=False,\n"
        "                  context_settings={'help_option_names': ['-h', '--help'],\n"
        "                                    'max_content_width': 80})\n\n"
        f"@app.callback()\ndef root({opts}) -> None:\n    'A bare typer app.'\n\n"
        + _commands_src("app", shape, 0)
        + "\ndef main() -> None:\n    app(prog_name='bare')\n"
    )


def _time(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return elapsed


def eager_heavy_imports() -> list[str]:
    """Which heavy libraries `import agentctl.cli.main` pulls in (a fresh interpreter)."""
    code = (
        f"import sys, agentctl.cli.main\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def run(scale: float) -> list[Row]:
    from agentctl.cli.main import app

    repeat = max(5, round(40 * scale))
    shape = _shape(app)
    callback = app.registered_callback
    cb_params = len(inspect.signature(callback.callback).parameters) if callback else 0
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "80"}
    bench = f"cli ({len(shape)} commands)"
    rows: list[Row] = []
    tmp = Path(tempfile.mkdtemp(prefix="agentctl-bench-cli-"))
    try:
        (tmp / "bare_cli.py").write_text(bare_app_source(shape, cb_params))
        (tmp / "launch.py").write_text("from bare_cli import main\n\nmain()\n")
        bare = [sys.executable, str(tmp / "launch.py")]
        ours = _agentctl()
        first = shape[0][0]  # `lint` while it is the first registered command
        for args in (["--help"], [first, "--help"]):
            label = " ".join(args)
            _time(ours + args, env)  # warm the bytecode caches and the OS page cache
            _time(bare + args, env)
            t_ours = t_bare = float("inf")
            for _ in range(repeat):
                t_ours = min(t_ours, _time(ours + args, env))
                t_bare = min(t_bare, _time(bare + args, env))
            ratio = t_ours / t_bare
            rows.append(Row(bench, f"agentctl {label}", f"{t_ours * 1000:.0f} ms"))
            rows.append(Row(bench, f"bare typer {label}", f"{t_bare * 1000:.0f} ms"))
            rows.append(
                Row(
                    bench,
                    f"agentctl / bare ({label})",
                    f"{ratio:.2f}x",
                    f"<= {TARGET:.2f}x",
                    ratio <= TARGET,
                )
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    heavy = eager_heavy_imports()
    rows.append(
        Row(bench, "heavy imports at start-up", " ".join(heavy) or "none", "none", not heavy)
    )
    if ours[0] == sys.executable:
        rows.append(Row(bench, "note", "agentctl not installed: timed python -m agentctl"))
    return rows
