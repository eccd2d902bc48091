"""What a simulation reports: a timeline and a summary per policy, built while streaming.

Memory grows with the number of decisions kept for the timeline (capped), never with the
number of events: runs of identical suppressions collapse into one timeline entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from agentctl.engine.compiled import CompiledPolicy
from agentctl.engine.core import ACTED, SUPPRESS_REASONS, Decision
from agentctl.engine.events import Event, format_ts
from agentctl.findings import Finding, Location, Severity
from agentctl.simulate.expect import Check

TIMELINE_CAP = 5000
FINDINGS_CAP = 50


@dataclass
class PolicySummary:
    name: str
    per_day_usd: Decimal | None = None
    per_month_usd: Decimal | None = None
    key: str | None = None  # the policy's `key:` expression
    keys_peak: int = 0  # the most key states kept at once
    keys_evicted: int = 0  # keys dropped by the engine's cap while not idle
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("fired", "needs_approval", "escalated", "suppressed", "error"), 0
        )
    )
    suppressed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUPPRESS_REASONS, 0))
    approvers: dict[str, int] = field(default_factory=dict)  # role (or "nobody") → decisions
    spend: Decimal = Decimal(0)
    peak_day: str | None = None
    peak_day_spend: Decimal = Decimal(0)
    first_error: str | None = None
    _day: str = ""
    _day_spend: Decimal = Decimal(0)

    @property
    def acted(self) -> int:
        return self.counts["fired"] + self.counts["needs_approval"] + self.counts["escalated"]

    def add(self, d: Decision, day_of: Callable[[float], str]) -> None:
        outcome = d.outcome
        self.counts[outcome] += 1
        if outcome == "suppressed":
            self.suppressed[d.code] += 1
        elif outcome == "error" and self.first_error is None:
            self.first_error = f"{d.time} (line {d.seq}): {d.reason}"
        if outcome in ACTED:
            for s in d.approvals:
                key = s.approver or "nobody"
                self.approvers[key] = self.approvers.get(key, 0) + 1
            cost = d.cost_usd
            if not cost:  # nothing spent: the totals and the peak day cannot change
                return
            self.spend += cost
            day = day_of(d.ts)
            if day != self._day:
                self._day, self._day_spend = day, Decimal(0)
            self._day_spend += cost
            if self._day_spend > self.peak_day_spend:
                self.peak_day, self.peak_day_spend = day, self._day_spend

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.name,
            **self.counts,
            "suppressed_by": dict(self.suppressed),
            "approvers": dict(sorted(self.approvers.items())),
            "spend_usd": float(self.spend),
            "peak_day": self.peak_day,
            "peak_day_spend_usd": float(self.peak_day_spend),
            "budget": {
                "per_day_usd": None if self.per_day_usd is None else float(self.per_day_usd),
                "per_month_usd": None if self.per_month_usd is None else float(self.per_month_usd),
            },
            "first_error": self.first_error,
            "key": None
            if self.key is None
            else {"expression": self.key, "peak": self.keys_peak, "evicted": self.keys_evicted},
        }


@dataclass
class TimelineEntry:
    """A decision; for suppressions, the run of identical ones that followed it."""

    decision: Decision
    count: int = 1
    last_ts: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d = self.decision.to_dict()
        if self.count > 1:
            d["repeated"] = self.count
            d["until"] = format_ts(self.last_ts)
        return d


@dataclass
class SimRun:
    title: str
    events_file: str
    rev: str | None = None
    commit: str | None = None
    timezone: str = "UTC"
    events: int = 0
    first_ts: float | None = None
    last_ts: float | None = None
    policies: list[PolicySummary] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    timeline_dropped: int = 0
    checks: list[Check] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    findings_dropped: int = 0

    @property
    def decisions(self) -> int:
        return sum(sum(p.counts.values()) for p in self.policies)

    @property
    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    @property
    def unexpected_errors(self) -> int:
        """Decisions that could not be made (a condition, key, input or approval failed),
        except in policies whose errors the scenario counts on purpose (`outcome: error`)."""
        pinned = {c.policy for c in self.checks if c.outcome == "error"}
        return sum(p.counts["error"] for p in self.policies if p.name not in pinned)

    @property
    def failed(self) -> bool:
        errors = any(f.severity is Severity.ERROR for f in self.findings)
        broken = self.unexpected_errors > 0
        return bool(self.failed_checks) or errors or broken or self.findings_dropped > 0


class Collector:
    """Consumes (event, decisions) pairs; builds the summaries, timeline and checks."""

    def __init__(
        self,
        run: SimRun,
        policies: list[CompiledPolicy],
        day_of: Callable[[float], str],
        checks: list[Check] | None = None,
        timeline: bool = True,
    ) -> None:
        self.run = run
        self.day_of = day_of
        self.summaries = {
            p.name: PolicySummary(
                p.name, p.per_day_usd, p.per_month_usd, p.key.source if p.key else None
            )
            for p in policies
        }
        run.policies = list(self.summaries.values())
        self.checks: dict[str, list[Check]] = {}
        for c in checks or []:
            self.checks.setdefault(c.policy, []).append(c)
        run.checks = list(checks or [])
        self.keep_timeline = timeline
        # (policy, key) → its running suppression entry
        self._open: dict[tuple[str, str | None], TimelineEntry] = {}

    def finding(self, f: Finding) -> None:
        if len(self.run.findings) < FINDINGS_CAP:
            self.run.findings.append(f)
        else:
            self.run.findings_dropped += 1

    def add(self, ev: Event, decisions: list[Decision]) -> None:
        run = self.run
        run.events += 1
        if run.first_ts is None:
            run.first_ts = ev.ts
        run.last_ts = ev.ts
        summaries, checks, day_of = self.summaries, self.checks, self.day_of
        for d in decisions:
            summaries[d.policy].add(d, day_of)
            if checks:
                for c in checks.get(d.policy, ()):
                    c.observe(d)
            if self.keep_timeline:
                self._timeline(d)

    def _timeline(self, d: Decision) -> None:
        slot = (d.policy, d.key)
        entry = self._open.get(slot)
        if entry is not None and d.outcome == "suppressed" and entry.decision.code == d.code:
            entry.count += 1
            entry.last_ts = d.ts
            return
        if len(self.run.timeline) >= TIMELINE_CAP:
            self.run.timeline_dropped += 1
            self._open.pop(slot, None)
            return
        entry = TimelineEntry(d, 1, d.ts)
        self.run.timeline.append(entry)
        if d.outcome == "suppressed":
            self._open[slot] = entry
        else:
            self._open.pop(slot, None)

    def keys(
        self,
        stats: dict[str, tuple[int, int, int]],
        where: Callable[[str], Location] | None = None,
    ) -> None:
        """The engine's key counts at the end of the run; evictions are a warning."""
        for name, (_, peak, evicted) in stats.items():
            s = self.summaries[name]
            s.keys_peak, s.keys_evicted = peak, evicted
            if evicted:
                self.finding(
                    Finding(
                        "policy-keys-evicted",
                        Severity.WARNING,
                        f"policy {name!r} held more keys at once than the engine keeps; "
                        f"{evicted:,} not-idle key(s) were evicted (least recently seen "
                        "first) and restarted their for: and cooldown",
                        where(name) if where is not None else Location("<policy>", 1, 1),
                        "a key that varies less (e.g. per store, not per sale) keeps "
                        "every hold; see 'Keys' in docs/simulate.md",
                        "spec.key",
                        f"policy/{name}",
                    )
                )
