"""The workspace loader: finding the root, reading the tree or a git revision, excludes,
validation findings with places and hints, and `lint PATHS`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import commit_all, git, write

from agentctl.errors import ConfigError, GitError
from agentctl.workspace.loader import (
    Source,
    SourceFile,
    build_workspace,
    find_root,
    load_workspace,
    read_revision,
    read_tree,
)

BASE = Path(__file__).resolve().parent.parent / "lint" / "base"

SETTINGS = "apiVersion: agentctl/v1\nkind: Workspace\nmetadata:\n  name: t\nspec: {}\n"


def build(files: dict[str, str | bytes], rev: str | None = None):
    sfs = [SourceFile(p, d.encode() if isinstance(d, str) else d) for p, d in sorted(files.items())]
    return build_workspace(Source(sfs, frozenset(files), rev=rev))


def lines(result) -> list[str]:
    return [f"{f.location}: {f.code}: {f.message}" for f in result.findings]


def test_find_root_walks_up(tmp_path: Path) -> None:
    write(tmp_path / "agentctl.yaml", SETTINGS)
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_root(deep) == tmp_path.resolve()


def test_find_root_without_settings_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        find_root(tmp_path)
    assert "agentctl.yaml" in err.value.message
    assert "agentctl init" in (err.value.hint or "")


def test_multi_document_file_yields_each_resource_with_its_index() -> None:
    role = "apiVersion: agentctl/v1\nkind: Role\nmetadata:\n  name: {}\n"
    result = build(
        {"agentctl.yaml": SETTINGS, "roles.yaml": role.format("a") + "---\n" + role.format("b")}
    )
    assert result.findings == []
    ws = result.workspace
    assert [(r.ref, r.file, r.index) for r in ws.resources] == [
        ("role/a", "roles.yaml", 0),
        ("role/b", "roles.yaml", 1),
    ]
    assert ws.get("role/b").location("metadata", "name").line == 9
    assert ws.name == "t"


def test_unknown_field_with_did_you_mean() -> None:
    result = build(
        {
            "agentctl.yaml": SETTINGS,
            "r.yaml": "apiVersion: agentctl/v1\nkind: Role\nmetadata:\n  name: a\n"
            "  ownr: role/a\nspec:\n  memebrs: [x]\n  zzz: 1\n",
        }
    )
    by_code = [(f.code, str(f.location), f.key_path, f.hint) for f in result.findings]
    assert by_code == [
        ("unknown-field", "r.yaml:5:3", "metadata.ownr", "did you mean 'owner'?"),
        ("unknown-field", "r.yaml:7:3", "spec.memebrs", "did you mean 'members'?"),
        (
            "unknown-field",
            "r.yaml:8:3",
            "spec.zzz",
            "allowed here: approves, members, reports_to",
        ),
    ]
    assert result.findings[0].resource == "role/a"


def test_unknown_field_deep_inside_lists() -> None:
    result = build(
        {
            "agentctl.yaml": SETTINGS,
            "p.yaml": "apiVersion: agentctl/v1\nkind: Policy\nmetadata:\n  name: p\n"
            "spec:\n  on: [x]\n  condition: 'true'\n  actions:\n    - invoke: charter/a\n"
            "      cost_usdd: 3\n",
        }
    )
    [f] = result.findings
    assert (f.code, str(f.location), f.key_path, f.hint) == (
        "unknown-field",
        "p.yaml:10:7",
        "spec.actions[0].cost_usdd",
        "did you mean 'cost_usd'?",
    )


@pytest.mark.parametrize(
    ("line", "column", "message", "hint"),
    [
        (
            "  members: member-a\n",
            12,
            "spec.members: input should be a valid list",
            "write a list here",
        ),
        (
            "  members: [1]\n",
            13,
            "spec.members[0]: input should be a valid string",
            "got an int: quote the value to make it a string",
        ),
        (
            "  approves: {max_usd: lots}\n",
            23,
            "spec.approves.max_usd: 'lots' is not an amount: write e.g. 12.50, '$1,200' or "
            "'300 USD'",
            None,
        ),
        (
            "  reports_to: charter/x\n",
            15,
            "spec.reports_to: 'charter/x' must refer to a Role: write role/NAME",
            None,
        ),
    ],
)
def test_wrong_types_are_schema_findings_at_the_value(
    line: str, column: int, message: str, hint: str | None
) -> None:
    src = "apiVersion: agentctl/v1\nkind: Role\nmetadata:\n  name: a\nspec:\n" + line
    result = build({"agentctl.yaml": SETTINGS, "r.yaml": src})
    [f] = result.findings
    assert (f.code, f.location.line, f.location.column) == ("schema", 6, column)
    assert (f.message, f.hint) == (message, hint)


def test_unknown_kind_suggests_the_right_case() -> None:
    result = build(
        {"agentctl.yaml": SETTINGS, "c.yaml": "apiVersion: agentctl/v1\nkind: charter\n"}
    )
    [f] = result.findings
    assert (f.code, str(f.location), f.hint) == (
        "unknown-kind",
        "c.yaml:2:7",
        "did you mean 'Charter'?",
    )


def test_missing_envelope_fields() -> None:
    result = build({"agentctl.yaml": SETTINGS, "c.yaml": "metadata: {name: a}\n"})
    assert sorted((f.code, f.key_path) for f in result.findings) == [
        ("missing-field", "apiVersion"),
        ("missing-field", "kind"),
    ]


def test_unknown_api_version_and_kind_together() -> None:
    result = build(
        {"agentctl.yaml": SETTINGS, "c.yaml": "apiVersion: v1\nkind: Deployment\nmetadata: {}\n"}
    )
    assert lines(result) == [
        "c.yaml:1:13: unknown-api-version: unknown apiVersion 'v1'",
        "c.yaml:2:7: unknown-kind: unknown kind 'Deployment'",
    ]


def test_scalar_and_list_documents_are_not_mappings() -> None:
    result = build({"agentctl.yaml": SETTINGS, "a.yaml": "just text\n", "b.yaml": "- 1\n"})
    assert lines(result) == [
        "a.yaml:1:1: not-a-mapping: a document must be a mapping with apiVersion, kind, "
        "metadata and spec; got the value 'just text'",
        "b.yaml:1:1: not-a-mapping: a document must be a mapping with apiVersion, kind, "
        "metadata and spec; got a list",
    ]


def test_empty_file_and_empty_document_are_warnings() -> None:
    role = "apiVersion: agentctl/v1\nkind: Role\nmetadata:\n  name: a\n"
    result = build({"agentctl.yaml": SETTINGS, "e.yaml": "", "d.yaml": role + "---\n"})
    # a trailing '---' starts an empty document
    assert [(f.code, f.severity.value, str(f.location)) for f in result.findings] == [
        ("yaml-empty", "warning", "d.yaml:6:1"),
        ("yaml-empty", "warning", "e.yaml:1:1"),
    ]
    assert result.workspace.get("role/a") is not None


def test_a_broken_document_does_not_stop_the_others() -> None:
    role = "apiVersion: agentctl/v1\nkind: Role\nmetadata:\n  name: {}\n"
    result = build(
        {
            "agentctl.yaml": SETTINGS,
            "r.yaml": role.format("a") + "---\n" + role.format("B") + "---\n" + role.format("c"),
        }
    )
    assert [f.code for f in result.findings] == ["schema"]
    assert sorted(result.workspace.by_kind["Role"]) == ["a", "c"]
    # references to the broken one are not reported again
    assert result.workspace.broken == frozenset({"role/B"})


def test_settings_only_in_agentctl_yaml() -> None:
    result = build({"agentctl.yaml": SETTINGS, "more/agentctl.yaml": SETTINGS})
    assert lines(result) == [
        "more/agentctl.yaml:1:1: misplaced-settings: kind: Workspace belongs in agentctl.yaml "
        "at the workspace root, once"
    ]


def test_no_settings_file_is_a_warning_and_defaults_apply() -> None:
    result = build({})
    assert [f.code for f in result.findings] == ["missing-settings"]
    assert result.workspace.settings.ledger == ".agentctl/ledger.db"


def test_digest_ignores_formatting_but_not_content() -> None:
    a = "apiVersion: agentctl/v1\nkind: Role\nmetadata:\n  name: a\nspec: {members: [x]}\n"
    b = (
        "# comment\napiVersion: agentctl/v1\nkind: Role\nmetadata: {name: a}\n"
        "spec:\n  members:\n    - x\n"
    )
    c = a.replace("[x]", "[y]")
    d1, d2, d3 = (
        build({"agentctl.yaml": SETTINGS, "r.yaml": s}).workspace.get("role/a").digest
        for s in (a, b, c)
    )
    assert d1 == d2 != d3
    assert d1.startswith("sha256:")


# --- the tree, excludes, PATHS ------------------------------------------------------------


def copy_base(dest: Path) -> Path:
    root = dest / "ws"
    shutil.copytree(BASE, root)
    return root


def test_read_tree_skips_hidden_and_tool_folders(tmp_path: Path) -> None:
    root = copy_base(tmp_path)
    write(root / ".github" / "workflows" / "ci.yaml", "on: push\n")
    write(root / "node_modules" / "x" / "a.yaml", "- junk\n")
    write(root / ".pre-commit-config.yaml", "repos: []\n")
    write(root / "notes.txt", "not yaml\n")
    src = read_tree(root)
    names = [f.path for f in src.files]
    assert not any(n.startswith((".", "node_modules")) for n in names)
    assert "notes.txt" in src.paths  # every file counts for file-exists checks
    assert "charters/connectors/shop.jsonl" in src.paths


def test_exclude_globs_in_settings(tmp_path: Path) -> None:
    root = copy_base(tmp_path)
    write(
        root / "agentctl.yaml",
        "apiVersion: agentctl/v1\nkind: Workspace\nmetadata:\n  name: base\nspec:\n"
        "  exclude: [vendor, 'drafts/*.yaml', '**/*.tmpl.yaml']\n",
    )
    write(root / "vendor" / "x.yaml", "- not ours\n")
    write(root / "drafts" / "d.yaml", "- draft\n")
    write(root / "charters" / "c.tmpl.yaml", "- template\n")
    result = load_workspace(root)
    assert result.findings == []
    assert "vendor/x.yaml" not in read_tree(root).paths


def test_yml_suffix_is_read(tmp_path: Path) -> None:
    root = copy_base(tmp_path)
    write(root / "extra.yml", "apiVersion: agentctl/v1\nkind: Role\nmetadata: {name: extra}\n")
    assert load_workspace(root).workspace.get("role/extra") is not None


def test_lint_paths_reports_only_on_those_files_but_resolves_everything(
    tmp_path: Path, cli
) -> None:
    root = copy_base(tmp_path)
    # a broken file elsewhere must not show up when linting charters/helper.yaml
    write(root / "policies" / "bad.yaml", "apiVersion: agentctl/v1\nkind: Nope\n")
    r = cli("lint", "--today", "2026-11-25", "charters/helper.yaml", cwd=root)
    assert (r.exit_code, r.stderr) == (0, "")
    assert "No findings." in r.stdout
    r = cli("lint", "--today", "2026-11-25", "-f", "json", "policies", cwd=root)
    data = json.loads(r.stdout)
    assert r.exit_code == 1
    assert [(f["code"], f["location"]["file"]) for f in data["findings"]] == [
        ("unknown-kind", "policies/bad.yaml")
    ]


def test_lint_paths_that_do_not_exist_or_lie_outside(tmp_path: Path, cli) -> None:
    root = copy_base(tmp_path)
    r = cli("lint", "nope.yaml", cwd=root)
    assert r.exit_code == 2
    assert r.stderr == "agentctl: error: nope.yaml: no such file or folder\n"
    r = cli("lint", str(tmp_path), cwd=root)
    assert r.exit_code == 2
    assert "is outside the workspace" in r.stderr


# --- git revisions --------------------------------------------------------------------------


@pytest.fixture
def two_commits(git_repo: Path) -> tuple[Path, str, str]:
    """A repo whose workspace lives in ws/: commit 1 clean, commit 2 with a broken owner."""
    root = git_repo / "ws"
    shutil.copytree(BASE, root)
    first = commit_all(git_repo, "clean")
    helper = root / "charters" / "helper.yaml"
    helper.write_text(
        "# moved down a line\n" + helper.read_text().replace("owner: role/ops", "owner: role/opz")
    )
    second = commit_all(git_repo, "typo")
    return root, first, second


def test_read_revision_reads_each_commit_without_checkout(two_commits) -> None:
    root, first, second = two_commits
    (root / "charters" / "helper.yaml").unlink()  # the working tree does not matter
    old = read_revision(root, first)
    new = read_revision(root, "HEAD")
    assert (old.commit, new.commit) == (first, second)
    assert old.rev == first and new.rev == "HEAD"
    assert "charters/helper.yaml" in {f.path for f in old.files}
    assert b"role/opz" in {f.path: f.data for f in new.files}["charters/helper.yaml"]


def test_findings_from_a_revision_carry_it(two_commits, cli) -> None:
    root, first, _ = two_commits
    r = cli("lint", "-w", root, "--rev", "HEAD~1", "--today", "2026-11-25")
    assert r.exit_code == 0, r.stdout
    assert "at HEAD~1" in r.stdout
    r = cli("lint", "-w", root, "--rev", "HEAD", "--today", "2026-11-25", "-f", "json")
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["rev"] == "HEAD"
    [f] = data["findings"]
    assert f["code"] == "unknown-role"
    assert f["location"] == {"file": "charters/helper.yaml", "line": 6, "column": 10, "rev": "HEAD"}
    r = cli("lint", "-w", root, "--rev", "HEAD", "--today", "2026-11-25")
    assert r.stdout.startswith("HEAD:charters/helper.yaml:6:10: unknown-role error:")
    # sarif names the commit
    r = cli("lint", "-w", root, "--rev", first[:10], "-f", "sarif", "--today", "2026-11-25")
    run = json.loads(r.stdout)["runs"][0]
    assert run["versionControlProvenance"][0]["revisionId"] == first


def test_revision_with_uncommitted_files_ignores_them(two_commits) -> None:
    root, first, _ = two_commits
    write(root / "charters" / "new.yaml", "- not committed\n")
    result = load_workspace(root, first)
    assert result.findings == []


def test_unknown_revision_and_no_repository(two_commits, tmp_path: Path, cli) -> None:
    root, _, _ = two_commits
    with pytest.raises(GitError, match="unknown git revision 'nope'"):
        read_revision(root, "nope")
    r = cli("lint", "-w", root, "--rev", "nope")
    assert r.exit_code == 2
    assert r.stderr.startswith("agentctl: error: unknown git revision 'nope'\n  hint: ")
    plain = copy_base(tmp_path / "plain")
    r = cli("lint", "-w", plain, "--rev", "HEAD")
    assert r.exit_code == 2
    assert "not inside a git repository" in r.stderr


def test_revision_respects_excludes_of_that_revision(git_repo: Path) -> None:
    shutil.copytree(BASE, git_repo, dirs_exist_ok=True)
    write(
        git_repo / "agentctl.yaml",
        "apiVersion: agentctl/v1\nkind: Workspace\nmetadata: {name: base}\n"
        "spec: {exclude: [vendor]}\n",
    )
    write(git_repo / "vendor" / "x.yaml", "- junk\n")
    sha = commit_all(git_repo, "with vendor")
    git(git_repo, "rm", "-q", "agentctl.yaml")
    assert load_workspace(git_repo, sha).findings == []
