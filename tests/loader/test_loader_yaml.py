"""The YAML layer: bytes → values with positions, YAML 1.2 scalars, and every way a file
can be malformed turned into a problem at a place (never an exception)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from agentctl.positions import YList, YMap, position
from agentctl.workspace.yamlload import (
    MAX_DEPTH,
    MAX_EXPANDED_NODES,
    parse_bytes,
    resolve_plain,
)


def one(src: str | bytes) -> tuple[Any, list[tuple[str, int, int]]]:
    """The single document of `src` (a YMap, a YList or a scalar) and its problems as
    (code, line, column)."""
    data = src.encode() if isinstance(src, str) else src
    docs, file_problems = parse_bytes(data)
    assert file_problems == []
    assert len(docs) == 1
    return docs[0].data, [(p.code, p.line, p.column) for p in docs[0].problems]


def test_positions_are_one_based_for_keys_values_and_items() -> None:
    data, problems = one("a: 1\nb:\n  c: [x, y]\n  d:\n    - z\n")
    assert problems == []
    assert isinstance(data, YMap)
    assert data.pos == (1, 1)
    assert data.kpos == {"a": (1, 1), "b": (2, 1)}
    assert data.vpos["a"] == (1, 4)
    inner = data["b"]
    assert isinstance(inner, YMap)
    assert inner.kpos["c"] == (3, 3)
    assert isinstance(inner["c"], YList)
    assert inner["c"].ipos == [(3, 7), (3, 10)]
    assert inner["d"].ipos == [(5, 7)]
    assert position(data, ("b", "c", 1)) == (3, 10)
    assert position(data, ("b", "c"), key=True) == (3, 3)
    # a path that leaves the document: the deepest known place on the way
    assert position(data, ("b", "nope", "deeper")) == (3, 3)


def test_multi_document_file_keeps_each_documents_index_and_line() -> None:
    docs, problems = parse_bytes(b"a: 1\n---\nb: 2\n---\n# c\nc: 3\n")
    assert problems == []
    assert [(d.index, d.line, dict(d.data)) for d in docs] == [
        (0, 1, {"a": 1}),
        (1, 3, {"b": 2}),
        (2, 6, {"c": 3}),
    ]


def test_document_end_markers_and_explicit_start() -> None:
    docs, _ = parse_bytes(b"---\na: 1\n...\n---\nb: 2\n")
    assert [dict(d.data) for d in docs] == [{"a": 1}, {"b": 2}]


@pytest.mark.parametrize(
    ("plain", "value"),
    [
        ("on", "on"),
        ("off", "off"),
        ("yes", "yes"),
        ("no", "no"),
        ("y", "y"),
        ("n", "n"),
        ("true", True),
        ("False", False),
        ("null", None),
        ("~", None),
        ("", None),
        ("42", 42),
        ("-7", -7),
        ("010", 10),  # YAML 1.2: decimal, not octal
        ("0o17", 15),
        ("0x1F", 31),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("-.inf", float("-inf")),
        ("2026-01-31", "2026-01-31"),  # dates stay strings; the models parse them
        ("12:30", "12:30"),  # not sexagesimal
        ("1_000", "1_000"),
        ("90s", "90s"),
    ],
)
def test_yaml_1_2_core_schema(plain: str, value: object) -> None:
    assert resolve_plain(plain) == value
    assert type(resolve_plain(plain)) is type(value)


def test_on_no_yes_stay_strings_as_keys_and_values() -> None:
    data, problems = one("on: [push]\nno: yes\nanswer: no\n")
    assert problems == []
    assert dict(data) == {"on": ["push"], "no": "yes", "answer": "no"}


def test_quoted_scalars_are_strings() -> None:
    data, _ = one("a: '5'\nb: \"true\"\nc: 'null'\n")
    assert dict(data) == {"a": "5", "b": "true", "c": "null"}
    assert data.quoted == {"a", "b", "c"}


def test_standard_tags_are_honoured_and_checked() -> None:
    data, problems = one("a: !!str 5\nb: !!float 2\nc: !!int nope\nd: !!str true\ne: 5\n")
    assert data["a"] == "5"
    assert data["d"] == "true"
    assert data["e"] == 5
    assert data["b"] == 2.0 and isinstance(data["b"], float)
    assert problems == [("yaml-tag", 3, 4)]


def test_unknown_tags_are_refused_not_constructed() -> None:
    data, problems = one("a: !!python/object/apply:os.system ['false']\nb: !Ref x\n")
    assert [p[0] for p in problems] == ["yaml-tag", "yaml-tag"]
    assert [p[1:] for p in problems] == [(1, 4), (2, 4)]
    # nothing was constructed: the values are plain data
    assert data["a"] == ["false"] and data["b"] == "x"


def test_duplicate_key_keeps_the_first_and_says_where_it_was() -> None:
    docs, _ = parse_bytes(b"a: 1\nb: 2\na: 3\n")
    d = docs[0]
    assert dict(d.data) == {"a": 1, "b": 2}
    [p] = d.problems
    assert (p.code, p.line, p.column) == ("yaml-duplicate-key", 3, 1)
    assert "first defined at line 1, column 1" in p.message
    assert p.hint


def test_tab_indentation_is_a_syntax_problem_with_a_tab_hint() -> None:
    docs, _ = parse_bytes(b"a:\n\tb: 1\n")
    [p] = docs[-1].problems
    assert (p.code, p.line) == ("yaml-syntax", 2)
    assert "tab" in p.message and "spaces" in (p.hint or "")


@pytest.mark.parametrize(
    ("src", "line", "column"),
    [
        ("a: [1, 2\nb: 3\n", 2, 2),
        ("a: 'unclosed\n", 2, 1),
        ("a: b: c\n", 1, 5),
        ("- a\nb: 1\n", 2, 1),
        ("a: *nothing\n", 1, 4),
    ],
)
def test_syntax_errors_are_problems_with_a_place(src: str, line: int, column: int) -> None:
    docs, problems = parse_bytes(src.encode())
    assert problems == []
    [p] = docs[-1].problems
    assert p.code == "yaml-syntax"
    assert (p.line, p.column) == (line, column)
    assert p.message.startswith("YAML syntax error: ")


def test_undefined_alias_hint() -> None:
    docs, _ = parse_bytes(b"a: *nothing\n")
    assert "anchor" in (docs[-1].problems[0].hint or "")


def test_syntax_error_in_a_later_document_keeps_the_earlier_ones() -> None:
    docs, _ = parse_bytes(b"a: 1\n---\nb: [\n")
    assert dict(docs[0].data) == {"a": 1}
    assert docs[0].problems == []
    assert docs[1].problems[0].code == "yaml-syntax"


def test_non_utf8_bytes_point_at_the_first_bad_byte() -> None:
    docs, problems = parse_bytes(b"a: 1\nname: caf\xe9\n")
    assert docs == []
    [p] = problems
    assert (p.code, p.line, p.column) == ("yaml-encoding", 2, 10)
    assert "0xe9" in p.message


def test_utf16_file_is_an_encoding_problem() -> None:
    _, problems = parse_bytes("a: 1\n".encode("utf-16"))
    assert [p.code for p in problems] == ["yaml-encoding"]


def test_nul_character_is_an_encoding_problem() -> None:
    _, problems = parse_bytes(b"a: 1\nb: \x00\n")
    assert [(p.code, p.line, p.column) for p in problems] == [("yaml-encoding", 2, 4)]


def test_byte_order_mark_is_accepted_and_does_not_shift_columns() -> None:
    data, problems = one(b"\xef\xbb\xbfa: 1\nb: x\n")
    assert problems == []
    assert dict(data) == {"a": 1, "b": "x"}
    assert data.kpos["a"] == (1, 1)
    assert data.vpos["b"] == (2, 4)


def test_utf8_text_columns_count_characters() -> None:
    data, _ = one("é: ü\nx: 1\n")
    assert data.vpos["é"] == (1, 4)


@pytest.mark.parametrize("src", [b"", b"\n\n", b"# only a comment\n", b"\xef\xbb\xbf"])
def test_empty_files_have_no_documents(src: bytes) -> None:
    assert parse_bytes(src) == ([], [])


def test_empty_documents_are_none() -> None:
    docs, _ = parse_bytes(b"a: 1\n---\n---\nb: 2\n")
    assert [d.data for d in docs][1] is None
    assert len(docs) == 3


def test_merge_keys_merge_and_explicit_keys_win() -> None:
    data, problems = one(
        "base: &base {x: 1, y: 2}\nm:\n  <<: *base\n  y: 3\nn:\n  <<: [*base, {z: 4}]\n"
    )
    assert problems == []
    assert dict(data["m"]) == {"y": 3, "x": 1}
    assert dict(data["n"]) == {"x": 1, "y": 2, "z": 4}
    # merged keys keep the place they were written
    assert data["m"].kpos["x"] == (1, 14)
    assert data["m"].kpos["y"] == (4, 3)


def test_quoted_merge_key_is_an_ordinary_key() -> None:
    data, _ = one("'<<': 1\n")
    assert dict(data) == {"<<": 1}


def test_merge_of_a_scalar_is_a_problem() -> None:
    data, problems = one("a: 1\n<<: [5]\n")
    assert dict(data) == {"a": 1}
    assert problems == [("yaml-merge", 2, 1)]


def test_anchors_and_aliases_share_values() -> None:
    data, problems = one("a: &x [1, 2]\nb: *x\n")
    assert problems == []
    assert data["a"] == data["b"] == [1, 2]


def test_complex_keys_are_refused() -> None:
    data, problems = one("? [a, b]\n: 1\nc: 2\n")
    assert dict(data) == {"c": 2}
    assert problems == [("yaml-key", 1, 3)]


def test_recursive_alias_is_a_problem_not_a_loop() -> None:
    data, problems = one("a: &a\n  b: *a\nl: &l [1, *l]\n")
    assert [p[0] for p in problems] == ["yaml-recursive", "yaml-recursive"]
    assert data["a"]["b"] is None
    assert data["l"] == [1, None]


def billion_laughs(levels: int = 9) -> bytes:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    prev = "a"
    for i in range(1, levels):
        name = f"l{i}"
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
        prev = name
    return ("\n".join(lines) + "\n").encode()


def test_alias_bomb_is_refused_quickly() -> None:
    start = time.perf_counter()
    docs, _ = parse_bytes(billion_laughs())
    elapsed = time.perf_counter() - start
    [d] = docs
    assert d.data is None
    [p] = d.problems
    assert p.code == "yaml-too-large"
    assert f"{MAX_EXPANDED_NODES:,}" in p.message
    # the anchor whose repetition crosses a million values: l4 (10**5 values, line 5)
    assert (p.line, p.column) == (5, 5)
    # generous bound: the point is that it does not expand 10**9 values (minutes, GBs)
    assert elapsed < 20


def test_moderate_aliasing_is_fine() -> None:
    docs, _ = parse_bytes(billion_laughs(4))
    assert docs[0].problems == []


def test_nesting_limit_is_a_fixed_depth_with_a_place() -> None:
    ok = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    deep = "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"
    assert one(ok)[1] == []
    data, problems = one(deep)
    assert data is None
    assert problems == [("yaml-too-deep", 1, 3 + MAX_DEPTH)]


def test_block_nesting_limit() -> None:
    src = "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 5))
    data, problems = one(src)
    assert data is None
    assert problems[0][0] == "yaml-too-deep"
