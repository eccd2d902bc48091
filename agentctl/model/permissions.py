"""Effective permissions: the one meaning of a grant.

A charter's `tools:` holds grants of three forms: a scope (`inventory.read`), one operation
(`inventory.get_stock`) or every operation of a connector (`inventory.*`). What the grant
*means* is the set of operations the charter can reach through it, each with its
connector, scope, effect and data classes. Lint, the guard, contracts, `inventory` and
`diff` ask this module, so a connector that adds an operation under a granted scope
changes every such charter's permissions, everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentctl.model.index import Permission, Workspace

__all__ = ["EFFECT_RANK", "CharterPermissions", "Permission", "covers", "effective_permissions"]
from agentctl.model.kinds import CharterDoc

EFFECT_RANK = {"read": 0, "write": 1, "destructive": 2}
SENSITIVE_PREFIXES = ("pii", "phi")


@dataclass(frozen=True)
class CharterPermissions:
    """A charter's effective permissions, as `inventory charter/NAME` reports them."""

    ref: str
    operations: dict[str, Permission]


def effective_permissions(ws: Workspace, charter: CharterDoc) -> dict[str, Permission]:
    """Every operation `charter` can reach in `ws`, by `connector.operation`."""
    return ws.effective_permissions(charter)


def covers(perms: dict[str, Permission], grant: str, ws: Workspace) -> list[str]:
    """The operations `grant` opens that `perms` does not reach (empty: fully covered).
    What a contract's `scopes:` entry asks of its provider, in operations."""
    return sorted(ref.qualified for ref in ws.operations_for(grant) if ref.qualified not in perms)


def is_sensitive(data_class: str) -> bool:
    return data_class.split(".", 1)[0] in SENSITIVE_PREFIXES
