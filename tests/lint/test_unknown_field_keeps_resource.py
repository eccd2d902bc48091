"""An unknown field is one finding, not a cascade (issue 8, item 17). The resource is kept,
validated without the field, so nothing that refers to it, or that it refers to, raises a
knock-on finding (`unused-connector`, `unknown-charter`, `unused-role`). It is still not
clean: simulate refuses a workspace whose policy has one, run refuses such a charter."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

BASE = Path(__file__).resolve().parent / "base"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(BASE, root)
    return root


def _codes(cli: Any, root: Path) -> list[tuple[str, str]]:
    r = cli("lint", "-w", root, "--format", "json", "--today", "2026-11-25")
    return [(f["code"], f["message"]) for f in json.loads(r.stdout)["findings"]]


def _add(path: Path, after: str, line: str) -> None:
    text = path.read_text()
    assert after in text
    path.write_text(text.replace(after, after + line, 1))


def test_a_charter_with_an_unknown_field_raises_one_finding(cli: Any, ws: Path) -> None:
    assert _codes(cli, ws) == []
    # both charters that use the shop connector get a typo: without the fix the
    # connector looked unused, and the suite and the policy named an unknown charter
    _add(ws / "charters/planner.yaml", "  scope: Drafts restock orders.\n", "  toolz: [x]\n")
    helper = ws / "charters/helper.yaml"
    _add(helper, "spec:\n", "  pasued: true\n")
    assert sorted(_codes(cli, ws)) == [
        ("unknown-field", "unknown field 'spec.pasued'"),
        ("unknown-field", "unknown field 'spec.toolz'"),
    ]


def test_a_document_with_other_errors_is_still_dropped(cli: Any, ws: Path) -> None:
    _add(ws / "charters/planner.yaml", "  scope: Drafts restock orders.\n", "  toolz: [x]\n")
    p = ws / "charters/planner.yaml"
    p.write_text(p.read_text().replace("min_pass_rate: 1.0", "min_pass_rate: lots"))
    codes = {c for c, _ in _codes(cli, ws)}
    assert {"unknown-field", "schema"} <= codes


def test_simulate_refuses_a_policy_with_an_unknown_field(cli: Any, ws: Path) -> None:
    _add(ws / "policies/restock.yaml", "  cooldown: 1h\n", "  cooldwn: 2h\n")
    (ws / "e.jsonl").write_text('{"ts": "2026-11-02T00:00:00Z", "type": "pos.sale"}\n')
    r = cli("simulate", "--events", ws / "e.jsonl", "-w", ws)
    assert r.exit_code == 1
    assert "cannot simulate: policy/restock did not load" in r.stderr
    assert "unknown field 'spec.cooldwn'" in r.stderr


def test_run_refuses_a_charter_with_an_unknown_field(cli: Any, ws: Path, tmp_path: Path) -> None:
    _add(ws / "charters/planner.yaml", "  scope: Drafts restock orders.\n", "  budjet: {}\n")
    r = cli("run", "planner", "-w", ws, "--ledger", tmp_path / "l.db")
    assert r.exit_code == 2
    assert "charter/planner did not load cleanly (an unknown field)" in r.stderr
    if (tmp_path / "l.db").exists():
        import sqlite3

        con = sqlite3.connect(tmp_path / "l.db")
        assert con.execute("SELECT count(*) FROM events").fetchone() == (0,)
        con.close()
