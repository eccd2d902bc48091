"""Field-level differences between two versions of one document.

Documents are compared as their validated models, never as text: comments, key order,
quoting and layout are no change. Lists of scalars (`tools`, `data_classes`, `on`) are
compared as sets; lists of maps by an identity key where one exists (`gates` by suite,
`cases` by id), else by position.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from agentctl.model.types import format_duration
from agentctl.positions import key_path

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()

# list fields of maps whose items have an identity: compared by it, not by position
IDENTITY = {"gates": "suite", "cases": "id", "approvals": "require"}


@dataclass(frozen=True)
class FieldChange:
    """One changed value: `old` or `new` is MISSING when the field was added or removed."""

    path: tuple[str | int, ...]
    old: Any
    new: Any

    @property
    def key(self) -> str:
        return key_path(self.path)

    @property
    def added(self) -> bool:
        return self.old is MISSING

    @property
    def removed(self) -> bool:
        return self.new is MISSING


def dump(doc: Any) -> dict[str, Any]:
    """The document as plain values (by alias: `for`, `assert`), typed leaves kept."""
    out = doc.model_dump(mode="python", by_alias=True, exclude_none=True)
    assert isinstance(out, dict)
    return out


def show(value: Any) -> str:
    """A value as a reviewer reads it (durations as written, money without float noise)."""
    if value is MISSING:
        return "(none)"
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, Decimal):
        return f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, default=show, sort_keys=True)
    return str(value)


def changes(old: Any, new: Any, path: tuple[str | int, ...] = ()) -> list[FieldChange]:
    """Every leaf that differs between `old` and `new` (dumped documents)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[FieldChange] = []
        for k in sorted(set(old) | set(new), key=str):
            a, b = old.get(k, MISSING), new.get(k, MISSING)
            if a is MISSING or b is MISSING:
                if a != b:
                    out.append(FieldChange((*path, k), a, b))
                continue
            out.extend(changes(a, b, (*path, k)))
        return out
    if isinstance(old, list) and isinstance(new, list):
        return _list_changes(old, new, path)
    if old != new or type(old) is not type(new):
        return [FieldChange(path, old, new)]
    return []


def _list_changes(old: list[Any], new: list[Any], path: tuple[str | int, ...]) -> list[FieldChange]:
    if old == new:
        return []
    if all(not isinstance(v, dict | list) for v in old + new):
        if sorted(map(str, old)) == sorted(map(str, new)):
            return []  # a reordered set of scalars: no change
        return [FieldChange(path, old, new)]
    ident = IDENTITY.get(str(path[-1])) if path else None
    if ident and all(isinstance(v, dict) and ident in v for v in old + new):
        a = {str(v[ident]): (i, v) for i, v in enumerate(old)}
        b = {str(v[ident]): (i, v) for i, v in enumerate(new)}
        out: list[FieldChange] = []
        for k in sorted(set(a) | set(b)):
            if k not in b:
                out.append(FieldChange((*path, a[k][0]), a[k][1], MISSING))
            elif k not in a:
                out.append(FieldChange((*path, b[k][0]), MISSING, b[k][1]))
            else:
                out.extend(changes(a[k][1], b[k][1], (*path, b[k][0])))
        return out
    out = []
    for i in range(max(len(old), len(new))):
        x = old[i] if i < len(old) else MISSING
        y = new[i] if i < len(new) else MISSING
        if x is MISSING or y is MISSING:
            out.append(FieldChange((*path, i), x, y))
        else:
            out.extend(changes(x, y, (*path, i)))
    return out
