"""Loading a generated workspace of 10,000 resources (scale 1.0), against the fastest C parse.

Every side gets the same treatment: the files are generated and held in memory before any
timing (no I/O on either side), each timed call keeps its results alive until the clock
stops (a load that throws its values away is not a load), and the cyclic GC is collected
before each timed call. The parses (theirs and ours) run with the GC off: the C parse's
best case, and the state our parse runs in inside the loader. build_workspace and run_lint
run with the GC on, as the CLI calls them (build_workspace pauses it itself: loader.py).

Rows:
- the C parses: PyYAML's yaml.load_all(CSafeLoader) and ruamel.yaml's
  YAML(typ="safe", pure=False); the faster one is the baseline ("parse");
- ours with positions: yamlload.parse_bytes over every file, target parse/ours >= 0.85;
- load + validate: loader.build_workspace over an in-memory Source, target <= 1.4x parse;
- lint: lint.run_lint over the built workspace; its time and ratio to parse (no target);
- agentctl lint end to end: the files written to a temporary folder, a fresh process
  (start-up, reading, loading, lint, JSON output), best of 2; ratio to parse (no target).
"""

from __future__ import annotations

import datetime as dt
import gc
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_workspace import generate
from run import Row

FULL = 10_000
TODAY = dt.date(2026, 6, 1)  # lint judges expiry against a fixed day: same work every run


def timed(fn: Callable[[], Any], *, gc_off: bool = True) -> tuple[float, Any]:
    """Wall time of one call and its result. The GC is collected before and, unless `gc_off`
    is False (then the call runs as the CLI calls it), switched off during the call."""
    gc.collect()
    if gc_off:
        gc.disable()
    try:
        t0 = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t0
    finally:
        gc.enable()
    return elapsed, result


def best_of(fn: Callable[[], Any], repeat: int, *, gc_off: bool = True) -> tuple[float, Any]:
    """Best wall time of `repeat` calls; the last result is returned."""
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None  # the previous result is freed outside the timed window
        elapsed, result = timed(fn, gc_off=gc_off)
        best = min(best, elapsed)
    return best, result


def _pyyaml(data: list[bytes]) -> Callable[[], Any]:
    import yaml

    loader = yaml.CSafeLoader

    def run() -> Any:
        return [list(yaml.load_all(b, Loader=loader)) for b in data]

    return run


def _ruamel(data: list[bytes]) -> Callable[[], Any]:
    from ruamel.yaml import YAML

    yml = YAML(typ="safe", pure=False)

    def run() -> Any:
        return [list(yml.load_all(b)) for b in data]

    return run


def _ours(data: list[bytes]) -> Callable[[], Any]:
    from agentctl.workspace.yamlload import parse_bytes

    def run() -> Any:
        return [parse_bytes(b) for b in data]

    return run


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def run(scale: float) -> list[Row]:
    n = max(50, round(FULL * scale))
    repeat = 3 if n >= 2000 else 5
    files = generate(n)
    bench = f"load {n:,} resources"
    rows, parse = _in_memory(bench, files, n, repeat)
    # the in-memory results are gone by now: the subprocess gets the machine's memory
    t_cli = _lint_end_to_end(files, repeat=2 if n >= 2000 else 3)
    rows.append(Row(bench, "agentctl lint, end to end", _fmt(t_cli)))
    rows.append(Row(bench, "agentctl lint, end to end / parse", f"{t_cli / parse:.2f}x"))
    return rows


def _in_memory(bench: str, files: dict[str, bytes], n: int, repeat: int) -> tuple[list[Row], float]:
    from agentctl.lint import run_lint
    from agentctl.workspace.loader import LoadResult, Source, SourceFile, build_workspace

    yaml_files = {p: b for p, b in files.items() if p.endswith((".yaml", ".yml"))}
    data = list(yaml_files.values())
    size_mb = sum(map(len, data)) / 1e6
    rows = [Row(bench, "YAML files / MB", f"{len(data):,} / {size_mb:.1f}")]

    source = Source([SourceFile(p, b) for p, b in yaml_files.items()], frozenset(files))
    # (name, call, GC off?, what the result is checked for): every round runs each side
    # once, so a burst of load from elsewhere on the machine hits all sides alike.
    sides: list[tuple[str, Callable[[], Any], bool, Callable[[Any], int]]] = [
        ("PyYAML CSafeLoader", _pyyaml(data), True, lambda r: sum(len(d) for d in r)),
        ("ruamel safe (C)", _ruamel(data), True, lambda r: sum(len(d) for d in r)),
        ("ours", _ours(data), True, lambda r: sum(len(d) for d, _ in r)),
        ("build", lambda: build_workspace(source), False, lambda r: len(r.workspace.resources)),
    ]
    best: dict[str, float] = {}
    counts: dict[str, int] = {}
    failed: dict[str, str] = {}
    result: LoadResult | None = None
    for _ in range(repeat):
        for name, fn, gc_off, count in sides:
            if name in failed:
                continue
            result = None  # free the previous round's workspace outside the timed window
            try:
                elapsed, out = timed(fn, gc_off=gc_off)
            except Exception as exc:  # reported, not fatal (ruamel's C path has been fragile)
                failed[name] = f"failed: {type(exc).__name__}"
                continue
            counts[name] = count(out)
            best[name] = min(best.get(name, float("inf")), elapsed)
            if name == "build":
                result = out
            del out
    assert result is not None and counts["build"] == n, f"built {counts.get('build')} of {n}"
    docs = counts["PyYAML CSafeLoader"]
    for name in ("ruamel safe (C)", "ours"):
        assert name in failed or counts[name] == docs, f"{name} read {counts[name]} of {docs} docs"

    parses = {k: best[k] for k in ("PyYAML CSafeLoader", "ruamel safe (C)") if k in best}
    for name in ("PyYAML CSafeLoader", "ruamel safe (C)"):
        rows.append(Row(bench, f"{name} parse", failed.get(name) or _fmt(best[name])))
    parse = min(parses.values())
    t_ours, t_build = best["ours"], best["build"]
    rows.append(Row(bench, "ours with positions", _fmt(t_ours)))
    ratio = parse / t_ours
    rows.append(Row(bench, "parse / ours (speed ratio)", f"{ratio:.2f}", ">= 0.85", ratio >= 0.85))
    rows.append(Row(bench, "load + validate", _fmt(t_build)))
    ratio = t_build / parse
    rows.append(Row(bench, "load + validate / parse", f"{ratio:.2f}x", "<= 1.40x", ratio <= 1.4))

    workspace, findings = result.workspace, result.findings
    t_lint, report = best_of(lambda: run_lint(workspace, findings, TODAY), repeat, gc_off=False)
    rows.append(Row(bench, "lint (run_lint)", _fmt(t_lint)))
    rows.append(Row(bench, "lint / parse", f"{t_lint / parse:.2f}x"))
    total = t_build + t_lint
    rows.append(Row(bench, "load + validate + lint / parse", f"{total / parse:.2f}x"))
    rows.append(Row(bench, "lint findings", str(len(report.findings))))
    return rows, parse


def _lint_end_to_end(files: dict[str, bytes], repeat: int) -> float:
    """What a user waits for: a fresh `agentctl lint` over the files on disk (I/O included)."""
    exe = Path(sys.executable).parent / "agentctl"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "agentctl"]
    with tempfile.TemporaryDirectory(prefix="agentctl-bench-load-") as tmp:
        for rel, data in files.items():
            path = Path(tmp, rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        args = [*cmd, "lint", "-w", tmp, "--today", TODAY.isoformat(), "--format", "json"]
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            proc = subprocess.run(args, capture_output=True)
            best = min(best, time.perf_counter() - t0)
            if proc.returncode != 0:
                raise RuntimeError(
                    f"agentctl lint exited {proc.returncode}: {proc.stderr[-500:]!r}"
                )
    return best
