"""The shared vocabulary: a Finding at a Location, with a severity and a hint."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True, slots=True)
class Location:
    """A place in the workspace: relative path, 1-based line and column, git revision."""

    file: str
    line: int = 1
    column: int = 1
    rev: str | None = None

    def __str__(self) -> str:
        prefix = f"{self.rev}:" if self.rev else ""
        return f"{prefix}{self.file}:{self.line}:{self.column}"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"file": self.file, "line": self.line, "column": self.column}
        if self.rev:
            d["rev"] = self.rev
        return d


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem (or note) about the workspace. Lint, load and gate results are all Findings."""

    code: str
    severity: Severity
    message: str
    location: Location
    hint: str | None = None
    key_path: str | None = None
    resource: str | None = None  # "kind/name" when the finding belongs to one resource
    extra: tuple[tuple[str, str], ...] = field(default=())

    def sort_key(self) -> tuple[Any, ...]:
        loc = self.location
        return (loc.file, loc.line, loc.column, self.severity.rank, self.code, self.message)

    def fingerprint(self) -> str:
        """Stable across commits that move the finding: no line numbers, only what it is about."""
        basis = "\x1f".join(
            [self.code, self.location.file, self.resource or "", self.key_path or "", self.message]
        )
        return hashlib.sha256(basis.encode()).hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "location": self.location.to_dict(),
        }
        if self.hint:
            d["hint"] = self.hint
        if self.key_path:
            d["key_path"] = self.key_path
        if self.resource:
            d["resource"] = self.resource
        return d


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(set(findings), key=Finding.sort_key)


def by_severity(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first, then by place: what a reader with little room should see first."""
    return sorted(set(findings), key=lambda f: (f.severity.rank, *f.sort_key()))


def count(findings: Iterable[Finding]) -> dict[str, int]:
    out = {s.value: 0 for s in Severity}
    for f in findings:
        out[f.severity.value] += 1
    return out
