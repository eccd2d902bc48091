"""Scenario expectations, checked while the decisions stream past (like promtool's tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentctl.engine.core import OUTCOMES, SUPPRESS_REASONS, Decision
from agentctl.engine.events import format_ts, parse_ts
from agentctl.findings import Finding, Location, Severity
from agentctl.model.kinds import Expectation

LABELS = tuple(o for o in OUTCOMES) + tuple(f"suppressed:{r}" for r in SUPPRESS_REASONS)
SAMPLES = 3


@dataclass
class Check:
    """One expectation: which decisions count, how many were seen, and what else happened."""

    index: int
    policy: str
    outcome: str
    start: float | None
    end: float | None
    count: int | None
    location: Location | None = None
    key: str | None = None  # only this key's decisions count
    matched: int = 0
    first_match: float | None = None
    inside: list[tuple[float, str]] = field(default_factory=list)  # other decisions in window
    before: tuple[float, str] | None = None  # the policy's last decision before the window
    after: tuple[float, str] | None = None  # its first decision after the window

    def observe(self, d: Decision) -> None:
        if self.key is not None and d.key != self.key:
            return
        if self.start is not None and d.ts < self.start:
            self.before = (d.ts, d.label)
            return
        if self.end is not None and d.ts > self.end:
            if self.after is None:
                self.after = (d.ts, d.label)
            return
        label = d.label
        if label == self.outcome or (self.outcome == "suppressed" and d.outcome == "suppressed"):
            self.matched += 1
            if self.first_match is None:
                self.first_match = d.ts
        elif len(self.inside) < SAMPLES:
            self.inside.append((d.ts, label))

    @property
    def passed(self) -> bool:
        return self.matched == self.count if self.count is not None else self.matched >= 1

    def when(self) -> str:
        if self.start is None and self.end is None:
            return "at any time"
        if self.start == self.end and self.start is not None:
            return f"at {format_ts(self.start)}"
        a = format_ts(self.start) if self.start is not None else "the start"
        b = format_ts(self.end) if self.end is not None else "the end"
        return f"between {a} and {b}"

    def expected(self) -> str:
        n = f"exactly {self.count}x" if self.count is not None else "at least once"
        key = f" for key {self.key}" if self.key is not None else ""
        return f"{self.policy} {self.outcome}{key} {n} {self.when()}"

    def got(self) -> str:
        parts = []
        if self.matched:
            parts.append(
                f"{self.outcome} {self.matched}x (first {format_ts(self.first_match or 0)})"
            )
        parts.extend(f"{label} at {format_ts(ts)}" for ts, label in self.inside)
        if not parts:
            parts.append("no decision in that window")
            if self.before:
                parts.append(f"before it: {self.before[1]} at {format_ts(self.before[0])}")
            if self.after:
                parts.append(f"after it: {self.after[1]} at {format_ts(self.after[0])}")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "policy": self.policy,
            "key": self.key,
            "outcome": self.outcome,
            "from": None if self.start is None else format_ts(self.start),
            "to": None if self.end is None else format_ts(self.end),
            "count": self.count,
            "matched": self.matched,
            "passed": self.passed,
            "expected": self.expected(),
            "got": self.got(),
        }
        if self.location is not None:
            d["location"] = self.location.to_dict()
        return d


def prepare(
    expectations: list[Expectation],
    policies: set[str],
    where: Any = None,
    keyed: set[str] | None = None,
) -> tuple[list[Check], list[Finding]]:
    """Checks from a scenario's `expect:` list; bad times, outcomes or policies are findings.

    `where(i, key)` gives the Location of expectation i's key (a Resource's positions);
    `keyed` names the policies with a `key:` (only their expectations may name a key).
    """
    checks: list[Check] = []
    findings: list[Finding] = []

    def loc(i: int, key: str) -> Location:
        return where(i, key) if where is not None else Location("<scenario>", 1, 1)

    def bad(i: int, key: str, msg: str, hint: str) -> None:
        findings.append(
            Finding(
                "scenario-invalid", Severity.ERROR, msg, loc(i, key), hint, f"spec.expect.{i}.{key}"
            )
        )

    for i, e in enumerate(expectations):
        name = e.policy.removeprefix("policy/")
        ok = True
        if name not in policies:
            from agentctl.model.validate import did_you_mean

            bad(
                i,
                "policy",
                f"no policy {name!r} in this run",
                did_you_mean(name, policies) or "name a policy the run includes",
            )
            ok = False
        if e.key is not None and name in policies and name not in (keyed or set()):
            bad(
                i,
                "key",
                f"policy {name!r} has no key: all its decisions share one state",
                "drop 'key' from this expectation, or give the policy a 'key:'",
            )
            ok = False
        if e.outcome not in LABELS:
            bad(i, "outcome", f"unknown outcome {e.outcome!r}", "one of: " + ", ".join(LABELS))
            ok = False
        start = end = None
        try:
            if e.at is not None:
                start = end = parse_ts(e.at)
            if e.between is not None:
                if len(e.between) != 2:
                    raise ValueError("between takes [from, to]")
                start, end = parse_ts(e.between[0]), parse_ts(e.between[1])
        except ValueError as exc:
            key = "at" if e.at is not None else "between"
            bad(i, key, f"not an RFC 3339 time with a zone: {exc}", "write 2026-03-01T08:00:00Z")
            ok = False
        if ok:
            checks.append(
                Check(i, name, e.outcome, start, end, e.count, loc(i, "outcome"), key=e.key)
            )
    return checks, findings
