"""agentctl/workspace/edit.py: the one place agentctl edits a user's YAML. A round trip of
every example file is byte-identical, and setting or removing `spec.paused` changes that
one line and nothing else."""

from __future__ import annotations

import difflib
import subprocess
from datetime import date
from pathlib import Path

import pytest
from support import REPO

from agentctl.scaffold import scaffold
from agentctl.workspace.edit import EditError, load_all, remove_key, set_key

PAUSED = ("spec", "paused")


def _examples() -> dict[str, str]:
    """Every example YAML file of the repository: the bundled workspace, the workspace
    `init` writes, and the test workspaces meant to be valid (lint's broken cases and the
    broken render workspace are not examples)."""
    listed = subprocess.run(
        ["git", "ls-files", "*.yaml", "*.yml"], cwd=REPO, capture_output=True, text=True
    ).stdout.split()
    out = {
        f: (REPO / f).read_text(encoding="utf-8")
        for f in listed
        if not f.startswith(("tests/lint/cases/", "tests/render/broken-workspace/"))
        and not f.startswith("agentctl/data/init/")  # templates: filled in below
    }
    for path, text in scaffold("example", date(2026, 3, 1)).items():
        if path.endswith((".yaml", ".yml")):
            out[f"init:{path}"] = text
    return out


EXAMPLES = _examples()
CHARTERS = [
    (f, i)
    for f, text in EXAMPLES.items()
    for i, d in enumerate(load_all(text))
    if isinstance(d, dict) and d.get("kind") == "Charter"
]


def test_the_examples_are_many() -> None:
    assert len(EXAMPLES) > 50 and len(CHARTERS) >= 15


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_round_trip_of_every_example_is_byte_identical(name: str) -> None:
    """Through ruamel's round-trip parser and our line splice, every document of every
    example file: a top-level key set is one added line, the data plus that key; removed,
    the file is byte-identical again. (ruamel's own emitter is not used: it rewrote 8 of the 44
    example files, joining wrapped strings and changing flow mappings.)"""
    text = EXAMPLES[name]
    key = ("x-round-trip",)
    docs = load_all(text, name)
    for doc, data in enumerate(docs):
        if not isinstance(data, dict) or not data:
            continue
        on = set_key(text, doc, key, True, name)
        assert _changed(text, on) == ["+ x-round-trip: true"]
        after = load_all(on, name)[doc]
        assert after.pop("x-round-trip") is True
        assert after == data
        assert remove_key(on, doc, key, name) == text


def _changed(a: str, b: str) -> list[str]:
    lines = difflib.ndiff(a.splitlines(True), b.splitlines(True))
    return [ln[0] + " " + ln[2:].strip() for ln in lines if ln[0] in "+-"]


@pytest.mark.parametrize(("name", "doc"), CHARTERS, ids=[f"{f}#{i}" for f, i in CHARTERS])
def test_setting_and_removing_paused_changes_only_that_line(name: str, doc: int) -> None:
    text = EXAMPLES[name]
    clean = remove_key(text, doc, PAUSED, name)  # an example may say paused already
    on = set_key(clean, doc, PAUSED, True, name)
    changed = _changed(clean, on)
    assert changed == ["+ paused: true"]
    assert load_all(on)[doc]["spec"]["paused"] is True
    assert remove_key(on, doc, PAUSED, name) == clean
    off = set_key(on, doc, PAUSED, False, name)
    assert _changed(on, off) == ["- paused: true", "+ paused: false"]


def test_an_existing_value_is_replaced_in_place_keeping_its_comment() -> None:
    text = (
        "kind: Charter  # c\nspec:\n  scope: 'x'\n  paused: false   # why: see INC-12\n"
        "  tools: [a.read, {x: 1}]\n"
    )
    got = set_key(text, 0, PAUSED, True)
    assert got == text.replace("paused: false ", "paused: true ")
    assert remove_key(got, 0, PAUSED) == "kind: Charter  # c\nspec:\n  scope: 'x'\n" + (
        "  tools: [a.read, {x: 1}]\n"
    )


def test_a_new_key_goes_first_in_its_mapping_of_its_document_only() -> None:
    """Below `spec:`, above the comment that introduces the first key (it stays with it)."""
    text = "a: 1\n---\n# two\nspec:  # s\n  # first\n  scope: y\r\n---\nspec: {scope: z}\n"
    got = set_key(text, 1, PAUSED, True)
    assert got == text.replace("spec:  # s\n", "spec:  # s\n  paused: true\r\n")
    assert set_key("paused: false\n", 0, ("paused",), True) == "paused: true\n"
    assert set_key("# c\nkind: X\n", 0, ("paused",), True) == "# c\npaused: true\nkind: X\n"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("spec: {scope: z}\n", "flow mapping"),
        ("spec:\n  paused:\n    - true\n", "not a one-line scalar"),
        ("spec: 3\n", "not a mapping"),
        ("- 1\n", "not a mapping"),
    ],
)
def test_what_cannot_be_edited_safely_is_refused(text: str, why: str) -> None:
    with pytest.raises(EditError) as err:
        set_key(text, 0, PAUSED, True, "c.yaml")
    assert why in err.value.message and err.value.message.startswith("c.yaml")


def test_a_file_that_does_not_parse_is_refused_with_its_place(tmp_path: Path) -> None:
    with pytest.raises(EditError) as err:
        set_key("spec:\n  a: [1\n", 0, PAUSED, True, "c.yaml")
    assert err.value.message.startswith("c.yaml:")
