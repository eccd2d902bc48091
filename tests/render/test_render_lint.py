"""Every lint output format, pinned by a snapshot of its whole output, plus the properties
the snapshots cannot show: SARIF validity and fingerprints, GitHub ordering and escaping,
the job summary, 80 columns.

The SARIF 2.1.0 schema in tests/data/sarif-schema-2.1.0.json is the OASIS errata01
schema, copied unchanged from github.com/oasis-tcs/sarif-spec, file
sarif-2.1/schema/sarif-schema-2.1.0.json at commit e0583813964ec43cea53b6b531b402866095ed1f
(its "id" is https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/
sarif-schema-2.1.0.json). It is JSON Schema draft-04.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from support import write

from agentctl import __version__
from agentctl.lint import all_rules
from agentctl.render.envelope import FORMAT_VERSION

HERE = Path(__file__).resolve().parent
BROKEN = HERE / "broken-workspace"
BASE = HERE.parent / "lint" / "base"
SCHEMA = json.loads((HERE.parent / "data" / "sarif-schema-2.1.0.json").read_text())
TODAY = "2026-11-25"
FORMATS = ["text", "json", "sarif", "github", "markdown"]


def unversioned(text: str) -> str:
    """The tool version appears in json and sarif: keep it out of the snapshots."""
    return text.replace(f'"{__version__}"', '"<version>"')


def lint(cli: Any, root: Path, *args: str) -> Any:
    return cli("lint", "-w", root, "--today", TODAY, *args)


@pytest.mark.parametrize("fmt", FORMATS)
def test_broken_workspace_output(fmt: str, cli: Any, snapshot: Any) -> None:
    r = lint(cli, BROKEN, "-f", fmt)
    assert (r.exit_code, r.stderr) == (1, "")
    assert unversioned(r.stdout) == snapshot


@pytest.mark.parametrize("fmt", FORMATS)
def test_clean_workspace_output(fmt: str, cli: Any, snapshot: Any) -> None:
    r = lint(cli, BASE, "-f", fmt)
    assert (r.exit_code, r.stderr) == (0, "")
    assert unversioned(r.stdout) == snapshot


def test_the_broken_workspace_covers_many_rules(cli: Any) -> None:
    data = json.loads(lint(cli, BROKEN, "-f", "json").stdout)
    codes = {f["code"] for f in data["findings"]}
    assert len(codes) >= 15
    assert {"error", "warning", "info"} == {f["severity"] for f in data["findings"]}


@pytest.mark.parametrize("root", [BROKEN, BASE], ids=["broken", "clean"])
def test_text_fits_80_columns(root: Path, cli: Any) -> None:
    out = lint(cli, root).stdout
    assert max(len(line) for line in out.splitlines()) <= 80


def test_json_shape(cli: Any) -> None:
    data = json.loads(lint(cli, BROKEN, "-f", "json").stdout)
    assert data["format_version"] == FORMAT_VERSION  # the envelope's, one place
    assert data["tool"] == {"name": "agentctl", "version": __version__}
    assert data["summary"]["findings"] == {"error": 16, "warning": 5, "info": 1}
    assert sum(data["summary"]["findings"].values()) == len(data["findings"])
    f = data["findings"][0]
    assert set(f) >= {"code", "severity", "message", "location"}
    # findings come in file, line, column order
    keys = [
        (x["location"]["file"], x["location"]["line"], x["location"]["column"])
        for x in data["findings"]
    ]
    assert keys == sorted(keys)


# --- SARIF ---------------------------------------------------------------------------------


def sarif(cli: Any, root: Path, *args: str) -> dict[str, Any]:
    return json.loads(lint(cli, root, "-f", "sarif", *args).stdout)


@pytest.mark.parametrize("root", [BROKEN, BASE], ids=["broken", "clean"])
def test_sarif_validates_against_the_2_1_0_schema(root: Path, cli: Any) -> None:
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    doc = sarif(cli, root)
    errors = sorted(jsonschema.Draft4Validator(SCHEMA).iter_errors(doc), key=str)
    assert [e.message for e in errors] == []
    assert doc["version"] == "2.1.0"


def test_the_schema_check_can_fail(cli: Any) -> None:
    doc = sarif(cli, BROKEN)
    doc["runs"][0]["results"][0]["level"] = "fatal"
    doc["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert len(list(jsonschema.Draft4Validator(SCHEMA).iter_errors(doc))) == 2


def test_sarif_carries_every_rule_with_metadata_and_help(cli: Any) -> None:
    run = sarif(cli, BROKEN)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    registry = all_rules()
    assert [r["id"] for r in rules] == list(registry)
    for r in rules:
        reg = registry[r["id"]]
        assert r["shortDescription"]["text"] == reg.summary
        assert r["fullDescription"]["text"] == reg.explanation
        assert reg.explanation in r["help"]["text"]
        assert f"agentctl explain {reg.id}" in r["help"]["markdown"]
        level = {"error": "error", "warning": "warning", "info": "note"}[reg.severity.value]
        assert r["defaultConfiguration"]["level"] == level
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def fingerprints(doc: dict[str, Any]) -> dict[str, tuple[str, str, int]]:
    out = {}
    for res in doc["runs"][0]["results"]:
        fp = res["partialFingerprints"]["agentctlFindingHash/v1"]
        loc = res["locations"][0]["physicalLocation"]
        out[fp] = (res["ruleId"], loc["artifactLocation"]["uri"], loc["region"]["startLine"])
    return out


def test_partial_fingerprints_follow_a_finding_that_moves(tmp_path: Path, cli: Any) -> None:
    root = tmp_path / "ws"
    shutil.copytree(BROKEN, root)
    before = fingerprints(sarif(cli, root))
    assert len(before) == len(sarif(cli, root)["runs"][0]["results"]), "fingerprints are unique"
    planner = root / "charters" / "planner.yaml"
    planner.write_text("# one\n# two\n\n" + planner.read_text())
    after = fingerprints(sarif(cli, root))
    assert set(after) == set(before)
    moved = 0
    for fp, (rule, uri, line) in before.items():
        if uri == "charters/planner.yaml":
            assert after[fp] == (rule, uri, line + 3)
            moved += 1
        else:
            assert after[fp] == (rule, uri, line)
    assert moved >= 5


def test_partial_fingerprints_change_when_the_finding_changes(tmp_path: Path, cli: Any) -> None:
    root = tmp_path / "ws"
    shutil.copytree(BROKEN, root)
    before = fingerprints(sarif(cli, root))
    helper = root / "charters" / "helper.yaml"
    helper.write_text(helper.read_text().replace("role/night-shift", "role/day-shift"))
    after = fingerprints(sarif(cli, root))
    assert len(set(before) - set(after)) == 1
    assert len(set(after) - set(before)) == 1


def test_sarif_from_a_revision_names_the_commit(git_repo: Path, cli: Any) -> None:
    from support import commit_all

    shutil.copytree(BASE, git_repo, dirs_exist_ok=True)
    sha = commit_all(git_repo, "base")
    doc = sarif(cli, git_repo, "--rev", "HEAD")
    assert doc["runs"][0]["versionControlProvenance"][0]["revisionId"] == sha
    assert list(jsonschema.Draft4Validator(SCHEMA).iter_errors(doc)) == []


# --- GitHub annotations and the job summary --------------------------------------------------


def many_errors(tmp_path: Path, n: int = 15) -> Path:
    """The base plus `n` charters owned by a role that does not exist, and two warnings."""
    root = tmp_path / "ws"
    shutil.copytree(BASE, root)
    for i in range(n):
        write(
            root / "charters" / f"c{i:02d}.yaml",
            f"apiVersion: agentctl/v1\nkind: Charter\nmetadata:\n  name: c{i:02d}\n"
            "  owner: role/ghost\nspec:\n  scope: x\n  runtime: {python: a.b:c}\n",
        )
    write(root / "extra" / "empty.yaml", "")
    write(root / "extra" / "empty2.yaml", "")
    return root


def test_github_most_severe_first(tmp_path: Path, cli: Any) -> None:
    r = lint(cli, many_errors(tmp_path), "-f", "github")
    assert r.exit_code == 1
    kinds = [line.split(" ", 1)[0] for line in r.stdout.splitlines()]
    # errors, then warnings, then notices: GitHub shows only the first 10 of each per step
    assert kinds == sorted(kinds, key=["::error", "::warning", "::notice"].index)
    assert kinds.count("::error") == 15
    assert kinds.count("::warning") == 2
    assert kinds.count("::notice") == 15  # charter-unreachable, info


def test_github_escapes_properties_and_data(tmp_path: Path, cli: Any) -> None:
    root = tmp_path / "ws"
    shutil.copytree(BASE, root)
    write(root / "odd, name: 100%.yaml", "apiVersion: agentctl/v1\nkind: Nope\n")
    r = lint(cli, root, "-f", "github")
    [line] = r.stdout.splitlines()
    assert line == (
        "::error file=odd%2C name%3A 100%25.yaml,line=2,col=7,title=unknown-kind::"
        "unknown kind 'Nope'%0Akinds: Role, Connector, Charter, Policy, Contract, EvalSuite, "
        "Scenario, Workspace"
    )


def test_github_escapes_percent_and_newlines_in_messages() -> None:
    from agentctl.findings import Finding, Location, Severity
    from agentctl.render.github import annotation

    f = Finding("x-y", Severity.WARNING, "50% done\r\nnext", Location("a.yaml", 3, 4), "a,b: c")
    assert (
        annotation(f)
        == "::warning file=a.yaml,line=3,col=4,title=x-y::50%25 done%0D%0Anext%0Aa,b: c"
    )


def test_step_summary_gets_the_complete_list(tmp_path: Path, cli: Any, monkeypatch: Any) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("## earlier step\n\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    r = lint(cli, many_errors(tmp_path), "-f", "github")
    assert r.exit_code == 1
    text = summary.read_text()
    assert text.startswith("## earlier step\n\n### agentctl lint: 15 errors, 2 warnings, 15 info\n")
    rows = [
        line
        for line in text.splitlines()
        if line.startswith("| 🔴") or line.startswith("| 🟡") or line.startswith("| 🔵")
    ]
    assert len(rows) == 32  # every finding, not just the 10 GitHub annotates
    assert rows[0].startswith("| 🔴") and rows[-1].startswith("| 🔵")


def test_step_summary_is_written_only_for_the_github_format(
    tmp_path: Path, cli: Any, monkeypatch: Any
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    lint(cli, BROKEN, "-f", "text")
    assert not summary.exists()


def test_markdown_escapes_table_cells() -> None:
    from agentctl.findings import Finding, Location, Severity
    from agentctl.render.markdown import findings_table

    f = Finding("x-y", Severity.INFO, "a | b\nc", Location("p.yaml", 1, 2))
    assert findings_table([f]).splitlines()[-1] == "| 🔵 | `p.yaml:1:2` | `x-y` | a \\| b c |"
    assert findings_table([]) == "No findings.\n"
