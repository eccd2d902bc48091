"""A contract's SLA, judged on each response the provider gives (pure: the shell passes the
day's record of the contract in).

- `latency`: per response: slower than it is a miss.
- `success_rate`: a rate over the window, not a verdict on one response. The window is the
  contract's day so far (the workspace's `defaults.timezone`, as for its per-day cost
  ceiling), this response included. A failed response is a miss when it brings the day's
  rate of successful responses under `success_rate`; failures within that allowance are
  not misses, and a successful response never is one.
- `field_coverage`: the share of the day's successful responses that carry every field in
  `sla.fields` (present and not null), this one included; an incomplete response is a miss
  when it brings that share under `field_coverage` (1.0 when only `fields` is set).

The provider is the one a miss counts against (`on_breach.count_missed`, recorded on the
`agent_request` event so that `ledger report` need not read the workspace).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentctl.model.kinds import ContractDoc


@dataclass(frozen=True)
class Window:
    """The contract's responses earlier in the window (committed in the ledger)."""

    requests: int = 0
    ok: int = 0
    complete: int = 0  # successful responses that carried every SLA field


@dataclass(frozen=True)
class SlaResult:
    missed: bool
    reasons: list[str]
    field_coverage: float | None  # this response's share of the SLA fields
    fields_complete: bool | None = None
    window: dict[str, Any] = field(default_factory=dict)  # the rates, this response included


def sla_check(
    contract: ContractDoc, latency_s: float, ok: bool, output: Any, before: Window = Window()
) -> SlaResult:
    """Measure one response against the contract's SLA, given the window before it."""
    sla = contract.spec.sla
    reasons: list[str] = []
    if sla.latency is not None and latency_s > sla.latency.total_seconds():
        reasons.append(f"latency {latency_s:.3f}s over {sla.latency.total_seconds():g}s")
    requests = before.requests + 1
    oks = before.ok + int(ok)
    window: dict[str, Any] = {"requests": requests, "ok": oks}
    if sla.success_rate is not None:
        rate = oks / requests
        window["success_rate"] = round(rate, 6)
        if not ok and rate < sla.success_rate:
            reasons.append(
                f"success rate {rate:.2f} over the day's {requests} requests, "
                f"under {sla.success_rate:g}"
            )
    coverage: float | None = None
    complete: bool | None = None
    if sla.fields:
        body = output if isinstance(output, dict) else {}
        missing = [f for f in sla.fields if body.get(f) is None]
        coverage = (len(sla.fields) - len(missing)) / len(sla.fields)
        complete = ok and not missing
        done = before.complete + int(complete)
        window["complete"] = done
        if oks:
            share = done / oks
            window["field_coverage"] = round(share, 6)
            wanted = sla.field_coverage if sla.field_coverage is not None else 1.0
            if ok and missing and share < wanted:
                reasons.append(
                    f"field coverage {share:.2f} over the day's {oks} answers, under "
                    f"{wanted:g} (missing: {', '.join(missing)})"
                )
    return SlaResult(bool(reasons), reasons, coverage, complete, window)


@dataclass(frozen=True)
class Escalation:
    """What a breach does when the contract's `on_breach.escalate` names a role: the
    consumer is told the request escalated (`ctx.ask` raises `Escalated`, carrying the
    provider's answer) and a human task is opened for the role."""

    to: str  # role/NAME
    contract: str
    reasons: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"to": self.to, "contract": self.contract, "reasons": self.reasons}


def on_breach(contract: ContractDoc, result: SlaResult) -> Escalation | None:
    """The escalation a response's SLA result calls for, or None (met, or no `escalate`)."""
    role = contract.spec.on_breach.escalate
    if not result.missed or role is None:
        return None
    return Escalation(role, contract.metadata.name, list(result.reasons))
