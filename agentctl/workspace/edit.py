"""Editing users' YAML: the one place agentctl writes into a workspace file it did not create.

ruamel.yaml's round-trip loader reads the file (every document, with the line and column of
each key and value); the change is then spliced into the original text line by line, so
comments, key order, quoting, flow collections and line breaks elsewhere in the file stay
byte for byte. (ruamel's own emitter does not: it refolds long plain scalars and rewrites
`[{a: b}]` as `[a: b]`, measured on this repository's examples.) After the splice the file
is read again and must hold exactly the data intended, or nothing is written.

Only block-style mappings are edited, and only keys whose value is a one-line scalar: what
else a user wrote is refused with a hint to edit it by hand.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from agentctl.errors import ConfigError

Path_ = Sequence[str]  # a key trail: ("spec", "paused")

# a plain or quoted one-line scalar, then an optional comment (YAML: ` #` starts one)
_SCALAR = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"][^#]*?)?(\s+#.*)?\s*$""")


class EditError(ConfigError):
    """A file agentctl cannot edit safely (a flow mapping, a multi-line value...)."""


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    return y


def load_all(text: str, file: str = "<text>") -> list[Any]:
    """Every document of `text` as ruamel round-trip nodes (positions kept)."""
    try:
        return list(_yaml().load_all(text))
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark is not None else file
        raise EditError(
            f"{where}: cannot read the file to edit it: {getattr(exc, 'problem', exc)}",
            hint="run agentctl lint, fix the file, then try again",
        ) from None


def set_key(text: str, doc: int, path: Path_, value: bool | int | str, file: str = "<text>") -> str:
    """`text` with `path` of document `doc` set to the scalar `value`: the value replaced on
    its line when the key is there, else one new line first in the mapping."""
    docs = load_all(text, file)
    parent, key = _parent(docs, doc, path, file)
    lines = _lines(text)
    literal = _literal(value)
    if key in parent:
        line, col = parent.lc.value(key)
        vline = lines[line]
        body, nl = _split_nl(vline)
        m = _SCALAR.match(body, col)
        if line != parent.lc.key(key)[0] or m is None or _is_container(parent[key]):
            raise _refuse(file, line, path, "its value is not a one-line scalar")
        comment = m.group(2) or ""
        lines[line] = body[:col] + literal + comment + nl
    else:
        first = next(iter(parent), None)
        if first is None:
            raise _refuse(file, parent.lc.line, path, "the mapping is empty")
        kline, kcol = parent.lc.key(first)
        if lines[kline][:kcol].strip(" "):
            raise _refuse(file, kline, path, "its mapping starts on a line shared with another")
        nl = _split_nl(lines[kline])[1] or "\n"
        # right below the mapping's own key (`spec:`), above any comment that introduces
        # the first key, so comments stay with the keys they describe
        at = kline
        if len(path) > 1:
            holder: Any = docs[doc]
            for k in path[:-2]:
                holder = holder[k]
            at = min(kline, holder.lc.key(path[-2])[0] + 1)
        lines.insert(at, " " * kcol + f"{key}: {literal}" + nl)
    out = _join(lines)
    _check(docs, load_all(out, file), doc, path, value, file)
    return out


def remove_key(text: str, doc: int, path: Path_, file: str = "<text>") -> str:
    """`text` without `path` of document `doc` (its one line removed); unchanged when the
    key is not there."""
    docs = load_all(text, file)
    parent, key = _parent(docs, doc, path, file)
    if key not in parent:
        return text
    lines = _lines(text)
    kline = parent.lc.key(key)[0]
    if parent.lc.value(key)[0] != kline or _is_container(parent[key]) or len(parent) == 1:
        raise _refuse(file, kline, path, "its value is not a one-line scalar")
    nxt = kline + 1
    if nxt < len(lines) and _continues(lines[nxt], parent.lc.key(key)[1]):
        raise _refuse(file, kline, path, "its value continues on the next line")
    del lines[kline]
    out = _join(lines)
    _check(docs, load_all(out, file), doc, path, _ABSENT, file)
    return out


def write_text(path: Path, text: str) -> None:
    """Replace `path` with `text` safely: a temporary file beside it, then os.replace (a
    crash leaves the old file or the new one, never half of it); the mode is kept."""
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- helpers ---------------------------------------------------------------------------

_ABSENT = object()


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _join(lines: list[str]) -> str:
    return "".join(lines)


def _split_nl(line: str) -> tuple[str, str]:
    body = line.rstrip("\r\n")
    return body, line[len(body) :]


def _is_container(value: Any) -> bool:
    return isinstance(value, dict | list)


def _continues(line: str, key_col: int) -> bool:
    """A line indented deeper than the key, not blank or a comment: a value continues."""
    body = line.rstrip("\r\n")
    stripped = body.lstrip(" ")
    return bool(stripped) and not stripped.startswith("#") and len(body) - len(stripped) > key_col


def _literal(value: bool | int | str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _refuse(file: str, line: int, path: Path_, why: str) -> EditError:
    return EditError(
        f"{file}:{line + 1}: cannot edit {'.'.join(path)}: {why}",
        hint="edit the file by hand",
    )


def _parent(docs: list[Any], doc: int, path: Path_, file: str) -> tuple[CommentedMap, str]:
    if doc >= len(docs) or not isinstance(docs[doc], CommentedMap):
        raise EditError(f"{file}: document {doc + 1} is not a mapping", hint="run agentctl lint")
    node: Any = docs[doc]
    for i, key in enumerate(path[:-1]):
        child = node.get(key)
        if not isinstance(child, CommentedMap):
            raise _refuse(file, node.lc.line, path[: i + 1], "not a mapping")
        node = child
    if node.fa.flow_style():
        raise _refuse(file, node.lc.line, path[:-1], "it is a flow mapping ({...})")
    return node, path[-1]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _check(
    before: list[Any], after: list[Any], doc: int, path: Path_, value: Any, file: str
) -> None:
    """The edited text must hold the same data as before but for `path`: else it is our bug,
    and nothing is written."""
    want = [_plain(d) for d in before]
    node = want[doc]
    for key in path[:-1]:
        node = node[key]
    if value is _ABSENT:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    if [_plain(d) for d in after] != want:
        raise AssertionError(f"{file}: editing {'.'.join(path)} changed other data")
