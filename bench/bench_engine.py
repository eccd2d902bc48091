"""The policy engine: events/s through 20 policies, the ratio to a floor, memory.

Scale 1.0 = 1,000,000 events; each event matches 5 of the 20 policies by `on:`; 5 of the
20 policies are judged per key (region/sku: up to 4,000 keys each).
The floor, measured in the same run on the same file: read the lines, parse each with
orjson, and evaluate the same 5 conditions and the keys of the keyed ones (compiled once,
Rust CEL) against one prepared context per event. The engine's run is the whole
`simulate` pipeline: stream reading, parsing with validation, the engine (keys, for:,
cooldown, bounds, budgets, inputs, approvals) and the report. Peak RSS is measured in
fresh subprocesses at 10% and 100% of the stream: it should stay flat.
"""

from __future__ import annotations

import gc
import itertools
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import Row

N_POLICIES = 20
N_TYPES = 8  # each policy watches 2 types: 20 * 2 / 8 = 5 policies per event
TARGET = 2.0


def _conditions() -> list[str]:
    shapes = [
        "event.data.value > 0.995 && metrics.m{m} > 0.2",
        "metrics.m{m} > 0.97 && event.data.qty > 2",
        "event.data.region == 'r{m}' && event.data.value > 0.99",
        "has(event.data.flag) && event.data.flag && metrics.m{m} > 0.9",
        "event.data.qty * event.data.value > 9.9",
    ]
    return [shapes[i % len(shapes)].format(m=i % 4) for i in range(N_POLICIES)]


def _key(i: int) -> str | None:
    return "event.data.region + '/' + event.data.sku" if i % 4 == 1 else None


def _types(i: int) -> list[str]:
    return [f"t{i % N_TYPES}", f"t{(i + 4) % N_TYPES}"]


def _workspace():  # type: ignore[no-untyped-def]
    from agentctl.workspace.loader import Source, SourceFile, build_workspace

    docs = [
        "apiVersion: agentctl/v1\nkind: Workspace\nmetadata: {name: bench}\n",
        "apiVersion: agentctl/v1\nkind: Role\nmetadata: {name: lead}\n"
        "spec: {approves: {max_usd: 50}, reports_to: role/boss}\n",
        "apiVersion: agentctl/v1\nkind: Role\nmetadata: {name: boss}\n"
        "spec: {approves: {max_usd: 100000}}\n",
        "apiVersion: agentctl/v1\nkind: Charter\nmetadata: {name: agent, owner: role/lead}\n"
        "spec: {scope: x, runtime: {python: 'a.b:c'}, budget: {per_run: {usd: 0.25}}}\n",
    ]
    for i, cond in enumerate(_conditions()):
        spec = {
            "on": _types(i),
            "condition": cond,
            "key": _key(i),
            "for": "10m" if i % 3 == 0 else None,
            "cooldown": "30m" if i % 2 == 0 else None,
            "actions": [
                {
                    "invoke": "charter/agent",
                    "input": {"qty": "event.data.qty", "region": "event.data.region"},
                    "value_usd": "event.data.value * 100",
                }
            ],
            "bounds": {"max_per_day": 50},
            "budget": {"per_day_usd": 10},
            "approvals": [{"when": "plan.value_usd > 99.0", "require": "role/lead"}],
        }
        spec = {k: v for k, v in spec.items() if v is not None}
        doc = {
            "apiVersion": "agentctl/v1",
            "kind": "Policy",
            "metadata": {"name": f"p{i:02d}", "owner": "role/lead"},
            "spec": spec,
        }
        docs.append(json.dumps(doc))
    files = [SourceFile("agentctl.yaml", docs[0].encode())]
    files += [SourceFile(f"d{i}.yaml", d.encode()) for i, d in enumerate(docs[1:])]
    result = build_workspace(Source(files, frozenset(f.path for f in files)))
    assert not [f for f in result.findings if f.severity.value == "error"], result.findings
    return result.workspace


def _generate(path: Path, n: int) -> None:
    rnd = random.Random(5)
    t0 = 1_772_323_200  # 2026-03-01T00:00:00Z
    with path.open("wb") as fh:
        buf = []
        for i in range(n):
            ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + i * 2))
            ev: dict[str, object] = {
                "ts": ts,
                "type": f"t{rnd.randrange(N_TYPES)}",
                "data": {
                    "value": round(rnd.random(), 4),
                    "qty": rnd.randint(1, 9),
                    "region": f"r{rnd.randrange(4)}",
                    "flag": rnd.random() < 0.05,
                    "sku": f"s{rnd.randrange(1000)}",
                },
            }
            if i % 4 == 0:
                ev["metrics"] = {f"m{rnd.randrange(4)}": round(rnd.random(), 4)}
            buf.append(json.dumps(ev, separators=(",", ":")))
            if len(buf) == 10_000:
                fh.write(("\n".join(buf) + "\n").encode())
                buf = []
        if buf:
            fh.write(("\n".join(buf) + "\n").encode())


def _floor(path: Path, limit: int) -> float:
    import orjson

    from agentctl import expr

    cel = expr._module()
    by_type: dict[str, list[object]] = {}
    for i, cond in enumerate(_conditions()):
        key = _key(i)
        progs = [expr.compile(cond).program]
        if key is not None:
            progs.insert(0, expr.compile(key).program)
        for t in _types(i):
            by_type.setdefault(t, []).extend(progs)
    functions = dict(expr.FUNCTIONS)
    gc.collect()
    start = time.perf_counter()
    with path.open("rb") as fh:
        for line in itertools.islice(fh, limit):
            ev = orjson.loads(line)
            ctx = cel.Context({"event": ev, "metrics": ev.get("metrics") or {}}, functions)
            for prog in by_type[ev["type"]]:
                try:  # noqa: SIM105 - cheaper than contextlib.suppress in the loop
                    prog.execute(ctx)  # type: ignore[attr-defined]
                except Exception:  # a missing metric: the same work, then an error
                    pass
    return time.perf_counter() - start


def _engine(path: Path, limit: int) -> tuple[float, int, int]:
    from agentctl.simulate import simulate
    from agentctl.simulate.stream import read_events

    ws = _workspace()
    gc.collect()
    start = time.perf_counter()
    items = itertools.islice(read_events(path), limit)
    run = simulate(ws, items, title="bench", events_file=path.name)
    elapsed = time.perf_counter() - start
    return elapsed, run.events, run.decisions


def _rss(path: Path, limit: int) -> float:
    """Peak RSS (MiB) of a fresh process simulating the first `limit` events."""
    code = (
        "import resource, sys; sys.path.insert(0, sys.argv[1]);"
        "import bench_engine as b; from pathlib import Path;"
        "b._engine(Path(sys.argv[2]), int(sys.argv[3]));"
        # VmHWM: this process's own peak (ru_maxrss keeps the forking parent's across exec)
        "import re; print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])"
    )
    here = str(Path(__file__).resolve().parent)
    out = subprocess.run(
        [sys.executable, "-c", code, here, str(path), str(limit)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out.strip().splitlines()[-1]) / 1024  # Linux: KiB


def run(scale: float) -> list[Row]:
    n = max(2_000, int(1_000_000 * scale))
    small = max(1_000, n // 10)
    label = f"engine {n:,} events x 20 policies"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        _generate(path, n)
        floor = _floor(path, n)
        engine, events, decisions = _engine(path, n)
        ratio = engine / floor
        rss_small = _rss(path, small)
        rss_full = _rss(path, n)
    growth = rss_full / rss_small
    return [
        Row(label, "engine events/s", f"{events / engine:,.0f}"),
        Row(label, "floor events/s (orjson + CEL)", f"{n / floor:,.0f}"),
        Row(label, "decisions", f"{decisions:,}"),
        Row(label, "engine / floor", f"{ratio:.2f}x", f"<= {TARGET:.1f}x", ratio <= TARGET),
        Row(label, f"peak RSS at {small:,} events", f"{rss_small:.0f} MiB"),
        Row(label, f"peak RSS at {n:,} events", f"{rss_full:.0f} MiB"),
        Row(label, "RSS growth (flat memory)", f"{growth:.2f}x", "<= 1.25x", growth <= 1.25),
    ]
