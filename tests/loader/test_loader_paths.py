"""Nothing is read outside the workspace: real symlinks, real `..` paths, real git commits
holding symlinks (mode 120000). A secret file outside the workspace carries a marker that
must never appear in any output; the target of a refused path is never opened."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from support import commit_all, git, write

from agentctl.workspace.loader import load_workspace, read_revision, read_tree
from agentctl.workspace.paths import PathRefused, inside, named, read_inside

MARKER = "SECRET-MARKER-7f3a"
# YAML whose content would be echoed by findings if it were read (unknown kind, unknown field)
SECRET_YAML = f"apiVersion: agentctl/v1\nkind: {MARKER}\nmetadata: {{name: x}}\n"

SETTINGS = "apiVersion: agentctl/v1\nkind: Workspace\nmetadata: {name: paths}\n"
ROLE = "apiVersion: agentctl/v1\nkind: Role\nmetadata: {name: ops}\n"
CHARTER = """\
apiVersion: agentctl/v1
kind: Charter
metadata: {name: planner, owner: role/ops}
spec:
  scope: plans
  runtime: {python: "agent:run"}
  tools: [shop.read]
  gates: [{suite: evalsuite/planner-suite}]
"""
CONNECTOR = """\
apiVersion: agentctl/v1
kind: Connector
metadata: {name: shop, owner: role/ops}
spec:
  transport: {fixture: FIXTURE}
  operations:
    stock: {scope: shop.read}
"""
SUITE = """\
apiVersion: agentctl/v1
kind: EvalSuite
metadata: {name: planner-suite, owner: role/ops}
spec:
  charter: charter/planner
  cases_file: CASES
"""
CASE = '{"id": "c1", "input": {}, "assert": ["true"]}\n'
AGENT = "def run(task, ctx):\n    return ctx.call('shop.stock', {})\n"


def make_ws(tmp: Path, fixture: str = "fx/shop.jsonl", cases: str = "cases.jsonl") -> Path:
    """A workspace at tmp/ws, and a secret outside it at tmp/secret.* (never to be read)."""
    root = tmp / "ws"
    write(root / "agentctl.yaml", SETTINGS + "spec: {python_path: [lib]}\n")
    write(root / "roles.yaml", ROLE)
    write(root / "charters/planner.yaml", CHARTER)
    write(root / "charters/shop.yaml", CONNECTOR.replace("FIXTURE", fixture))
    write(root / "charters/fx/shop.jsonl", '{"operation": "stock", "output": {"n": 1}}\n')
    write(root / "evals/suite.yaml", SUITE.replace("CASES", cases))
    write(root / "evals/cases.jsonl", CASE)
    write(root / "lib/agent.py", AGENT)
    write(tmp / "secret.yaml", SECRET_YAML)
    write(tmp / "secret.jsonl", f'{{"id": "{MARKER}", "input": {{}}, "assert": ["x"]}}\n')
    (tmp / "secret-dir").mkdir()
    write(tmp / "secret-dir/cases.jsonl", f'{{"id": "{MARKER}"}}\n')
    return root


def everything(result: Any) -> str:
    return json.dumps([f.to_dict() for f in result.findings]) + repr(result.workspace.summary())


# --- the rule itself ---------------------------------------------------------------------


def test_named_refuses_absolute_and_climbing_paths() -> None:
    assert named("evals/suite.yaml", "cases/a.jsonl") == "evals/cases/a.jsonl"
    assert named("evals/suite.yaml", "../simulator/a.jsonl") == "simulator/a.jsonl"
    for bad in ("/etc/passwd", "../../x", "../../../etc/passwd", "a/../../../x", "x\x00y"):
        with pytest.raises(PathRefused):
            named("evals/suite.yaml", bad)


def test_inside_follows_links_only_into_the_workspace(tmp_path: Path) -> None:
    root = make_ws(tmp_path)
    os.symlink("cases.jsonl", root / "evals/alias.jsonl")  # inside: followed
    os.symlink(tmp_path / "secret.jsonl", root / "evals/out.jsonl")  # absolute, outside
    os.symlink("../../secret.jsonl", root / "evals/up.jsonl")  # relative, outside
    os.symlink(tmp_path / "secret-dir", root / "evals/shared")  # a folder outside
    assert read_inside(root, "evals/alias.jsonl") == CASE.encode()
    for rel, why in [
        ("evals/out.jsonl", "is a symlink that points outside"),
        ("evals/up.jsonl", "is a symlink that points outside"),
        ("evals/shared/cases.jsonl", "lies under a symlinked folder"),
        ("../secret.jsonl", "leaves the workspace"),
    ]:
        with pytest.raises(PathRefused, match=why):
            inside(root, rel)


# --- the working tree --------------------------------------------------------------------


def test_a_symlink_to_a_secret_is_a_finding_and_never_read(tmp_path: Path, cli: Any) -> None:
    root = make_ws(tmp_path)
    os.symlink(tmp_path / "secret.yaml", root / "charters/evil.yaml")
    os.symlink("../../secret.yaml", root / "charters/evil2.yaml")
    os.symlink(tmp_path / "secret-dir", root / "evals/shared")
    result = load_workspace(root)
    got = sorted((f.code, f.location.file) for f in result.findings)
    assert got == [
        ("path-outside", "charters/evil.yaml"),
        ("path-outside", "charters/evil2.yaml"),
        ("path-outside", "evals/shared"),
    ]
    assert MARKER not in everything(result)
    for fmt in ("text", "json", "sarif", "github"):
        r = cli("lint", "-w", root, "--format", fmt)
        assert r.exit_code == 1
        assert MARKER not in r.stdout + r.stderr
        assert "path-outside" in r.stdout + r.stderr


def test_a_symlink_inside_the_workspace_is_followed(tmp_path: Path) -> None:
    root = make_ws(tmp_path, cases="linked.jsonl")
    os.symlink("cases.jsonl", root / "evals/linked.jsonl")
    result = load_workspace(root)
    assert [f.code for f in result.findings] == []
    (suite,) = result.workspace.suites
    assert [s.case.id for s in result.workspace.file_cases[suite.ref]] == ["c1"]


@pytest.mark.parametrize(
    "cases",
    ["../../secret.jsonl", "../secret.jsonl/../../secret.jsonl", "/ABS/secret.jsonl"],
)
def test_a_cases_path_that_leaves_is_path_outside_not_file_missing(
    tmp_path: Path, cli: Any, cases: str
) -> None:
    root = make_ws(tmp_path, cases=cases.replace("/ABS", str(tmp_path)))
    result = load_workspace(root)
    assert result.workspace.file_cases == {}  # never read
    r = cli("lint", "-w", root, "--format", "json")
    codes = [f["code"] for f in json.loads(r.stdout)["findings"]]
    assert "path-outside" in codes and "file-missing" not in codes
    assert MARKER not in r.stdout + r.stderr


def test_cases_through_a_symlinked_folder_outside_are_not_read(tmp_path: Path) -> None:
    root = make_ws(tmp_path, cases="shared/cases.jsonl")
    os.symlink(tmp_path / "secret-dir", root / "evals/shared")
    result = load_workspace(root)
    assert MARKER not in everything(result)
    assert result.workspace.file_cases == {}
    assert ("path-outside", "evals/shared") in {(f.code, f.location.file) for f in result.findings}


def test_fifo_and_dangling_links_are_no_files(tmp_path: Path) -> None:
    root = make_ws(tmp_path)
    os.mkfifo(root / "charters/pipe.yaml")  # reading it would block forever
    os.symlink("nowhere.yaml", root / "charters/dangling.yaml")
    os.symlink("loop-b.yaml", root / "charters/loop-a.yaml")
    os.symlink("loop-a.yaml", root / "charters/loop-b.yaml")
    src = read_tree(root)
    assert not any("loop" in p for p in src.paths)
    assert "charters/pipe.yaml" not in src.paths
    assert "charters/dangling.yaml" not in src.paths
    assert src.findings == []


# --- git revisions -----------------------------------------------------------------------


def test_git_symlinks_are_never_followed_on_the_disk(tmp_path: Path, git_repo: Path) -> None:
    outside = git_repo.parent
    write(outside / "secret.yaml", SECRET_YAML)
    root = git_repo / "ws"
    make_ws(git_repo.parent / "build")
    os.rename(git_repo.parent / "build/ws", root)
    write(git_repo / "elsewhere.yaml", SECRET_YAML)  # in the repository, not the workspace
    os.symlink(outside / "secret.yaml", root / "charters/abs.yaml")
    os.symlink("../../../secret.yaml", root / "charters/rel.yaml")
    os.symlink("../../elsewhere.yaml", root / "charters/repo.yaml")
    os.symlink("../roles.yaml", root / "charters/roles-again.yaml")  # inside: read from git
    os.symlink("charters", root / "linkdir")
    os.symlink("loop-b.yaml", root / "charters/loop-a.yaml")
    os.symlink("loop-a.yaml", root / "charters/loop-b.yaml")
    rev = commit_all(git_repo, "symlinks")
    # the working tree changes after the commit: the revision must not see it
    (root / "roles.yaml").write_text(SECRET_YAML)
    src = read_revision(root, rev)
    assert sorted((f.code, f.location.file, f.location.rev) for f in src.findings) == [
        ("path-outside", "charters/abs.yaml", rev),
        ("path-outside", "charters/rel.yaml", rev),
        ("path-outside", "charters/repo.yaml", rev),
    ]
    data = {f.path: f.data for f in src.files}
    assert data["charters/roles-again.yaml"] == ROLE.encode()
    assert data["roles.yaml"] == ROLE.encode()
    assert not any(MARKER.encode() in d for d in data.values())
    assert "linkdir" not in src.paths and not any(p.startswith("linkdir/") for p in src.paths)
    assert not any("loop" in p for p in src.paths)


def test_git_symlinked_cases_file_outside_is_not_read(tmp_path: Path, git_repo: Path) -> None:
    write(git_repo / "secret.jsonl", f'{{"id": "{MARKER}"}}\n')
    root = git_repo / "ws"
    make_ws(git_repo.parent / "build", cases="linked.jsonl")
    os.rename(git_repo.parent / "build/ws", root)
    os.symlink("../../secret.jsonl", root / "evals/linked.jsonl")
    rev = commit_all(git_repo, "cases via a link")
    result = load_workspace(root, rev)
    assert MARKER not in everything(result)
    assert ("path-outside", "evals/linked.jsonl") in {
        (f.code, f.location.file) for f in result.findings
    }
    git(git_repo, "status")  # the repository is intact


# --- connector fixtures (run) ------------------------------------------------------------


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink", "symlinked-folder"])
def test_a_fixture_outside_the_workspace_is_never_read(tmp_path: Path, cli: Any, how: str) -> None:
    write(
        tmp_path / "secret-fx.jsonl", f'{{"operation": "stock", "output": {{"s": "{MARKER}"}}}}\n'
    )
    (tmp_path / "fxdir").mkdir()
    write(
        tmp_path / "fxdir/shop.jsonl", f'{{"operation": "stock", "output": {{"s": "{MARKER}"}}}}\n'
    )
    fixture = {
        "dotdot": "../../secret-fx.jsonl",
        "absolute": str(tmp_path / "secret-fx.jsonl"),
        "symlink": "fx/link.jsonl",
        "symlinked-folder": "out/shop.jsonl",
    }[how]
    root = make_ws(tmp_path, fixture=fixture)
    os.symlink(tmp_path / "secret-fx.jsonl", root / "charters/fx/link.jsonl")
    os.symlink(tmp_path / "fxdir", root / "charters/out")
    r = cli("run", "planner", "-w", root, "--input", "{}", "--format", "json")
    assert MARKER not in r.stdout + r.stderr
    assert r.exit_code == 1, r.stdout + r.stderr
    assert "it is not read" in r.stdout + r.stderr
    # lint names the same place (it said file-missing for '..' while run read the file)
    r = cli("lint", "-w", root, "--format", "json")
    found = {(f["code"], f["location"]["file"]) for f in json.loads(r.stdout)["findings"]}
    assert MARKER not in r.stdout + r.stderr
    assert {
        "dotdot": ("path-outside", "charters/shop.yaml"),
        "absolute": ("path-outside", "charters/shop.yaml"),
        "symlink": ("path-outside", "charters/fx/link.jsonl"),
        "symlinked-folder": ("path-outside", "charters/out"),
    }[how] in found


# --- caps --------------------------------------------------------------------------------


def test_cases_lines_within_the_caps_never_crash() -> None:
    from agentctl.workspace.cases import parse_cases

    data = b"\n".join(
        [
            b"[" * 100_000,  # RecursionError in json once
            b'{"id": ' + b"1" * 5000 + b"}",  # ValueError (over 4300 digits) once
            b'{"id": "a", "input": {"x": ' + b"[" * 200 + b"]" * 200 + b'}, "assert": []}',
            b'{"id": "b\xe2\x80\xa8c", "input": {}, "assert": ["true"]}',  # U+2028 inside
            b'{"id": "' + b"x" * (1 << 20) + b'"}',
        ]
    )
    sites, findings = parse_cases(data, "c.jsonl", None, "evalsuite/x")
    assert [(f.location.line, f.message[:38]) for f in findings] == [
        (1, "the case nests deeper than 100 levels"),
        (2, "not a JSON object: Exceeds the limit ("),
        (3, "the case nests deeper than 100 levels"),
        (5, "the line is longer than 1 MiB"),
    ]
    assert [s.case.id for s in sites] == ["b\u2028c"]


def test_an_oversized_cases_file_is_refused_unread(tmp_path: Path) -> None:
    root = make_ws(tmp_path)
    with (root / "evals/cases.jsonl").open("ab") as fh:
        fh.truncate(64 * 1024 * 1024 + 1)  # sparse: costs no disk
    result = load_workspace(root)
    assert [(f.code, f.location.file, f.message) for f in result.findings] == [
        ("file-too-large", "evals/cases.jsonl", "the file is larger than 64 MiB: it is not read")
    ]


def test_a_yaml_file_over_the_cap_or_the_node_count_is_refused(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = make_ws(tmp_path)
    (root / "charters/huge.yaml").write_bytes(b"# x\n" * (2 << 20) + b"a: 1\n")  # 8 MiB + 5
    # 3 MiB of "1," would compose 1.5 million libyaml nodes (~650 MB): counted first instead
    (root / "charters/wide.yaml").write_bytes(b"[" + b"1," * (3 << 19) + b"1]\n")
    # the child's own peak: VmHWM belongs to the new process image, while ru_maxrss keeps
    # the high-water mark of the (large, forked) test process across exec
    code = (
        "import json, re, sys\n"
        "from agentctl.workspace.loader import load_workspace\n"
        "r = load_workspace(__import__('pathlib').Path(sys.argv[1]))\n"
        "hwm = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
        "print(json.dumps([sorted((f.code, f.location.file, f.location.line)"
        " for f in r.findings), hwm]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True
    ).stdout
    findings, max_rss_kib = json.loads(out)
    assert findings == [
        ["file-too-large", "charters/huge.yaml", 1],
        ["yaml-too-large", "charters/wide.yaml", 1],
    ]
    assert max_rss_kib < 300 * 1024, f"{max_rss_kib:,} KiB"
