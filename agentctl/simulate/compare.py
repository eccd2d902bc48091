"""Decision flips: the same events through two revisions, compared event by event.

Both engines consume the stream in lockstep, so a comparison needs no more memory than
one run: each event's decisions are paired by policy and compared on the spot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from agentctl.engine.core import Decision
from agentctl.findings import Finding
from agentctl.simulate.report import SimRun

KINDS = ("only_old", "only_new", "changed")
EXAMPLES = 3  # per policy and kind: a reviewer reads the first few, not all


@dataclass(frozen=True)
class Flip:
    kind: str
    old: Decision | None
    new: Decision | None
    changes: tuple[str, ...] = ()

    @property
    def any(self) -> Decision:
        d = self.new or self.old
        assert d is not None
        return d

    def to_dict(self) -> dict[str, Any]:
        d = self.any
        return {
            "kind": self.kind,
            "ts": d.time,
            "line": d.seq,
            "policy": d.policy,
            "key": d.key,
            "changes": list(self.changes),
            "old": None if self.old is None else self.old.to_dict(),
            "new": None if self.new is None else self.new.to_dict(),
        }


@dataclass
class PolicyFlips:
    policy: str
    status: str  # same | modified | added | removed
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    examples: dict[str, list[Flip]] = field(default_factory=lambda: {k: [] for k in KINDS})
    # changed flips where only the key differs (a key added or changed): every decision a
    # newly keyed policy keeps is one, so they give way to other examples
    key_only: int = 0
    _key_only_examples: list[Flip] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, flip: Flip) -> None:
        self.counts[flip.kind] += 1
        if flip.changes == ("key",):
            self.key_only += 1
            if len(self._key_only_examples) < EXAMPLES:
                self._key_only_examples.append(flip)
        elif len(self.examples[flip.kind]) < EXAMPLES:
            self.examples[flip.kind].append(flip)

    def finish(self) -> None:
        """Top the changed examples up with key-only ones when there are too few others."""
        changed = self.examples["changed"]
        changed.extend(self._key_only_examples[: EXAMPLES - len(changed)])
        self._key_only_examples = []

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "status": self.status,
            **self.counts,
            "changed_key_only": self.key_only,
            "examples": {k: [f.to_dict() for f in v] for k, v in self.examples.items()},
        }


@dataclass
class CompareRun:
    title: str
    events_file: str
    base: SimRun
    head: SimRun
    policies: list[PolicyFlips] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def flips(self) -> int:
        return sum(p.total for p in self.policies)

    def totals(self) -> dict[str, int]:
        return {k: sum(p.counts[k] for p in self.policies) for k in KINDS}


def _signature(d: Decision) -> tuple[tuple[str, Any], ...]:
    return (
        ("key", d.key),
        ("outcome", d.label),
        ("approvals", d.approvers()),
        ("cost", d.cost_usd if d.cost_usd is not None else Decimal(0)),
        ("value", d.value_usd if d.value_usd is not None else Decimal(0)),
        ("input", tuple(repr(a.input) for a in d.actions)),
    )


def diff(old: list[Decision], new: list[Decision]) -> list[Flip]:
    """Pair one event's decisions by policy (a policy decides once per event, for one key);
    what differs, the key included, is a flip."""
    if not old and not new:
        return []
    by_old = {d.policy: d for d in old}
    by_new = {d.policy: d for d in new}
    flips = []
    for name in sorted(by_old.keys() | by_new.keys()):
        a, b = by_old.get(name), by_new.get(name)
        if b is None:
            flips.append(Flip("only_old", a, None))
        elif a is None:
            flips.append(Flip("only_new", None, b))
        else:
            sa, sb = _signature(a), _signature(b)
            changed = tuple(ka for (ka, va), (_, vb) in zip(sa, sb, strict=True) if va != vb)
            if changed:
                flips.append(Flip("changed", a, b, changed))
    return flips
