"""bench/bench_engine.py still runs and says something (at a tiny scale)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_bench_engine_rows() -> None:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    bench = importlib.import_module("bench_engine")
    rows = bench.run(0.002)
    metrics = {r.metric: r for r in rows}
    assert metrics["engine / floor"].target == "<= 2.0x"
    assert metrics["engine / floor"].ok in (True, False)
    assert int(metrics["decisions"].value.replace(",", "")) > 0
    assert metrics["RSS growth (flat memory)"].value.endswith("x")


def test_bench_workspace_is_what_the_bench_claims() -> None:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    bench = importlib.import_module("bench_engine")
    ws = bench._workspace()
    assert len(ws.policies) == 20
    watchers = {f"t{i}": 0 for i in range(bench.N_TYPES)}
    for p in ws.policies:
        for t in p.doc.spec.on:
            watchers[t] += 1
    assert set(watchers.values()) == {5}  # every event matches 5 policies by on:
