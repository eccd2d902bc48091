"""`ledger report`: per charter and per charter version, how the agent behaved, how each
version moved against the one before it (so drift shows), and its eval pass rate (from
eval_case events, under the charter version that the case's run recorded)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from agentctl.ledger.query import _time_where
from agentctl.ledger.record import GOVERNANCE_KINDS
from agentctl.ledger.store import STEP_KINDS, Ledger

# eval events repeat what their run's own events already count (its cost, its latency)
EVAL_KINDS = ("eval_case", "eval_suite")


@dataclass
class EvalTally:
    """One suite's eval cases under one charter version."""

    cases: int = 0
    passed: int = 0
    failed: int = 0
    errored: int = 0

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.cases if self.cases else None

    def add(self, outcome: str) -> None:
        self.cases += 1
        self.passed += outcome == "pass"
        self.failed += outcome == "fail"
        self.errored += outcome == "error"

    def to_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "pass": self.passed,
            "fail": self.failed,
            "error": self.errored,
            "pass_rate": _r(self.pass_rate),
        }


@dataclass
class VersionStats:
    version: str
    first_seen: str
    last_seen: str
    runs: int = 0
    finished: int = 0
    succeeded: int = 0
    actions: int = 0
    cost_usd: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    denials: int = 0
    escalations: int = 0
    sla_misses: dict[str, int] = field(default_factory=dict)
    delta: dict[str, float | None] | None = None
    evals: dict[str, EvalTally] = field(default_factory=dict)  # suite -> its cases

    @property
    def success_rate(self) -> float | None:
        return self.succeeded / self.finished if self.finished else None

    @property
    def cost_per_action(self) -> float | None:
        return self.cost_usd / self.actions if self.actions else None

    @property
    def p50_ms(self) -> float | None:
        return percentile(self.latencies_ms, 50)

    @property
    def p95_ms(self) -> float | None:
        return percentile(self.latencies_ms, 95)

    @property
    def denials_per_run(self) -> float | None:
        return self.denials / self.runs if self.runs else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "runs": self.runs,
            "success_rate": self.success_rate,
            "actions": self.actions,
            "cost_usd": round(self.cost_usd, 9),
            "cost_per_action": _r(self.cost_per_action),
            "latency_p50_ms": _r(self.p50_ms),
            "latency_p95_ms": _r(self.p95_ms),
            "denials": self.denials,
            "escalations": self.escalations,
            "sla_misses": dict(sorted(self.sla_misses.items())),
            "delta": self.delta,
            "evals": {k: t.to_dict() for k, t in sorted(self.evals.items())},
        }


@dataclass
class ContractStats:
    """A contract's requests. SLA misses count against the provider (the charter that
    answered), unless the contract said `on_breach.count_missed: false` at the time."""

    contract: str
    provider: str = ""
    consumer: str = ""
    requests: int = 0
    sla_misses: int = 0  # counted against the provider
    uncounted_misses: int = 0  # recorded, but the contract did not count them

    def to_dict(self) -> dict[str, Any]:
        rate = self.sla_misses / self.requests if self.requests else None
        return {
            "contract": self.contract,
            "provider": self.provider,
            "consumer": self.consumer,
            "requests": self.requests,
            "sla_misses": self.sla_misses,
            "uncounted_misses": self.uncounted_misses,
            "miss_rate": rate,
        }


@dataclass
class Report:
    since: str | None
    until: str | None
    charters: dict[str, list[VersionStats]]
    contracts: list[ContractStats]

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "until": self.until,
            "charters": [
                {"charter": name, "versions": [v.to_dict() for v in versions]}
                for name, versions in self.charters.items()
            ],
            "contracts": [c.to_dict() for c in self.contracts],
        }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 9)


def percentile(values: list[float], p: int) -> float | None:
    """Nearest-rank percentile (the value at rank ceil(p/100 * n)): no interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(b - a, 9)


def build(
    ledger: Ledger,
    since: str | None = None,
    until: str | None = None,
    agents: Sequence[str] = (),
) -> Report:
    where, args = _time_where("ts", since, until)
    if agents:
        marks = ", ".join("?" * len(agents))
        # a provider's misses are on its consumer's agent_request events
        where += (
            f" AND (principal IN ({marks}) OR (kind = 'agent_request' AND operation IN ({marks})))"
        )
        args += [*agents, *(f"charter/{a}" for a in agents)]
    governance = ", ".join(f"'{k}'" for k in GOVERNANCE_KINDS)  # not an agent's steps
    sql = (
        "SELECT principal, principal_version, kind, status, cost_usd, latency_ms, attrs, ts, "
        f"trace_id, span_id, parent_span_id, operation FROM events WHERE principal != ''{where} "
        f"AND kind NOT IN ({governance}) ORDER BY seq"
    )
    stats: dict[tuple[str, str], VersionStats] = {}
    contracts: dict[str, ContractStats] = {}
    # (trace, the agent_request span) -> the version of the provider's run that answered it
    # (its run_start is a child of the request's span and comes before the request event)
    answered: dict[tuple[str, str], tuple[str, str]] = {}
    latest: dict[str, tuple[str, str]] = {}
    shown = set(agents)
    for row in ledger.conn.execute(sql, args):
        principal, version, kind, status, cost, latency, attrs, ts = row[:8]
        trace, parent = row[8], row[10]
        if kind == "run_start" and parent:
            answered[(trace, parent)] = (principal, version)
        if kind == "agent_request" and attrs != "{}":
            _request(stats, contracts, answered, latest, row)
        if shown and principal not in shown:
            continue
        key = (principal, version)
        v = stats.get(key)
        if v is None:
            v = stats[key] = VersionStats(version, ts, ts)
        latest[principal] = key
        v.last_seen = ts
        if kind in EVAL_KINDS:
            if kind == "eval_case":
                _eval_case(v, attrs, status)
            continue
        v.cost_usd += cost
        if kind == "run_start":
            v.runs += 1
        elif kind == "run_end":
            v.finished += 1
            v.succeeded += status == "ok"
            v.latencies_ms.append(latency)
        elif kind in STEP_KINDS and status != "denied":
            v.actions += 1
        # one denial is one `denial` event; the run_end (or step) that it ended carries
        # status "denied" too and must not count it again
        if kind == "denial":
            v.denials += 1
        if kind == "escalation":
            v.escalations += 1
    if shown:
        stats = {k: v for k, v in stats.items() if k[0] in shown}
    charters: dict[str, list[VersionStats]] = {}
    for (principal, _), v in sorted(stats.items(), key=lambda kv: (kv[0][0], kv[1].first_seen)):
        charters.setdefault(principal, []).append(v)
    for versions in charters.values():
        for before, after in itertools.pairwise(versions):
            after.delta = {
                "success_rate": _delta(before.success_rate, after.success_rate),
                "cost_per_action": _delta(before.cost_per_action, after.cost_per_action),
                "latency_p50_ms": _delta(before.p50_ms, after.p50_ms),
                "latency_p95_ms": _delta(before.p95_ms, after.p95_ms),
                "denials_per_run": _delta(before.denials_per_run, after.denials_per_run),
            }
    return Report(since, until, charters, sorted(contracts.values(), key=lambda c: c.contract))


# an eval_case's ledger status per outcome, for events whose attrs lack one (evals/runner.py)
_OUTCOME = {"ok": "pass", "failed": "fail", "error": "error"}


def _eval_case(v: VersionStats, attrs: str, status: str) -> None:
    a = orjson.loads(attrs)
    suite = a.get("suite")
    outcome = a.get("outcome") or _OUTCOME.get(status, "error")
    v.evals.setdefault(str(suite), EvalTally()).add(str(outcome))


def _request(
    stats: dict[tuple[str, str], VersionStats],
    contracts: dict[str, ContractStats],
    answered: dict[tuple[str, str], tuple[str, str]],
    latest: dict[str, tuple[str, str]],
    row: tuple[Any, ...],
) -> None:
    """An agent_request under a contract: counted on the contract, and a miss against the
    provider's version that answered it (else the provider's latest version seen)."""
    consumer, _version, _kind, _status, _cost, _lat, attrs, ts, trace, span, _p, op = row
    a = orjson.loads(attrs)
    name = a.get("contract")
    if not isinstance(name, str):
        return
    provider = (op or "").removeprefix("charter/")
    c = contracts.setdefault(name, ContractStats(name, provider, consumer))
    c.requests += 1
    who = answered.pop((trace, span), None)
    if not a.get("sla_missed"):
        return
    if a.get("count_missed", True) is False:
        c.uncounted_misses += 1
        return
    c.sla_misses += 1
    key = who or latest.get(provider) or (provider, "")
    v = stats.get(key)
    if v is None:
        v = stats[key] = VersionStats(key[1], ts, ts)
    v.sla_misses[name] = v.sla_misses.get(name, 0) + 1
