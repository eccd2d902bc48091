"""End-to-end: every tests/scenarios/<name>/ folder runs its `cmd` with the installed
agentctl in a subprocess, in a copy of its `workspace/`, and must print `expected.txt`
(README.md beside this file describes the layout)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from support import agentctl_bin

HERE = Path(__file__).resolve().parent
SCENARIOS = sorted(p.name for p in HERE.iterdir() if (p / "cmd").is_file())
UPDATE = os.environ.get("AGENTCTL_UPDATE_SCENARIOS") == "1"

# What differs from run to run, and how expected.txt writes it.
VOLATILE = [
    (re.compile(r"\b[0-9a-f]{32}\b"), "<trace-id>"),
    (re.compile(r"\b\d+\.\d+s wall time"), "<secs> wall time"),
]


def parse_cmd(text: str) -> tuple[dict[str, str], list[str]]:
    """`[VAR=value ...] agentctl ARGS...` → (env, args)."""
    words = shlex.split(text.strip())
    env: dict[str, str] = {}
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    if not words or words[0] != "agentctl":
        raise ValueError(f"a scenario's cmd runs agentctl, not {text.strip()!r}")
    return env, words[1:]


def normalise(text: str) -> str:
    for pattern, placeholder in VOLATILE:
        text = pattern.sub(placeholder, text)
    return text


def render(code: int, stdout: str, stderr: str) -> str:
    return f"exit: {code}\n--- stdout\n{normalise(stdout)}--- stderr\n{normalise(stderr)}"


def test_there_are_scenarios() -> None:
    assert {"clean-lint", "broken-reference", "run-denied", "cel-error"} <= set(SCENARIOS)


def test_parse_cmd() -> None:
    assert parse_cmd("A=1 B='x y' agentctl run c --input '{\"k\": 1}'\n") == (
        {"A": "1", "B": "x y"},
        ["run", "c", "--input", '{"k": 1}'],
    )
    with pytest.raises(ValueError, match="runs agentctl"):
        parse_cmd("rm -rf /")


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario(name: str, tmp_path: Path) -> None:
    folder = HERE / name
    ws = tmp_path / "workspace"
    shutil.copytree(folder / "workspace", ws)
    extra, args = parse_cmd((folder / "cmd").read_text())
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "80", **extra}
    r = subprocess.run(
        [agentctl_bin(), *args], cwd=ws, env=env, capture_output=True, text=True, timeout=120
    )
    got = render(r.returncode, r.stdout, r.stderr)
    expected = folder / "expected.txt"
    if UPDATE:
        expected.write_text(got)
    assert expected.exists(), f"{name}: no expected.txt (AGENTCTL_UPDATE_SCENARIOS=1 writes it)"
    assert got == expected.read_text()
    assert "Traceback" not in r.stderr
