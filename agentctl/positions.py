"""Values that remember where they came from: the containers the YAML loader builds and
the walk from a pydantic-style `loc` back to a (line, column).

A small module of its own so that the model (which maps validation errors to places) and
the loader (which builds these values) both depend on it and not on each other.
"""

from __future__ import annotations

from typing import Any

Pos = tuple[int, int]
# (offset in the value, line, column, length): one source line of a multi-line scalar
Span = tuple[int, int, int, int]


class YMap(dict[str, Any]):
    """A mapping with the position of itself, of each key and of each value."""

    __slots__ = ("block", "kpos", "pos", "quoted", "vpos")

    def __init__(self, pos: Pos) -> None:
        super().__init__()
        self.pos = pos
        self.kpos: dict[str, Pos] = {}
        self.vpos: dict[str, Pos] = {}
        self.quoted: set[str] = set()  # keys whose value is a quoted single-line scalar
        # keys whose string value spans lines (`|`, `>`, or a multi-line flow scalar):
        # where each source line's text sits in the value; () when that is not exact
        self.block: dict[str, tuple[Span, ...]] | None = None


class YList(list[Any]):
    """A sequence with its own position and each item's."""

    __slots__ = ("ipos", "pos")

    def __init__(self, pos: Pos) -> None:
        super().__init__()
        self.pos = pos
        self.ipos: list[Pos] = []


def position(root: Any, path: tuple[Any, ...], *, key: bool = False) -> Pos | None:
    """Walk `path` (pydantic-style loc) from `root`; the deepest known position on the way.

    With key=True and a path ending in a mapping key, the key's own position.
    """
    node = root
    best: Pos | None = getattr(root, "pos", None)
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, YMap) and isinstance(part, str) and part in node.kpos:
            best = node.kpos[part] if (key and last) else node.vpos[part]
            node = node[part]
        elif isinstance(node, YList) and isinstance(part, int) and 0 <= part < len(node):
            best = node.ipos[part]
            node = node[part]
        else:
            break
    return best


def key_path(path: tuple[Any, ...]) -> str:
    """`spec.gates[0].suite`: how every finding spells a key path (one spelling)."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out
