"""`agentctl diff` on the generated workspace: 10,000 resources (scale 1.0), 1% changed
between two commits of a real git repository.

Rows: `agentctl diff BASE HEAD` end to end (a fresh process: start-up, both revisions read
from git, the semantic diff, effective permissions of every charter on both sides, JSON
output) against loading one revision the same way (`agentctl lint --rev HEAD`), target
<= 2x; and `git diff --stat` of the same two commits beside them, for scale.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_workspace import write
from run import Row

FULL = 10_000
TARGET = 2.0
USD = re.compile(rb"per_run: \{usd: ([0-9.]+)")


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def _best(cmd: list[str], cwd: Path, repeat: int = 2) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
        best = min(best, time.perf_counter() - t0)
    return best


def run(scale: float) -> list[Row]:
    n = max(200, int(FULL * scale))
    label = f"diff {n:,} resources, 1% changed"
    agentctl = str(Path(sys.executable).with_name("agentctl"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = write(root, n)
        _git(root, "init", "-q", "-b", "main")
        _git(root, "add", "-A")
        _git(root, "commit", "-qm", "base")
        charters = sorted(p for p, data in files.items() if USD.search(data))
        changed = charters[: max(1, n // 100)]
        for rel in changed:
            path = root / rel
            path.write_bytes(
                USD.sub(
                    lambda m: b"per_run: {usd: " + m.group(1) + b"5", path.read_bytes(), count=1
                )
            )
        _git(root, "commit", "-qam", "raise budgets")
        diff = _best([agentctl, "diff", "HEAD~1", "HEAD", "--format", "json"], root)
        lint = _best([agentctl, "lint", "--rev", "HEAD", "--format", "json"], root)
        git = _best(["git", "diff", "--stat", "HEAD~1", "HEAD"], root)
        check = subprocess.run(
            [agentctl, "diff", "HEAD~1", "HEAD", "--format", "json"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        found = check.stdout.count('"action": "update"')
    ratio = diff / lint
    return [
        Row(label, "changed files / resources reported", f"{len(changed)} / {found}"),
        Row(label, "agentctl diff, end to end", f"{diff * 1000:.0f} ms"),
        Row(label, "agentctl lint --rev HEAD, end to end", f"{lint * 1000:.0f} ms"),
        Row(label, "diff / lint --rev", f"{ratio:.2f}x", f"<= {TARGET:.1f}x", ratio <= TARGET),
        Row(label, "git diff --stat", f"{git * 1000:.0f} ms"),
    ]
