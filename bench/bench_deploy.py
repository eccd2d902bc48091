"""Deployments: `agentctl plan` against `agentctl lint` of the same workspace, and the
transaction that records a deployment against the raw ledger append.

Scale 1.0 = the generated 10,000-resource workspace (bench/gen_workspace.py) in a real git
repository, deployed (its versions recorded in the ledger as a deployment at its commit),
then 1% of its resources edited in the working copy. Both commands run end to end as a
fresh `agentctl` process over the same files, alternating, best of N. Target: plan within
2x of lint (plan loads the workspace, computes every version, reads the deployed commit's
workspace from git for the semantic diff of the changes, and plans).

The deployment's transaction (deploy/state.py `record`, what apply writes once its gates
and approvals pass): one `deployment` event holding every resource's version, in one
transaction, reported as resources/s beside `Ledger.append` of as many plain events in
one transaction (events/s).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gen_workspace import write
from run import Row

from agentctl.deploy.state import Desired, Position, applied, record
from agentctl.ledger import Ledger, LedgerEvent, new_span_id, new_trace_id
from agentctl.model.versions import versions
from agentctl.workspace.loader import load_workspace

TARGET = 2.0
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}
TS = "2026-03-01T09:00:00.000000Z"


def _agentctl() -> list[str]:
    exe = Path(sys.executable).parent / "agentctl"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "agentctl"]


def _git(root: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    out = subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    return out.stdout.decode().strip()


def _deployed_workspace(root: Path, n: int) -> tuple[int, int]:
    """Write, commit and deploy `n` generated resources, then edit 1% of them; (resources,
    edited)."""
    files = write(root, n)
    (root / ".gitignore").write_text("/.agentctl/\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "generated")
    head = _git(root, "rev-parse", "HEAD")
    result = load_workspace(root)
    ws = result.workspace

    def read(rel: str) -> bytes | None:
        try:
            return (root / rel).read_bytes()
        except OSError:
            return None

    deployed = versions(ws, read)
    with Ledger.open(root / ".agentctl" / "ledger.db") as led:
        record(led, "default", Desired(deployed, head), expected=Position(), ts=TS, by="bench")
    # 1% of the resources: one document each, in single-document files
    single = [p for p in files if p.startswith(("charters/", "evals/", "policies/"))]
    single = [p for p in single if b"\n---" not in files[p] and b"description: " in files[p]]
    edit = max(1, len(ws.resources) // 100)
    step = max(1, len(single) // edit)
    for rel in single[::step][:edit]:
        path = root / rel
        path.write_bytes(path.read_bytes().replace(b"description: ", b"description: Edited. ", 1))
    return len(ws.resources), edit


def _time(args: list[str], ok: tuple[int, ...]) -> float:
    env = {**os.environ, "NO_COLOR": "1", **GIT_ENV}
    t0 = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, env=env)
    took = time.perf_counter() - t0
    if proc.returncode not in ok:
        raise RuntimeError(f"{args[1]} exited {proc.returncode}: {proc.stderr.decode()[-800:]}")
    return took


def _plan_rows(n: int, repeat: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="agentctl-bench-deploy-") as tmp:
        root = Path(tmp)
        count, edited = _deployed_workspace(root, n)
        cmd = _agentctl()
        plan = [*cmd, "plan", "-w", str(root), "--format", "json", "--detailed-exitcode"]
        lint = [*cmd, "lint", "-w", str(root), "--format", "json"]
        t_plan = t_lint = float("inf")
        for _ in range(repeat):  # alternate: a noisy neighbour hurts both alike
            t_lint = min(t_lint, _time(lint, (0, 1)))
            t_plan = min(t_plan, _time(plan, (2,)))  # 2: changes present
    name = f"plan {count:,} resources, {edited} changed"
    ratio = t_plan / t_lint
    return [
        Row(name, "agentctl plan, end to end", f"{t_plan:.2f}s"),
        Row(name, "agentctl lint, end to end", f"{t_lint:.2f}s"),
        Row(name, "plan / lint", f"{ratio:.2f}x", f"<= {TARGET:.0f}x", ratio <= TARGET),
    ]


def _events(n: int) -> list[LedgerEvent]:
    trace = new_trace_id()
    return [
        LedgerEvent(
            kind="tool_call",
            trace_id=trace,
            span_id=new_span_id(),
            parent_span_id=None,
            ts=TS,
            principal="agent-01",
            principal_version="sha256:" + "ab" * 32,
            operation="inventory.lookup",
            input={"sku": i},
            output={"ok": True},
        )
        for i in range(n)
    ]


def _apply_rows(n: int, repeat: int) -> list[Row]:
    refs = {f"charter/c-{i:05d}": "sha256:" + f"{i:064x}" for i in range(n)}
    t_apply = t_raw = float("inf")
    with tempfile.TemporaryDirectory(prefix="agentctl-bench-apply-") as tmp:
        for i in range(repeat):
            with Ledger.open(Path(tmp, f"apply{i}.db")) as led:
                # an environment already deployed once, as a real apply finds it
                record(led, "prod", Desired({}, "a" * 40), expected=Position(), ts=TS, by="b")
                pos = applied(led, "prod").position
                t0 = time.perf_counter()
                record(led, "prod", Desired(refs, "b" * 40), expected=pos, ts=TS, by="b")
                t_apply = min(t_apply, time.perf_counter() - t0)
            events = _events(n)
            with Ledger.open(Path(tmp, f"raw{i}.db")) as led:
                t0 = time.perf_counter()
                led.append(events)
                t_raw = min(t_raw, time.perf_counter() - t0)
    name = f"apply {n:,} resources, one transaction"
    return [
        Row(name, "deployment recorded, resources/s", f"{n / t_apply:,.0f}"),
        Row(name, f"raw ledger append of {n:,} events/s", f"{n / t_raw:,.0f}"),
    ]


def run(scale: float) -> list[Row]:
    n = max(60, int(10_000 * scale))
    repeat = 2
    return _plan_rows(n, repeat) + _apply_rows(n, repeat)
