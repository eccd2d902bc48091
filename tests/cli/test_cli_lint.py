"""The CLI around lint, explain and help: exact messages and exit codes, colour, crashes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support import REPO, agentctl_bin, write

from agentctl.cli.main import COMMANDS
from agentctl.lint import RULES, all_rules

BASE = REPO / "tests" / "lint" / "base"
BROKEN = REPO / "tests" / "render" / "broken-workspace"
TODAY = "2026-11-25"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def warnings_only(tmp_path: Path) -> Path:
    """The clean base plus one unused connector: a warning and nothing else."""
    root = tmp_path / "ws"
    shutil.copytree(BASE, root)
    write(
        root / "charters" / "connectors" / "spare.yaml",
        "apiVersion: agentctl/v1\nkind: Connector\nmetadata:\n  name: spare\n"
        "  owner: role/ops\nspec:\n  transport: {python: a.b:c}\n"
        "  operations:\n    ping: {scope: spare.read}\n",
    )
    return root


# --- exit codes ------------------------------------------------------------------------------


def test_clean_workspace_exits_0(cli: Any) -> None:
    r = cli("lint", "-w", BASE, "--today", TODAY)
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout.endswith("No findings.\n")


def test_errors_exit_1(cli: Any) -> None:
    r = cli("lint", "-w", BROKEN, "--today", TODAY)
    assert (r.exit_code, r.stderr) == (1, "")
    assert r.stdout.endswith("16 errors, 5 warnings, 1 info\n")


def test_warnings_exit_0_unless_strict(tmp_path: Path, cli: Any) -> None:
    root = warnings_only(tmp_path)
    r = cli("lint", "-w", root, "--today", TODAY)
    assert r.exit_code == 0
    assert r.stdout.endswith("0 errors, 1 warning, 0 info\n")
    assert cli("lint", "-w", root, "--today", TODAY, "--strict").exit_code == 1


def test_info_never_fails_even_when_strict(tmp_path: Path, cli: Any) -> None:
    root = tmp_path / "ws"
    shutil.copytree(BASE, root)
    write(root / "r.yaml", "apiVersion: agentctl/v1\nkind: Role\nmetadata: {name: idle}\n")
    r = cli("lint", "-w", root, "--today", TODAY, "--strict")
    assert r.exit_code == 0
    assert "unused-role info" in r.stdout


def test_select_and_ignore(cli: Any) -> None:
    r = cli("lint", "-w", BROKEN, "--today", TODAY, "--select", "unused-role")
    assert r.exit_code == 0
    assert r.stdout.startswith("charters/more-roles.yaml:4:9: unused-role info:")
    every = cli("lint", "-w", BROKEN, "--today", TODAY, "-f", "json")
    r = cli("lint", "-w", BROKEN, "--today", TODAY, "-f", "json", "--ignore", "cel-invalid")
    assert (every.exit_code, r.exit_code) == (1, 1), r.stderr  # errors remain: findings, no crash
    codes = {f["code"] for f in json.loads(every.stdout)["findings"]}
    kept = {f["code"] for f in json.loads(r.stdout)["findings"]}
    assert "cel-invalid" in codes
    assert kept == codes - {"cel-invalid"}


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (
            ["-f", "xml"],
            "agentctl: error: unknown format 'xml'\n"
            "  hint: choose one of: text, json, sarif, github, markdown\n",
        ),
        (
            ["--select", "unknown-rol"],
            "agentctl: error: unknown rule 'unknown-rol'\n  hint: did you mean 'unknown-role'?\n",
        ),
        (
            ["--ignore", "zzz"],
            "agentctl: error: unknown rule 'zzz'\n  hint: see --list-rules\n",
        ),
        (
            ["--today", "25/11/2026"],
            "agentctl: error: --today '25/11/2026' is not a date\n  hint: write YYYY-MM-DD\n",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_message(args: list[str], stderr: str, cli: Any) -> None:
    r = cli("lint", "-w", BASE, *args)
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", stderr)


def test_missing_workspace_folder(tmp_path: Path, cli: Any) -> None:
    r = cli("lint", "-w", tmp_path / "nope")
    assert r.exit_code == 2
    assert r.stderr.startswith("agentctl: error: ")
    assert "nope" in r.stderr
    assert "Traceback" not in r.stderr


def test_no_workspace_above_the_current_folder(tmp_path: Path, cli: Any) -> None:
    r = cli("lint", cwd=tmp_path)
    assert r.exit_code == 2
    assert r.stderr == (
        f"agentctl: error: no agentctl.yaml in {tmp_path.resolve()} or any folder above it\n"
        "  hint: run 'agentctl init' to create a workspace, or pass --workspace DIR\n"
    )


def test_workspace_found_from_a_subfolder(cli: Any) -> None:
    r = cli("lint", "--today", TODAY, cwd=BASE / "charters" / "connectors")
    assert r.exit_code == 0
    assert r.stdout.startswith("Workspace base: 7 files")


def test_unknown_option_and_command_exit_2(cli: Any) -> None:
    r = cli("lint", "--bogus")
    assert r.exit_code == 2
    assert "No such option: --bogus" in r.stderr
    r = cli("lnt")
    assert r.exit_code == 2
    assert "No such command 'lnt'" in r.stderr


# --- colour ----------------------------------------------------------------------------------


def test_no_color_by_default_off_a_tty(cli: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("NO_COLOR")
    r = cli("lint", "-w", BROKEN, "--today", TODAY)
    assert not ANSI.search(r.stdout)


def test_force_color_colours_and_no_color_wins(cli: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = cli("lint", "-w", BROKEN, "--today", TODAY).stdout
    assert "\x1b[31merror\x1b[0m" in coloured
    plain = ANSI.sub("", coloured)
    assert plain == cli("--no-color", "lint", "-w", BROKEN, "--today", TODAY).stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli("lint", "-w", BROKEN, "--today", TODAY).stdout == plain


def test_machine_formats_never_colour(cli: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    for fmt in ("json", "sarif", "github", "markdown"):
        assert not ANSI.search(cli("lint", "-w", BROKEN, "--today", TODAY, "-f", fmt).stdout)


# --- unexpected errors -------------------------------------------------------------------------


def _boom(ctx: Any) -> Any:
    raise RuntimeError("rule exploded")


@pytest.fixture
def exploding_rule(monkeypatch: Any) -> None:
    all_rules()  # make sure the registry is loaded before patching it
    monkeypatch.setitem(RULES, "unused-role", replace(RULES["unused-role"], check=_boom))


def test_internal_error_prints_one_line_and_a_crash_log(
    exploding_rule: None, cli: Any, tmp_path: Path
) -> None:
    r = cli("lint", "-w", BASE)
    assert r.exit_code == 3
    first, second = r.stderr.splitlines()
    assert first == "agentctl: internal error: RuntimeError: rule exploded"
    m = re.fullmatch(
        r"  this is a bug; the traceback is in (\S+) \(or rerun with --debug\)", second
    )
    assert m, second
    log = Path(m.group(1))
    assert log.is_file()
    assert "Traceback (most recent call last)" in log.read_text()
    assert "_boom" in log.read_text()
    assert "Traceback" not in r.stderr


def test_debug_shows_the_traceback(exploding_rule: None, cli: Any) -> None:
    r = cli("--debug", "lint", "-w", BASE)
    assert r.exit_code == 3
    assert r.stderr.startswith("Traceback (most recent call last):")
    assert r.stderr.rstrip().endswith("RuntimeError: rule exploded")


def test_ctrl_c_exits_130(monkeypatch: Any, cli: Any) -> None:
    def interrupt(ctx: Any) -> Any:
        raise KeyboardInterrupt

    all_rules()
    monkeypatch.setitem(RULES, "unused-role", replace(RULES["unused-role"], check=interrupt))
    r = cli("lint", "-w", BASE)
    assert r.exit_code == 130
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr


# --- list-rules, explain, help ------------------------------------------------------------------


def test_list_rules_names_every_rule_in_80_columns(cli: Any) -> None:
    r = cli("lint", "--list-rules")
    assert r.exit_code == 0
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    for rid, rule in all_rules().items():
        line = f"{rid}  ({rule.severity.value})\n    {rule.summary.split()[0]}"
        assert line in r.stdout, rid


def test_explain_a_rule(cli: Any) -> None:
    r = cli("explain", "write-without-gate")
    assert r.exit_code == 0
    rule = all_rules()["write-without-gate"]
    assert r.stdout == (
        f"write-without-gate (error, privilege)\n\n{rule.summary}\n\n{rule.explanation}\n"
    )


@pytest.mark.parametrize("rid", sorted(all_rules()))
def test_explain_every_rule(rid: str, cli: Any) -> None:
    r = cli("explain", rid)
    assert r.exit_code == 0
    assert r.stdout.startswith(f"{rid} (")
    assert max(len(line) for line in r.stdout.splitlines()) <= 100


def test_explain_an_unknown_rule(cli: Any) -> None:
    r = cli("explain", "write-without-gates")
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == (
        "agentctl: error: unknown rule 'write-without-gates'\n"
        "  hint: did you mean 'write-without-gate'?\n"
    )


def test_help_exit_codes_publishes_the_table(cli: Any) -> None:
    r = cli("help", "exit-codes")
    assert r.exit_code == 0
    table = {
        int(m.group(1)): m.group(2) for m in re.finditer(r"^  (\d+)\s+(\S.*)$", r.stdout, re.M)
    }
    assert set(table) == {0, 1, 2, 3, 130}
    assert table[0].startswith("clean")
    assert "findings" in table[1]
    assert "usage or configuration error" in table[2]
    assert "interrupted" in table[130]
    assert "--detailed-exitcode" in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80


def test_help_unknown_topic(cli: Any) -> None:
    r = cli("help", "nope")
    assert r.exit_code == 2
    assert (
        r.stderr
        == "agentctl: error: unknown help topic 'nope'\n  hint: topics: exit-codes, cel, trace\n"
    )


def test_exit_code_constants_match_the_published_table() -> None:
    from agentctl.cli.main import INTERNAL_ERROR
    from agentctl.errors import ConfigError, ExitCode, FindingsError, GitError, UsageError

    assert (ExitCode.OK, ExitCode.FINDINGS, ExitCode.USAGE, ExitCode.INTERRUPTED) == (0, 1, 2, 130)
    assert INTERNAL_ERROR == 3
    assert UsageError.exit_code == ConfigError.exit_code == GitError.exit_code == 2
    assert FindingsError.exit_code == 1


def _registered() -> list[tuple[str, ...]]:
    """Every command and subcommand the app has: (name,) or (group, sub)."""
    import typer.main

    from agentctl.cli.main import app

    root = typer.main.get_command(app)
    out: list[tuple[str, ...]] = []
    for name, cmd in root.commands.items():  # type: ignore[attr-defined]
        out.append((name,))
        for sub in getattr(cmd, "commands", {}):
            out.append((name, sub))
    return out


def test_every_module_in_the_registry_is_a_command() -> None:
    # no command is left out silently: a module named in COMMANDS must exist
    assert {c[0] for c in _registered()} == set(COMMANDS)


def _groups() -> set[tuple[str, ...]]:
    return {c[:1] for c in _registered() if len(c) == 2}


@pytest.mark.parametrize("command", _registered(), ids=" ".join)
def test_every_command_has_help_with_an_example(command: tuple[str, ...], cli: Any) -> None:
    r = cli(*command, "--help")
    assert r.exit_code == 0, r.stderr
    text = r.stdout
    assert "Usage: agentctl " + " ".join(command) in text
    if command in _groups():  # a group lists its subcommands; each of them shows an example
        assert "Commands" in text
    else:
        assert "Example" in text, f"agentctl {' '.join(command)} --help shows no example"
    assert max(len(line) for line in text.splitlines()) <= 80


def test_root_help_and_version(cli: Any) -> None:
    from agentctl import __version__

    r = cli("--help")
    assert r.exit_code == 0
    for name in ("lint", "explain", "help"):
        assert re.search(rf"^│ {name}\s", r.stdout, re.M)
    r = cli("--version")
    assert (r.exit_code, r.stdout) == (0, f"agentctl {__version__}\n")


# --- the installed script, in a subprocess --------------------------------------------------------


def test_installed_script_end_to_end() -> None:
    broken = subprocess.run(
        [agentctl_bin(), "lint", "-w", str(BROKEN), "--today", TODAY, "-f", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert broken.returncode == 1
    assert broken.stderr == ""
    assert '"format_version"' in broken.stdout
    usage = subprocess.run(
        [agentctl_bin(), "lint", "-w", str(BASE), "-f", "xml"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert usage.returncode == 2
    assert usage.stderr.startswith("agentctl: error: unknown format 'xml'")


def test_python_dash_m_works() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "agentctl", "explain", "unused-role"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (r.returncode, r.stdout.splitlines()[0]) == (0, "unused-role (info, hygiene)")


def test_command_modules_import_no_heavy_dependency() -> None:
    heavy = {"git", "jsonschema", "sqlite_utils", "cel", "pydantic", "yaml", "ruamel", "rich"}
    code = (
        "import sys, agentctl.cli.main\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({sorted(heavy)!r})))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
