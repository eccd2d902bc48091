"""Checkpoints: a small JSON tree head to commit to git or hand to an auditor.

{"format_version": 1, "type": "agentctl-ledger-checkpoint", "ledger_id": …,
 "tree_size": n, "root_hash": hex (RFC 9162 MTH over the first n event hashes),
 "last_seq": n, "last_hash": hex, "created": RFC 3339,
 "consistency": {"from_tree_size": m, "from_root_hash": hex, "proof": [hex…]}}   (optional)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agentctl.ledger import merkle
from agentctl.ledger.errors import LedgerError
from agentctl.ledger.verify import VerifyReport

TYPE = "agentctl-ledger-checkpoint"


def make(rep: VerifyReport, created: str, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """The checkpoint of a verified ledger (rep made with keep_leaves=True)."""
    leaves = rep.leaf_hashes
    cp: dict[str, Any] = {
        "format_version": 1,
        "type": TYPE,
        "ledger_id": rep.ledger_id,
        "tree_size": len(leaves),
        "root_hash": merkle.root(leaves).hex(),
        "last_seq": rep.last_seq,
        "last_hash": rep.last_hash,
        "created": created,
    }
    if previous is not None:
        m = int(previous["tree_size"])
        if previous.get("ledger_id") != rep.ledger_id:
            raise LedgerError(
                "the previous checkpoint is for another ledger "
                f"({previous.get('ledger_id')}, this is {rep.ledger_id})"
            )
        if m > len(leaves):
            raise LedgerError(
                f"the previous checkpoint covers {m} events, the ledger holds {len(leaves)}",
                hint="the ledger was truncated: run agentctl ledger verify --checkpoint",
            )
        if m and merkle.root(leaves[:m]).hex() != previous["root_hash"]:
            raise LedgerError(
                f"events 1..{m} no longer match the previous checkpoint",
                hint="the ledger was rewritten: run agentctl ledger verify --checkpoint",
            )
        if m:
            cp["consistency"] = {
                "from_tree_size": m,
                "from_root_hash": previous["root_hash"],
                "proof": [h.hex() for h in merkle.consistency_proof(m, leaves)],
            }
    return cp


def extends(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Does checkpoint `new` provably extend `old` (its consistency proof, no ledger needed)?"""
    if old.get("ledger_id") != new.get("ledger_id"):
        return False
    m, n = int(old["tree_size"]), int(new["tree_size"])
    if m == n:
        return bool(old["root_hash"] == new["root_hash"])
    c = new.get("consistency") or {}
    if c.get("from_tree_size") != m or c.get("from_root_hash") != old["root_hash"]:
        return False
    try:
        proof = [bytes.fromhex(h) for h in c.get("proof", [])]
        return merkle.verify_consistency(
            m, n, bytes.fromhex(old["root_hash"]), bytes.fromhex(new["root_hash"]), proof
        )
    except (TypeError, ValueError):
        return False


def load(path: Path) -> dict[str, Any]:
    """Read a checkpoint file; LedgerError with the reason when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LedgerError(f"{path}: no such checkpoint file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"{path}: cannot read the checkpoint: {exc}") from None
    except json.JSONDecodeError as exc:
        raise LedgerError(
            f"{path}:{exc.lineno}:{exc.colno}: not a checkpoint: {exc.msg}",
            hint="write one with agentctl ledger checkpoint --out FILE",
        ) from None
    problems = _shape(data)
    if problems:
        raise LedgerError(
            f"{path}: not a checkpoint: {problems}",
            hint="write one with agentctl ledger checkpoint --out FILE",
        )
    return dict(data)


def _shape(data: Any) -> str:
    if not isinstance(data, dict) or data.get("type") != TYPE:
        return f'no "type": "{TYPE}"'
    size = data.get("tree_size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return "tree_size must be a whole number >= 0"
    root = data.get("root_hash")
    if not isinstance(root, str) or len(root) != 64:
        return "root_hash must be 64 hex characters"
    try:
        bytes.fromhex(root)
    except ValueError:
        return "root_hash must be 64 hex characters"
    if not isinstance(data.get("ledger_id"), str):
        return "ledger_id is missing"
    return ""
