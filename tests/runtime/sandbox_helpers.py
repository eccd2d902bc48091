"""Helpers for the tests of confined agent processes: find an agent's processes by a token
in their command line, and wait (bounded) until they are gone."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from agentctl.runtime.sandbox import probe

HAS_BWRAP = probe(os.environ).path is not None
needs_bwrap = pytest.mark.skipif(not HAS_BWRAP, reason="bubblewrap does not work here")
NO_BWRAP = {"AGENTCTL_BWRAP": "/nonexistent/bwrap"}
# every test runs once with the sandbox (where it works) and once without
MODES = [
    pytest.param({}, id="bwrap", marks=needs_bwrap),
    pytest.param(NO_BWRAP, id="no-bwrap"),
]


def token() -> str:
    return "agentctl-test-" + uuid.uuid4().hex


def procs_with(tok: str) -> list[int]:
    """Live processes whose command line holds `tok` (zombies have none)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        if tok.encode() in cmd:
            found.append(int(d.name))
    return found


def wait_until(cond: Any, limit: float = 60.0) -> bool:
    """Poll `cond()` until true or `limit` seconds: a bound for a busy machine, never a
    measurement."""
    end = time.monotonic() + limit
    while not cond():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def gone(tok: str) -> bool:
    return wait_until(lambda: not procs_with(tok))


# A command agent: spawns a grandchild that would live 600 s (its command line holds the
# token), then does what argv[2] says.
HOSTILE = """\
import json, os, subprocess, sys, time

tok, mode = sys.argv[1], sys.argv[2]
start = json.loads(sys.stdin.readline())
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", tok])

def send(obj):
    sys.stdout.write(json.dumps(obj) + "\\n")
    sys.stdout.flush()

if mode == "output":
    send({"type": "output", "output": {"done": True}})
elif mode == "sleep":
    time.sleep(600)
elif mode == "logs":
    while True:
        send({"type": "log", "message": "still busy"})
        time.sleep(0.01)
elif mode == "flood":
    while True:
        send({"type": "log", "message": "x" * 1000})
elif mode == "partial":
    while True:
        sys.stdout.write("x")
        sys.stdout.flush()
        time.sleep(0.01)
elif mode == "huge":
    sys.stdout.write("x" * (3 << 20))
    sys.stdout.flush()
    time.sleep(600)
elif mode == "probe":
    led = start["input"]["ledger"]
    report = {"cwd": os.getcwd(), "env": dict(os.environ)}
    attacks = [] if not start["input"].get("attack") else [
        ("read", lambda: open(led, "rb").read(16)),
        ("write", lambda: open(led, "ab").write(b"x")),
        ("plant", lambda: __import__("sqlite3").connect(led).execute(
            "CREATE TRIGGER t BEFORE INSERT ON events BEGIN SELECT RAISE(IGNORE); END")),
        ("workspace", lambda: open(start["input"]["root"] + "/planted", "w").write("x")),
        ("ledger_dir", lambda: open(os.path.dirname(led) + "/planted", "w").write("x")),
    ]
    for name, attempt in attacks:
        try:
            got = attempt()
            report[name] = "ok" if got != b"" else "empty"
        except Exception as exc:
            report[name] = type(exc).__name__
    send({"type": "output", "output": report})
"""
