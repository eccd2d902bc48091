"""`agentctl schema`: print one, list them, write them, check that written ones are current."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from support import agentctl_bin

from agentctl.model import jsonschema as js

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "schemas"


def test_docs_schemas_are_up_to_date_with_the_models(tmp_path: Path, cli) -> None:
    r = cli("schema", "--out", tmp_path / "fresh")
    assert r.exit_code == 0, r.stderr
    fresh = {p.name: p.read_bytes() for p in (tmp_path / "fresh").iterdir()}
    committed = {p.name: p.read_bytes() for p in DOCS.glob("*.schema.json")}
    stale = sorted(n for n in fresh if committed.get(n) != fresh[n])
    assert not stale, f"docs/schemas is stale ({stale}): run 'agentctl schema --out docs/schemas'"
    assert set(committed) == set(fresh), "docs/schemas holds schemas agentctl no longer writes"


def test_check_passes_on_the_committed_schemas(cli) -> None:
    r = cli("schema", "--out", DOCS, "--check")
    assert (r.exit_code, r.stdout) == (0, "")
    assert "9 schemas up to date" in r.stderr


def test_check_names_stale_and_missing_files_and_writes_nothing(tmp_path: Path, cli) -> None:
    assert cli("schema", "--out", tmp_path).exit_code == 0
    (tmp_path / "policy.schema.json").write_text("{}\n")
    (tmp_path / "role.schema.json").unlink()
    r = cli("schema", "--out", tmp_path, "--check")
    assert r.exit_code == 1
    assert "policy.schema.json: out of date" in r.stderr
    assert "role.schema.json: out of date" in r.stderr
    assert "charter.schema.json" not in r.stderr
    assert (tmp_path / "policy.schema.json").read_text() == "{}\n"
    r = cli("schema", "--out", tmp_path)
    assert r.exit_code == 0 and "wrote 2 of 9 schemas (7 unchanged)" in r.stderr
    assert cli("schema", "--out", tmp_path, "--check").exit_code == 0


def test_out_with_a_kind_writes_only_that_kind(tmp_path: Path, cli) -> None:
    r = cli("schema", "Charter", "--out", tmp_path / "s")
    assert r.exit_code == 0, r.stderr
    assert [p.name for p in (tmp_path / "s").iterdir()] == ["charter.schema.json"]


def test_kind_prints_its_schema_as_json(cli) -> None:
    for spelling in ("charter", "Charter", "charters"):
        r = cli("schema", spelling)
        assert r.exit_code == 0
        assert r.stdout == js.dumps(js.schema_for("charter"))
    r = cli("schema", "agentctl")
    assert json.loads(r.stdout)["title"] == "agentctl document"


def test_index_lists_every_schema_in_80_columns(cli, snapshot) -> None:
    r = cli("schema")
    assert r.exit_code == 0
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    for name in js.kinds():
        assert f"  {name} " in r.stdout
    assert r.stdout == snapshot


def test_index_json_has_a_format_version(cli) -> None:
    r = cli("schema", "--format", "json")
    data = json.loads(r.stdout)
    assert data["format_version"] == 1
    assert [s["file"] for s in data["schemas"]] == [js.filename(k) for k in js.kinds()]


def test_usage_errors_exit_2_with_a_hint(cli) -> None:
    r = cli("schema", "chartr")
    assert r.exit_code == 2
    assert "unknown kind 'chartr'" in r.stderr and "did you mean 'charter'?" in r.stderr
    r = cli("schema", "--check")
    assert r.exit_code == 2 and "--check compares files: it needs --out DIR" in r.stderr
    r = cli("schema", "--format", "yaml")
    assert r.exit_code == 2 and "unknown format 'yaml'" in r.stderr


def test_installed_command_writes_schemas(tmp_path: Path) -> None:
    p = subprocess.run(
        [agentctl_bin(), "schema", "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert p.returncode == 0, p.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == sorted(js.all_schemas())
    assert p.stdout == ""
