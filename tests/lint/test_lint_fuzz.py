"""Property tests: whatever bytes or YAML a file holds, loading and linting it never raises.
The answer is always findings (each for a registered rule, at a real place) or a clean
result, and every renderer can print it.

Bounded: ~200 examples per property by default (AGENTCTL_STRESS_SCALE scales it).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lintcases import BASE

from agentctl.lint import all_rules, run_lint
from agentctl.render import github, json, markdown, sarif, text
from agentctl.workspace.loader import Source, SourceFile, build_workspace, read_tree
from agentctl.workspace.yamlload import parse_bytes

SCALE = float(os.environ.get("AGENTCTL_STRESS_SCALE", "1.0"))
EXAMPLES = max(10, int(200 * SCALE))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TODAY = date(2026, 11, 25)
RULES = all_rules()
BASE_SOURCE = read_tree(BASE)
BASE_FILES = {f.path: f.data for f in BASE_SOURCE.files}


def lint_files(files: dict[str, bytes]) -> Any:
    """Load and lint the files; check the invariants every result must keep."""
    sfs = [SourceFile(p, d) for p, d in sorted(files.items())]
    source = Source(sfs, frozenset(files) | BASE_SOURCE.paths)
    result = build_workspace(source)
    report = run_lint(result.workspace, result.findings, TODAY, files=len(files))
    for f in report.findings:
        assert f.code in RULES, f
        assert f.location.line >= 1 and f.location.column >= 1, f
        assert f.location.file in files or f.location.file == "agentctl.yaml", f
        assert f.message
    for renderer in (text, json, sarif, github, markdown):
        assert isinstance(renderer.render_lint(report), str)
    return report


def plain(value: Any) -> Any:
    """Our loader's YMap/YList as plain dicts and lists, for yaml.safe_dump."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


BASE_DOCS: list[tuple[str, Any]] = [
    (path, plain(doc.data))
    for path, data in sorted(BASE_FILES.items())
    for doc in parse_bytes(data)[0]
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "role/ops",
            "charter/planner",
            "evalsuite/planner-suite",
            "shop.read",
            "shop.write",
            "shop.*",
            "90s",
            "1000000000d",
            "$1,200",
            "2026-01-01",
            "9999-12-31",
            "event.units > 2",
            "output.x ==",
            "sk-abcdefghijklmnopqrstuvwxyz",
            "Charter",
            "agentctl/v1",
            "",
        ]
    ),
)
keys = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["apiVersion", "kind", "metadata", "name", "owner", "spec", "tools", "budget", "<<"]
    ),
)
trees = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(keys, children, max_size=6),
    ),
    max_leaves=40,
)


def dump(value: Any) -> bytes:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False).encode()


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data: bytes) -> None:
    lint_files({**BASE_FILES, "fuzz.yaml": data})


@FUZZ
@given(st.lists(st.text(max_size=80), max_size=12))
def test_arbitrary_text_lines(lines: list[str]) -> None:
    lint_files({**BASE_FILES, "fuzz.yaml": "\n".join(lines).encode("utf-8", "surrogatepass")})


@FUZZ
@given(st.lists(trees, min_size=1, max_size=3))
def test_arbitrary_yaml_trees(docs: list[Any]) -> None:
    data = b"---\n".join(dump(d) for d in docs)
    lint_files({**BASE_FILES, "fuzz.yaml": data})


@FUZZ
@given(
    st.sampled_from(range(len(BASE_DOCS))),
    st.lists(
        st.tuples(st.integers(0, 10**6), st.sampled_from(["set", "delete", "add"]), trees),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_valid_documents(which: int, mutations: list[tuple[int, str, Any]]) -> None:
    path, doc = BASE_DOCS[which]
    doc = plain(doc)
    for pick, op, value in mutations:
        doc = mutate(doc, pick, op, value)
    lint_files({**BASE_FILES, path: dump(doc)})


def nodes(value: Any, trail: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [trail]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(nodes(v, (*trail, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(nodes(v, (*trail, i)))
    return out


def mutate(doc: Any, pick: int, op: str, value: Any) -> Any:
    """Replace, delete or add at one place of the document, chosen by `pick`."""
    places = nodes(doc)
    trail = places[pick % len(places)]
    if not trail:
        return value if op == "set" else doc
    parent = doc
    for step in trail[:-1]:
        parent = parent[step]
    last = trail[-1]
    if op == "set":
        parent[last] = value
    elif op == "delete":
        del parent[last]
    elif isinstance(parent, dict):
        parent[f"extra{pick % 7}"] = value
    else:
        parent.insert(last, value)
    return doc


def test_the_mutation_harness_breaks_documents() -> None:
    # the property above is only meaningful if mutations reach lint as findings
    path, doc = BASE_DOCS[0]
    broken = mutate(plain(doc), 1, "set", 5)  # replace apiVersion
    report = lint_files({**BASE_FILES, path: dump(broken)})
    assert [f.code for f in report.findings] == ["unknown-api-version"]


def test_fuzz_examples_from_the_real_world(tmp_path: Path) -> None:
    """Inputs that once crashed or hung something, kept as regressions."""
    cases = [
        b"a: &a [*a]\n",
        b"\xef\xbb\xbf\xef\xbb\xbf",
        b"- " * 500 + b"x\n",
        b"{" * 150 + b"}" * 150,
        b"apiVersion: agentctl/v1\nkind: Charter\nmetadata: {name: x, owner: role/ops}\n"
        b"spec: {scope: s, runtime: {python: a.b:c}, credential: {issued: 9999-12-30, "
        b"lifetime: 30d}}\n",
        b"apiVersion: agentctl/v1\nkind: Charter\nmetadata: {name: x, owner: role/ops}\n"
        b"spec: {scope: s, runtime: {python: a.b:c}, "
        b"budget: {per_run: {wall_time: 1000000000d}}}\n",
        b"apiVersion: agentctl/v1\nkind: EvalSuite\nmetadata: {name: x, owner: role/ops}\n"
        b"spec: {charter: planner, cases: [{id: a, input: " + b"[" * 90 + b"]" * 90 + b"}]}\n",
    ]
    for data in cases:
        lint_files({**BASE_FILES, "fuzz.yaml": data})
