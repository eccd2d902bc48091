"""The bundled example workspace (the repository root) lints clean, holds what the shared
names promise, and keeps its governance invariants (gates on risky grants, SSNs only in
intake). These tests read the real files at the root, not copies."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import REPO, agentctl_bin, write

from agentctl.render.envelope import FORMAT_VERSION

# Dates the example must be clean on: the first recorded event, the day it was written,
# and the last day before its 90-day credentials (issued 2026-11-01, expiring 2027-01-30)
# enter lint's 14-day warning. Rotating them is part of keeping the example true to life.
TODAYS = ["2026-11-02", "2026-11-29", "2027-01-15"]
FIXTURE_DAYS = ("2026-11-02", "2026-11-22")  # simulator/fixtures: the three weeks recorded

EXPECTED: dict[str, set[str]] = {
    "Role": {
        "store-manager",
        "finance-director",
        "claims-adjuster",
        "claims-director",
        "support-lead",
        "platform-team",
        "risk-officer",
    },
    "Connector": {
        "inventory",
        "procurement",
        "logistics",
        "claims",
        "coverage",
        "payments",
        "ticketing",
        "billing",
        "scheduling",
    },
    "Charter": {
        "replenishment-planner",
        "procurement-agent",
        "logistics-agent",
        "claims-intake",
        "claims-policy",
        "claims-payout",
        "support-tier1",
        "support-handoff",
    },
    "Contract": {"intake-eligibility", "planner-procurement"},
    "EvalSuite": {
        "replenishment-core",
        "procurement-core",
        "logistics-core",
        "claims-intake-core",
        "claims-payout-core",
        "support-top-intents",
        "support-handoff-core",
    },
}
POLICIES = {"stockout-risk", "claim-high-value", "ticket-sla"}
EXCLUDED = ("tests/", "bench/", "docs/", ".github/", "agentctl/")


@pytest.fixture(scope="module")
def loaded() -> Any:
    from agentctl.workspace.loader import load_workspace

    return load_workspace(REPO)


@pytest.fixture(scope="module")
def ws(loaded: Any) -> Any:
    return loaded.workspace


def _lint_json(cli: Any, *args: str) -> dict[str, Any]:
    res = cli("lint", "--workspace", str(REPO), "--format", "json", *args)
    data: dict[str, Any] = json.loads(res.stdout)
    data["_exit"] = res.exit_code
    return data


@pytest.mark.parametrize("today", TODAYS)
def test_lint_is_clean(cli: Any, today: str) -> None:
    data = _lint_json(cli, "--today", today)
    problems = [
        f"{f['location']['file']}:{f['location']['line']}: {f['code']} {f['message']}"
        for f in data["findings"]
        if f["severity"] in ("error", "warning")
    ]
    assert problems == []
    assert data["_exit"] == 0
    assert data["format_version"] == FORMAT_VERSION


def test_lint_has_no_info_findings(cli: Any) -> None:
    data = _lint_json(cli, "--today", "2026-11-29")
    assert [(f["code"], f["message"]) for f in data["findings"]] == []


def test_lint_strict_in_a_subprocess() -> None:
    """The installed console script, as CI runs it."""
    proc = subprocess.run(
        [agentctl_bin(), "lint", "--strict", "--today", "2026-11-25"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 errors, 0 warnings" in proc.stdout or "No findings" in proc.stdout


def test_loader_reports_nothing(loaded: Any) -> None:
    assert [f"{f.location.file}:{f.location.line}: {f.message}" for f in loaded.findings] == []


def test_inventory_per_kind(ws: Any) -> None:
    for kind, names in EXPECTED.items():
        assert set(ws.by_kind.get(kind, {})) == names, kind
    assert set(ws.by_kind.get("Policy", {})) >= POLICIES
    assert ws.name == "agentctl-examples"
    assert ws.settings.python_path == ["charters/lib"]


def test_roles_approval_chain(ws: Any) -> None:
    from decimal import Decimal

    limits = {r.name: r.doc.spec.approves and r.doc.spec.approves.max_usd for r in ws.roles}
    assert limits["store-manager"] == Decimal(5000)
    assert limits["finance-director"] == Decimal(250000)
    assert limits["claims-adjuster"] == Decimal(10000)
    assert limits["claims-director"] == Decimal(100000)
    assert limits["support-lead"] == Decimal(500)
    reports = {r.name: r.doc.spec.reports_to for r in ws.roles}
    assert reports["store-manager"] == "role/finance-director"
    assert reports["claims-adjuster"] == "role/claims-director"


def test_every_risky_charter_is_gated_on_its_own_suite(ws: Any) -> None:
    from agentctl.evals.judge import effective_thresholds

    risky = []
    for ch in ws.charters:
        effects = {o.op.effect for o in ws.granted_operations(ch.doc)}
        if effects & {"write", "destructive"}:
            risky.append(ch.name)
            assert ch.doc.spec.gates, ch.name
            for gate in ch.doc.spec.gates:
                suite = ws.get(gate.suite)
                assert suite is not None, gate.suite
                assert suite.doc.spec.charter == ch.ref
                # the suite's thresholds are the gate; the charter's may only tighten them
                t = effective_thresholds(suite.doc, ch.doc)
                assert t.pass_rate >= 0.9
                assert gate.min_pass_rate is None or gate.min_pass_rate >= t.pass_rate
            assert ch.doc.spec.escalation, ch.name
    # non-vacuous: the six agents that change the world
    assert set(risky) == {
        "procurement-agent",
        "logistics-agent",
        "claims-intake",
        "claims-payout",
        "support-tier1",
        "support-handoff",
    }


def test_only_intake_may_touch_ssns(ws: Any) -> None:
    touching = {
        ch.name
        for ch in ws.charters
        if any("pii.ssn" in o.op.data_classes for o in ws.granted_operations(ch.doc))
    }
    allowed = {ch.name for ch in ws.charters if "pii.ssn" in ch.doc.spec.data_classes}
    assert touching == allowed == {"claims-intake"}


def test_nobody_may_refund(ws: Any) -> None:
    for ch in ws.charters:
        ops = {o.qualified for o in ws.granted_operations(ch.doc)}
        assert "billing.refund" not in ops, ch.name


def test_red_team_cases(ws: Any) -> None:
    suite = ws.get("evalsuite/support-top-intents")
    denials = [d for c in suite.doc.spec.cases for d in c.expect_denial]
    assert denials.count("billing.refund") >= 2
    assert "pii.ssn" in denials
    assert any(
        "ignore all previous instructions" in json.dumps(c.input).lower()
        for c in suite.doc.spec.cases
    )


def test_budgets_and_dates_are_sensible(ws: Any) -> None:
    from datetime import date, timedelta

    first, last = (date.fromisoformat(d) for d in FIXTURE_DAYS)
    for ch in ws.charters:
        spec = ch.doc.spec
        assert spec.budget.per_run.usd is not None and spec.budget.per_day.usd is not None
        assert 0 < spec.budget.per_run.usd <= spec.budget.per_day.usd, ch.name
        assert spec.credential is not None and spec.review_by is not None, ch.name
        # rotated every 90 days, and valid over the recorded events and today
        assert spec.credential.lifetime <= timedelta(days=90), ch.name
        assert spec.credential.issued <= first and date(2026, 11, 29) < spec.credential.expires
        assert spec.review_by > date(2027, 11, 25), ch.name
    for ct in ws.contracts:
        assert ct.doc.spec.valid is not None
        # the recorded events fall inside every contract's validity
        assert ct.doc.spec.valid.from_ <= first and last < ct.doc.spec.valid.until, ct.name


def test_fixtures_are_dated_as_documented() -> None:
    import gzip

    for name in ("retail", "claims", "support"):
        with gzip.open(REPO / "simulator/fixtures" / f"{name}.jsonl.gz", "rt") as fh:
            days = {json.loads(line)["ts"][:10] for line in fh}
        assert (min(days), max(days)) == FIXTURE_DAYS, name


def test_credentials_need_rotating_after_90_days(cli: Any) -> None:
    """Non-vacuous: the dates above are real limits, not a lifetime that hides them."""
    warned = _lint_json(cli, "--today", "2027-01-16")
    assert [f["code"] for f in warned["findings"]] == ["credential-expiring"] * 8
    expired = _lint_json(cli, "--today", "2027-01-31")
    assert [f["code"] for f in expired["findings"]] == ["credential-expired"] * 8
    assert expired["_exit"] == 1


def test_intake_eligibility_contract(ws: Any) -> None:
    from datetime import timedelta

    spec = ws.get("contract/intake-eligibility").doc.spec
    assert (spec.consumer, spec.provider) == ("charter/claims-intake", "charter/claims-policy")
    assert spec.scopes == ["coverage.read"]
    assert spec.sla.latency == timedelta(minutes=2)
    assert spec.sla.field_coverage == 0.99
    assert spec.sla.fields == ["eligible", "coverage_code", "reason"]
    assert spec.on_breach.escalate == "role/claims-adjuster"
    # the fields the SLA counts are ones the provider's connector actually returns
    out = ws.get("connector/coverage").doc.spec.operations["check_eligibility"].output_schema
    assert set(spec.sla.fields) <= set(out["required"])


def test_operation_schemas_are_valid_json_schemas(ws: Any) -> None:
    from jsonschema import Draft202012Validator

    checked = 0
    for conn in ws.connectors:
        for name, op in conn.doc.spec.operations.items():
            for which in ("input_schema", "output_schema"):
                schema = getattr(op, which)
                Draft202012Validator.check_schema(schema)
                assert schema["type"] == "object"
                props = set(schema.get("properties", {}))
                assert set(schema.get("required", [])) <= props, f"{conn.name}.{name} {which}"
                checked += 1
            assert op.input_schema.get("additionalProperties") is False, f"{conn.name}.{name}"
    assert checked == 2 * 14


def test_jsonl_cases_are_valid(ws: Any) -> None:
    """Lint checks inline cases; cases in a cases_file are checked here the same way."""
    from agentctl import expr
    from agentctl.model.kinds import Case

    known = set(ws.known_scopes()) | {
        d for c in ws.connectors for o in c.doc.spec.operations.values() for d in o.data_classes
    }
    files = 0
    for suite in ws.suites:
        if not suite.doc.spec.cases_file:
            continue
        files += 1
        path = REPO / Path(suite.file).parent / suite.doc.spec.cases_file
        lines = path.read_text().splitlines()
        assert 4 <= len(lines) <= 8
        ids = set()
        for n, line in enumerate(lines, 1):
            case = Case.model_validate(json.loads(line), strict=True)
            assert case.id not in ids, f"{path}:{n}"
            ids.add(case.id)
            assert case.assert_, f"{path}:{n}"
            for a in case.assert_:
                assert expr.check(a, expr.CONTEXTS["assertion"]) == [], f"{path}:{n}: {a}"
            assert set(case.expect_denial) <= known, f"{path}:{n}"
    assert files >= 1


def test_suite_sizes(ws: Any) -> None:
    for suite in ws.suites:
        if suite.doc.spec.cases_file:
            continue
        assert 4 <= len(suite.doc.spec.cases) <= 8, suite.name
        assert suite.doc.spec.recording.mode == "replay"
        assert suite.doc.spec.recording.dir == f"evals/recordings/{suite.name}"


def _example_files() -> list[Path]:
    files = [REPO / "agentctl.yaml"]
    for folder in ("charters", "policies", "evals"):
        files += sorted((REPO / folder).rglob("*.yaml"))
    return [f for f in files if "lib" not in f.relative_to(REPO).parts]


def test_modelines(ws: Any) -> None:
    import os

    mine = [f for f in _example_files() if not _is_policy_file(f)]
    assert len(mine) >= 20
    for f in mine:
        first = f.read_text().splitlines()[0]
        kinds = {r.kind for r in ws.resources if r.file == f.relative_to(REPO).as_posix()}
        kind = "workspace" if f.name == "agentctl.yaml" else next(iter(kinds)).lower()
        assert len(kinds) <= 1, f
        target = os.path.relpath(REPO / "docs" / "schemas" / f"{kind}.schema.json", f.parent)
        assert first == f"# yaml-language-server: $schema={target}", f


def _is_policy_file(f: Path) -> bool:
    rel = f.relative_to(REPO).as_posix()
    return rel.startswith("policies/") and rel != "policies/contracts.yaml"


def test_root_lint_reads_no_excluded_folder(ws: Any) -> None:
    from agentctl.workspace.loader import read_tree

    source = read_tree(REPO)
    read = [f.path for f in source.files] + sorted(source.paths)
    assert [p for p in read if p.startswith(EXCLUDED)] == []
    assert {r.file for r in ws.resources if r.file.startswith(EXCLUDED)} == set()


def test_exclude_globs_hold_back_broken_files(tmp_path: Path, cli: Any) -> None:
    """Non-vacuous: the root's agentctl.yaml keeps broken YAML in excluded folders out."""
    shutil.copy(REPO / "agentctl.yaml", tmp_path / "agentctl.yaml")
    broken = "apiVersion: agentctl/v1\nkind: Charter\nmetadata: {name: Bad_Name}\n\tspec: ["
    for folder in ("tests/lint/cases", "bench/gen", "docs/examples", ".github", "agentctl/data"):
        write(tmp_path / folder / "broken.yaml", broken)
    res = cli("lint", "--workspace", str(tmp_path), "--today", "2026-11-25")
    assert res.exit_code == 0, res.stdout + res.stderr
    write(tmp_path / "charters" / "broken.yaml", broken)
    res = cli("lint", "--workspace", str(tmp_path), "--today", "2026-11-25")
    assert res.exit_code == 1
    assert "charters/broken.yaml" in res.stdout
