"""YAML bytes → plain Python values that remember where they came from.

libyaml (through PyYAML's C binding) scans, parses and composes; we construct the
values ourselves, with YAML 1.2 core-schema scalars (`on`, `no` and `yes` stay strings,
unlike YAML 1.1) and dates kept as strings. Positions live on the containers only:
`YMap.kpos[key]` and `YList.ipos[i]` hold 1-based (line, column) pairs, so a value
costs nothing extra and a pydantic error `loc` can be walked back to a place.

ruamel.yaml's own C composer (0.19) fails on `get_node`, and its round-trip loader is
~20x slower than libyaml: round-trip editing is for commands that rewrite files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from agentctl.positions import Span, YList, YMap
from agentctl.workspace.paths import too_large_message

try:
    from yaml import CBaseLoader as _Loader
except ImportError:  # pragma: no cover - libyaml missing: correct but slower
    from yaml import BaseLoader as _Loader  # type: ignore[assignment]


MAX_EXPANDED_NODES = 1_000_000
# A bigger YAML file is refused unread (file-too-large). libyaml composes a document's
# nodes before we see them (~400 bytes each): 8 MiB of "1," would be 4 million nodes and
# 1.7 GB, so a file that may hold more than MAX_EXPANDED_NODES nodes is counted first
# (`_count_nodes`, events only, constant memory). Real files are far below both.
MAX_FILE_BYTES = 8 * 1024 * 1024
# Deeper documents are refused at a fixed depth, so the answer does not depend on how deep
# the caller's stack already is, and every later recursive walk (validation, lint, digest)
# stays far from Python's recursion limit. Real documents nest less than 20 levels.
MAX_DEPTH = 100


@dataclass(slots=True)
class YamlProblem:
    """A problem found while reading YAML; the loader turns it into a Finding."""

    code: str
    message: str
    line: int
    column: int
    hint: str | None = None
    severity: str = "error"


@dataclass(slots=True)
class RawDocument:
    index: int  # 0-based position of the document in its file
    line: int  # 1-based line where it starts
    data: Any
    problems: list[YamlProblem] = field(default_factory=list)


_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_INF = {".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf")}
_SCALAR_START = frozenset("0123456789-+.~ntfNTF")

_STR = "tag:yaml.org,2002:str"
# Untagged plain scalars get this tag, so an explicit `!!str 5` stays distinguishable
# from a plain `5` (BaseResolver gives both the str tag).
_PLAIN = "agentctl:plain"
_TAGS = {
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    _STR,
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


def resolve_plain(value: str) -> Any:
    """YAML 1.2 core schema for a plain (unquoted) scalar."""
    if not value:
        return None
    if value[0] not in _SCALAR_START:
        return value
    if value in _NULLS:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value):
        return float(value)
    if _HEX.match(value):
        return int(value[2:], 16)
    if _OCT.match(value):
        return int(value[2:], 8)
    if value[0] in "+-" and value[1:] in _INF:
        return -_INF[value[1:]] if value[0] == "-" else _INF[value[1:]]
    if value in _INF:
        return _INF[value]
    if value in (".nan", ".NaN", ".NAN"):
        return float("nan")
    return value


class _Builder:
    """Turns composed nodes into YMap/YList/scalars, collecting problems as it goes."""

    def __init__(self, text: str = "") -> None:
        self.text = text
        self._lines: list[str] | None = None
        self.problems: list[YamlProblem] = []
        self.memo: dict[int, Any] = {}
        self.active: set[int] = set()
        self.expanded = 0
        self.depth = 0

    def problem(self, node: Node, code: str, message: str, hint: str | None = None) -> None:
        m = node.start_mark
        self.problems.append(YamlProblem(code, message, m.line + 1, m.column + 1, hint))

    def build(self, node: Node) -> Any:
        if type(node) is ScalarNode:
            self.expanded += 1
            return self.scalar(node)
        key = id(node)
        if key in self.memo:  # an alias: the same value again, counted as expanded
            self.expanded += self._size(self.memo[key])
            self._check_expansion(node)
            return self.memo[key]
        if key in self.active:
            self.problem(node, "yaml-recursive", "recursive alias: this node contains itself")
            return None
        self.active.add(key)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _TooDeep(node)
            if isinstance(node, MappingNode):
                value: Any = self.mapping(node)
            else:
                assert isinstance(node, SequenceNode)
                value = self.sequence(node)
        finally:
            self.active.discard(key)
            self.depth -= 1
        self.memo[key] = value
        self._check_expansion(node)
        return value

    def _check_expansion(self, node: Node) -> None:
        if self.expanded > MAX_EXPANDED_NODES:
            raise _TooLarge(node)

    def _size(self, value: Any) -> int:
        if isinstance(value, dict):
            return 1 + sum(self._size(v) for v in value.values())
        if isinstance(value, list):
            return 1 + sum(self._size(v) for v in value)
        return 1

    def scalar(self, node: ScalarNode) -> Any:
        tag = node.tag
        value: str = node.value
        if tag == _PLAIN:
            return resolve_plain(value)
        if tag == _STR:
            return value
        if tag not in _TAGS:
            self.problem(
                node,
                "yaml-tag",
                f"unsupported YAML tag {tag!r}",
                "agentctl reads plain YAML: remove the tag, or quote the value",
            )
            return value
        resolved = resolve_plain(value)
        wanted = {
            "tag:yaml.org,2002:int": int,
            "tag:yaml.org,2002:float": float,
            "tag:yaml.org,2002:bool": bool,
            "tag:yaml.org,2002:null": type(None),
        }.get(tag)
        if wanted is float and isinstance(resolved, int) and not isinstance(resolved, bool):
            return float(resolved)
        if wanted is not None and not isinstance(resolved, wanted):
            self.problem(node, "yaml-tag", f"{value!r} is not a valid {tag.rsplit(':', 1)[-1]}")
            return value
        return resolved

    def mapping(self, node: MappingNode) -> YMap:
        if node.tag not in _TAGS:
            self.problem(node, "yaml-tag", f"unsupported YAML tag {node.tag!r}")
        m = node.start_mark
        out = YMap((m.line + 1, m.column + 1))
        merges: list[tuple[Node, Node]] = []
        for knode, vnode in node.value:
            if type(knode) is not ScalarNode:
                self.problem(knode, "yaml-key", "a mapping key must be a plain string")
                continue
            k: str = knode.value
            if k == "<<" and not knode.style:
                merges.append((knode, vnode))
                continue
            km = knode.start_mark
            if k in out.kpos:
                line, col = out.kpos[k]
                self.problem(
                    knode,
                    "yaml-duplicate-key",
                    f"duplicate key {k!r} (first defined at line {line}, column {col})",
                    "YAML keeps only one of them: remove or rename one",
                )
                continue
            vm = vnode.start_mark
            if vnode.tag == _STR and vnode.style in ('"', "'"):
                out.quoted.add(k)
            if type(vnode) is ScalarNode and vnode.end_mark.line != vm.line:
                if out.block is None:
                    out.block = {}
                out.block[k] = self._spans(vnode)
            out.kpos[k] = (km.line + 1, km.column + 1)
            out.vpos[k] = (vm.line + 1, vm.column + 1)
            dict.__setitem__(out, k, self.build(vnode))
        for knode, vnode in merges:
            self._merge(out, knode, vnode)
        return out

    def _spans(self, node: ScalarNode) -> tuple[Span, ...]:
        if self._lines is None:
            self._lines = self.text.split("\n")
        return scalar_spans(self._lines, node)

    def _merge(self, out: YMap, knode: Node, vnode: Node) -> None:
        sources = vnode.value if type(vnode) is SequenceNode else [vnode]
        for src in sources:
            value = self.build(src)
            if not isinstance(value, YMap):
                self.problem(knode, "yaml-merge", "'<<' must merge a mapping or a list of mappings")
                continue
            for k, v in value.items():
                if k not in out:
                    out[k] = v
                    out.kpos[k] = value.kpos[k]
                    out.vpos[k] = value.vpos[k]

    def sequence(self, node: SequenceNode) -> YList:
        if node.tag not in _TAGS:
            self.problem(node, "yaml-tag", f"unsupported YAML tag {node.tag!r}")
        m = node.start_mark
        out = YList((m.line + 1, m.column + 1))
        ipos = out.ipos
        for item in node.value:
            im = item.start_mark
            ipos.append((im.line + 1, im.column + 1))
            list.append(out, self.build(item))
        return out


class _TooLarge(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


class _TooDeep(_TooLarge):
    pass


def decode(data: bytes) -> tuple[str | None, YamlProblem | None]:
    """UTF-8 (with or without a BOM) or a problem at the first bad byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, YamlProblem(
            "yaml-encoding",
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded",
            line,
            col,
            "save the file as UTF-8",
        )
    if "\x00" in text:
        off = text.index("\x00")
        line = text.count("\n", 0, off) + 1
        col = off - (text.rfind("\n", 0, off) + 1) + 1
        return None, YamlProblem(
            "yaml-encoding", "NUL character: this looks like a binary file", line, col
        )
    return text, None


def _syntax_problem(exc: yaml.YAMLError, text: str) -> YamlProblem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    col = mark.column + 1 if mark is not None else 1
    lines = text.split("\n", line)
    here = lines[line - 1] if line - 1 < len(lines) else ""
    at_tab = here[col - 1 : col] == "\t" or (here[: col - 1].strip(" ") == "" and "\t" in here)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"{context}, {problem}" if context else str(problem)
    hint = "check the indentation and the quoting around this place"
    if at_tab or "'\\t'" in message:
        message = "a tab character where YAML allows only spaces"
        hint = "YAML forbids tabs for indentation: replace them with spaces"
    elif "undefined alias" in message:
        hint = "define the anchor (&name) before using the alias (*name)"
    return YamlProblem("yaml-syntax", f"YAML syntax error: {message}", line, col, hint)


_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class _PlainLoader(_Loader):
    # libyaml asks these of every untagged node. BaseResolver's answers, without its walk
    # over implicit and path resolvers (it has none) and without a super() call per node.
    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode:
            return _PLAIN if implicit[0] else _STR
        return _SEQ if kind is SequenceNode else _MAP

    # Called around every node for path resolvers, which we never register: C builtins
    # that ignore their arguments cost a fraction of the Python no-op methods (~4% of a load).
    descend_resolver = staticmethod(slice)  # type: ignore[assignment]
    ascend_resolver = staticmethod(tuple)  # type: ignore[assignment]


def parse_documents(text: str) -> Iterator[RawDocument]:
    """Yield each document of a YAML stream; a syntax error ends the stream as a problem."""
    loader = _PlainLoader(text)
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node said there was one
                break
            builder = _Builder(text)
            line = node.start_mark.line + 1
            try:
                data = builder.build(node)
            except _TooDeep as deep:
                m = deep.node.start_mark
                builder.problems.append(
                    YamlProblem(
                        "yaml-too-deep",
                        f"document nests deeper than {MAX_DEPTH} levels",
                        m.line + 1,
                        m.column + 1,
                        "flatten it",
                    )
                )
                data = None
            except _TooLarge as big:
                m = big.node.start_mark
                builder.problems.append(
                    YamlProblem(
                        "yaml-too-large",
                        f"document expands to more than {MAX_EXPANDED_NODES:,} values",
                        m.line + 1,
                        m.column + 1,
                        "aliases that repeat aliases multiply: is this an alias bomb?",
                    )
                )
                data = None
            yield RawDocument(index, line, data, builder.problems)
            index += 1
    except yaml.YAMLError as exc:
        yield RawDocument(index, 1, None, [_syntax_problem(exc, text)])
    except RecursionError:
        yield RawDocument(
            index,
            1,
            None,
            [YamlProblem("yaml-too-deep", "document nests too deeply", 1, 1, "flatten it")],
        )
    finally:
        loader.dispose()


# Every node but the first follows one of these bytes (a flow separator, an indicator, a
# line break): their count bounds the node count, cheaply (bytes.count is C, ~1 ms/MiB).
_NODE_MARKS = (b"\n", b",", b"[", b"{", b"-", b":", b"?", b"*")


def _count_nodes(text: str) -> tuple[int, int, int] | None:
    """(line, column, index) of the first document with more than MAX_EXPANDED_NODES
    nodes, counting parser events only (nothing is composed); None when none has."""
    loader = _PlainLoader(text)
    counted = (yaml.ScalarEvent, yaml.AliasEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)
    n = index = 0
    start = (1, 1)
    try:
        while loader.check_event():
            ev = loader.get_event()
            if isinstance(ev, yaml.DocumentStartEvent):
                m = ev.start_mark
                n, start = 0, (m.line + 1, m.column + 1) if m is not None else (1, 1)
            elif isinstance(ev, yaml.DocumentEndEvent):
                index += 1
            elif isinstance(ev, counted):
                n += 1
                if n > MAX_EXPANDED_NODES:
                    return start[0], start[1], index
    except yaml.YAMLError:
        return None  # the real parse reports the syntax error at its place
    finally:
        loader.dispose()
    return None


def parse_bytes(data: bytes) -> tuple[list[RawDocument], list[YamlProblem]]:
    if len(data) > MAX_FILE_BYTES:
        return [], [
            YamlProblem(
                "file-too-large",
                too_large_message(MAX_FILE_BYTES),
                1,
                1,
                "split it into smaller files",
            )
        ]
    text, problem = decode(data)
    if text is None:
        assert problem is not None
        return [], [problem]
    if sum(map(data.count, _NODE_MARKS)) >= MAX_EXPANDED_NODES:
        big = _count_nodes(text)
        if big is not None:
            line, col, index = big
            msg = f"document holds more than {MAX_EXPANDED_NODES:,} keys and values"
            hint = "split it into smaller documents; the file's documents were not read"
            return [
                RawDocument(
                    index, line, None, [YamlProblem("yaml-too-large", msg, line, col, hint)]
                )
            ], []
    return list(parse_documents(text)), []


_BLOCK_HEADER = re.compile(r"[|>][-+]?[1-9]")


def scalar_spans(lines: list[str], node: ScalarNode) -> tuple[Span, ...]:
    """Where each source line of a multi-line scalar sits in its value, so a column inside
    the value (a CEL error) maps back to line:column. Rebuilt from the source with YAML's
    folding rules and checked against the value: () whenever the two disagree (escapes,
    an explicit indentation indicator, tabs), and the caller falls back to the value's start.
    """
    value: str = node.value
    first, last = node.start_mark.line, node.end_mark.line
    style = node.style
    if last >= len(lines) or "\t" in value:
        return ()
    parts: list[tuple[int, int, str, bool]] = []  # (line, 0-based column, text, more-indented)
    if style in ("|", ">"):
        if _BLOCK_HEADER.match(lines[first][node.start_mark.column :]):
            return ()
        indent = None
        for n in range(first + 1, min(last + 1, len(lines))):
            raw = lines[n]
            if not raw.strip():
                parts.append((n, 0, "", False))
                continue
            if indent is None:
                indent = len(raw) - len(raw.lstrip(" "))
            if len(raw) - len(raw.lstrip(" ")) < indent:
                break
            parts.append((n, indent, raw[indent:], raw[indent : indent + 1] == " "))
    else:
        quoted = 1 if style in ('"', "'") else 0
        for n in range(first, last + 1):
            raw = lines[n]
            start = node.start_mark.column + quoted if n == first else 0
            end = node.end_mark.column - quoted if n == last else len(raw)
            piece = raw[start:end]
            text = piece.strip(" ")
            col = start + (len(piece) - len(piece.lstrip(" "))) if text else 0
            parts.append((n, col, text, False))
    return _check(value, _place(parts, style == "|", style in ("|", ">")), parts)


def _place(parts: list[tuple[int, int, str, bool]], literal: bool, block: bool) -> list[int]:
    """The offset in the value of each part's text, by YAML's line folding."""
    offsets: list[int] = []
    pos = 0
    empties = 0
    prev: tuple[int, int, str, bool] | None = None
    for part in parts:
        if not part[2]:
            empties += 1
            offsets.append(-1)
            continue
        if prev is None:
            pos += empties if block else 0
        elif literal or part[3] or prev[3]:
            pos += 1 + empties
        else:
            pos += empties or 1
        offsets.append(pos)
        pos += len(part[2])
        prev, empties = part, 0
    return offsets


def _check(
    value: str, offsets: list[int], parts: list[tuple[int, int, str, bool]]
) -> tuple[Span, ...]:
    spans = []
    for off, (line, col, text, _) in zip(offsets, parts, strict=True):
        if not text:
            continue
        if value[off : off + len(text)] != text:
            return ()
        spans.append((off, line + 1, col + 1, len(text)))
    return tuple(spans)
