"""The benches still run and say something: each bench at a tiny scale gives well-formed
rows, the generated workspace is valid and lint-clean, and start-up stays lean."""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agentctl.workspace.loader import Source, SourceFile, build_workspace

BENCH = Path(__file__).resolve().parents[2] / "bench"
HEAVY = ("git", "jsonschema", "sqlite_utils", "cel", "pydantic")


def _bench(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


def _source(files: dict[str, bytes]) -> Source:
    yaml = [SourceFile(p, b) for p, b in files.items() if p.endswith((".yaml", ".yml"))]
    return Source(yaml, frozenset(files))


def check_rows(rows: list[Any], bench: str) -> None:
    row_type = _bench("run").Row
    assert rows, f"{bench} returned no rows"
    for r in rows:
        assert isinstance(r, row_type)
        assert r.bench and r.metric and r.value, r
        assert r.ok in (True, False, None), r
        # a row with a target says whether it met it; a row without one does not
        assert (r.target == "") == (r.ok is None), r
    table = _bench("run").table(rows)
    assert all(len(line) == len(table.splitlines()[0]) for line in table.splitlines())


# --- the generator -------------------------------------------------------------------


def test_generator_is_deterministic_and_seeded() -> None:
    gen = _bench("gen_workspace")
    a, b, c = gen.generate(120), gen.generate(120), gen.generate(120, seed=8)
    assert a == b
    assert a != c
    assert list(a) == sorted(a)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(min_value=8, max_value=400), seed=st.integers(0, 2**32))
@example(n=317, seed=945)  # a connector no charter drew (unused-connector)
def test_generated_workspace_is_valid_and_lint_clean(n: int, seed: int) -> None:
    from agentctl.lint import run_lint

    files = _bench("gen_workspace").generate(n, seed)
    result = build_workspace(_source(files))
    assert result.findings == []
    assert len(result.workspace.resources) == n
    report = run_lint(result.workspace, result.findings, dt.date(2026, 6, 1))
    assert [f for f in report.findings if f.severity.value != "info"] == []


def test_generated_mix_has_every_kind_and_realistic_sizes() -> None:
    files = _bench("gen_workspace").generate(1000)
    ws = build_workspace(_source(files)).workspace
    summary = ws.summary()
    assert set(summary) == {"Role", "Connector", "Charter", "EvalSuite", "Policy", "Contract"}
    assert sum(summary.values()) == 1000
    docs_in = Counter(r.file for r in ws.resources)
    sizes = {
        kind: sum(len(files[r.file]) / docs_in[r.file] for r in ws.resources if r.kind == kind)
        / summary[kind]
        for kind in summary
    }
    # connectors (schemas per operation) and suites (cases) are the big documents
    assert sizes["Connector"] > sizes["Charter"] > sizes["Role"]
    assert sizes["EvalSuite"] > sizes["Policy"]
    assert any(b.count(b"\n---\n") for b in files.values()), "no multi-document file"


def test_generator_writes_a_workspace_the_cli_lints(tmp_path: Path, cli: Any) -> None:
    _bench("gen_workspace").write(tmp_path, 60)
    result = cli("lint", "-w", tmp_path, "--today", "2026-06-01", "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr


# --- the benches at a tiny scale -----------------------------------------------------


def test_bench_load_rows() -> None:
    rows = _bench("bench_load").run(0.005)
    check_rows(rows, "bench_load")
    metrics = {r.metric for r in rows}
    assert {"parse / ours (speed ratio)", "load + validate / parse", "lint / parse"} <= metrics
    assert any(m.startswith("PyYAML") for m in metrics)


def test_bench_deploy_rows() -> None:
    """The smallest plan-vs-lint run (a generated workspace in a real git repository) and
    the deployment transaction beside the raw append."""
    rows = _bench("bench_deploy").run(0.006)
    check_rows(rows, "bench_deploy")
    metrics = {r.metric for r in rows}
    assert {"plan / lint", "deployment recorded, resources/s"} <= metrics
    assert any(r.metric.startswith("raw ledger append") for r in rows)


def test_bench_cli_rows() -> None:
    rows = _bench("bench_cli").run(0.01)
    check_rows(rows, "bench_cli")
    metrics = {r.metric for r in rows}
    assert {"agentctl / bare (--help)", "agentctl / bare (lint --help)"} <= metrics


def test_best_of_keeps_the_callers_gc_state() -> None:
    best_of = _bench("bench_load").best_of
    t, value = best_of(lambda: gc.isenabled(), 2)
    assert value is False and t >= 0
    t, value = best_of(lambda: gc.isenabled(), 2, gc_off=False)
    assert value is True
    assert gc.isenabled()


# --- the bare typer app the CLI bench compares against ---------------------------------


def test_bare_app_mirrors_agentctl(tmp_path: Path) -> None:
    from agentctl.cli.main import app

    bench_cli = _bench("bench_cli")
    shape = bench_cli._shape(app)
    (tmp_path / "bare_cli.py").write_text(bench_cli.bare_app_source(shape, 3))
    (tmp_path / "launch.py").write_text("from bare_cli import main\n\nmain()\n")
    out = subprocess.run(
        [sys.executable, str(tmp_path / "launch.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={"NO_COLOR": "1", "COLUMNS": "80", "PATH": "/usr/bin:/bin"},
    ).stdout
    assert shape, "agentctl registers no command"
    for name, _doc, _params, _subs in shape:
        assert f" {name} " in out, name


# --- start-up stays lean -------------------------------------------------------------


def test_cli_main_imports_no_heavy_library() -> None:
    code = (
        f"import sys, agentctl.cli.main\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []


def test_the_heavy_import_check_can_fail() -> None:
    code = (
        "import sys, agentctl.cli.main, agentctl.model.kinds\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pydantic" in out.stdout.split()


@pytest.mark.parametrize(
    ("args", "message"),
    [(["lint", "--bogus"], "No such option: --bogus"), (["nosuch"], "No such command")],
)
def test_usage_errors_exit_2_not_internal_error(cli: Any, args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "internal error" not in result.stderr


# --- the loader's GC pause -----------------------------------------------------------


@pytest.mark.parametrize("enabled", [True, False])
def test_build_workspace_restores_the_gc_state(enabled: bool) -> None:
    files = _bench("gen_workspace").generate(20)
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        assert len(build_workspace(_source(files)).workspace.resources) == 20
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_generator_refuses_too_few_resources() -> None:
    gen = _bench("gen_workspace")
    with pytest.raises(ValueError, match="at least"):
        gen.generate(gen.MIN_RESOURCES - 1)


def test_cli_load_leaves_no_gc_debt(tmp_path: Path) -> None:
    """The CLI's workspace is not left in the young generation for the next collection
    (build_workspace itself leaves the GC alone: library callers keep a normal GC)."""
    from agentctl.cli.common import load

    for rel, data in _bench("gen_workspace").generate(300).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    frozen = gc.get_freeze_count()
    result = load(tmp_path, None)
    assert len(result.workspace.resources) == 300
    assert gc.get_freeze_count() > frozen + 10_000
    assert len(gc.get_objects(generation=0)) < 5_000


def test_bench_eval_rows() -> None:
    rows = _bench("bench_eval").run(0.02)
    check_rows(rows, "bench_eval")
    assert {r.metric for r in rows if r.target} == {
        "--jobs 8 wall / ideal (0.10 s)",
        "harness CPU ms per case",
    }
