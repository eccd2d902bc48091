"""Decisions waiting for a person: a `needs_approval` (or escalated) decision's spending
actions run only once every approval it needs is granted, and then once.

The approvals are agentctl/approvals (the mechanism deployments use too): one request
per required step, to the role that may approve the decision's value, bound to the
decision's digest (the exact plan and value), with an expiry. Request ids are derived from
the decision id, so a restart finds the requests it made instead of asking twice.

On each tick a waiting decision is looked at again: any denial → its invoke actions are
recorded `denied` and never run; past the expiry → recorded `expired`; all granted → each
approval is used (single use, by this decision) and the actions run through
actions.run_action (journaled, at most once). A decision no role may approve (the chain
ends without one) opens a human task and its actions are recorded `refused`.
docs/serve.md, "Approvals".
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass

from agentctl.approvals import Approval, ApprovalError, Request
from agentctl.approvals import store as approvals
from agentctl.engine import Decision
from agentctl.ledger import Ledger
from agentctl.ledger.record import encode_json, format_ts, parse_ts
from agentctl.model.types import format_usd
from agentctl.serve import actions, tasks
from agentctl.serve.metrics import Metrics

APPROVAL_TTL_S = 24 * 3600.0  # a request nobody answers in a day is denied by expiry
IDENTITY = "agentctl-serve"  # who uses an approval: the serve process, for the decision


def request_id(did: str, step: int) -> str:
    return "apr-" + hashlib.sha256(f"{did}#{step}".encode()).hexdigest()[:8]


def digest(d: Decision) -> str:
    """What an approval binds: the decision as recorded (plan, inputs, value, approvers)."""
    return hashlib.sha256(encode_json(d.to_dict())).hexdigest()


@dataclass
class Waiting:
    did: str
    decision: Decision
    ids: list[str]
    digest: str


class Gate:
    def __init__(self, ctx: actions.Context, metrics: Metrics, ttl_s: float = APPROVAL_TTL_S):
        self.ctx = ctx
        self.metrics = metrics
        self.ttl_s = ttl_s
        self.waiting: dict[str, Waiting] = {}

    def _spending(self, did: str, d: Decision) -> list[tuple[int, str]]:
        """(index, key) of the decision's invoke actions not yet done."""
        return [
            (i, f"{did}#{i}")
            for i, a in enumerate(d.actions)
            if a.type == "invoke" and self.ctx.done.get(f"{did}#{i}") in (None, "intent")
        ]

    def open(self, did: str, d: Decision) -> None:
        """Ask for the approvals `d` needs (once: the ids are derived from `did`)."""
        if not self._spending(did, d):
            return
        if any(s.approver is None for s in d.approvals):
            self._nobody(did, d)
            return
        now = self.ctx.now()
        expires = now + _dt.timedelta(seconds=self.ttl_s)
        dig = digest(d)
        ids = []
        for k, step in enumerate(d.approvals):
            rid = request_id(did, k)
            ids.append(rid)
            if approvals.get(self.ctx.ledger.conn, rid) is not None:
                continue
            plan = ", ".join(f"{a.type} {a.target}" for a in d.actions if a.type == "invoke")
            req = Request(
                id=rid,
                subject_kind="decision",
                subject=f"decision {did}",
                digest=dig,
                role=str(step.approver),
                requested_by=f"policy/{d.policy}",
                requested_at=format_ts(now),
                expires_at=format_ts(expires),
                description=f"{plan}: {d.reason}",
                value_usd=None if d.value_usd is None else str(d.value_usd),
            )
            self.ctx.writer.flush()  # the decision is in the ledger before its request
            approvals.request(self.ctx.ledger, req)
        self.waiting[did] = Waiting(did, d, ids, dig)

    def tick(self) -> None:
        """Resolve what the people answered (or what expired)."""
        now = self.ctx.now()
        for did, w in list(self.waiting.items()):
            got = [approvals.get(self.ctx.ledger.conn, rid) for rid in w.ids]
            if any(a is None for a in got):
                continue  # not written yet (never expected): look again next tick
            found = [a for a in got if a is not None]
            states = [a.status(now) for a in found]
            mine = [a.use is not None and a.use.by == did for a in found]
            if "denied" in states:
                who = next(a.denial for a in found if a.denial is not None)
                self._close(
                    w,
                    "denied",
                    {"by": who.identity if who else "", "role": who.role if who else ""},
                )
            elif all(
                s == "granted" or (s == "used" and m) for s, m in zip(states, mine, strict=True)
            ):
                self._run(w, found, now)
            elif "expired" in states:
                self._close(w, "expired", {"expired_at": found[0].request.expires_at})
            elif "used" in states:  # used by something else: never ours to run
                self._close(w, "refused", {"error": "an approval was used by another subject"})

    def _run(self, w: Waiting, found: list[Approval], now: _dt.datetime) -> None:
        for a in found:
            if a.use is None:
                try:
                    approvals.use(
                        self.ctx.ledger, a.id, w.digest, by=w.did, identity=IDENTITY, now=now
                    )
                except ApprovalError as exc:
                    self._close(w, "refused", {"error": exc.message})
                    return
            if a.grant is not None:
                wait = (parse_ts(a.grant.at) - parse_ts(a.request.requested_at)).total_seconds()
                self.metrics.observe("agentctl_approval_wait_seconds", max(0.0, wait))
        d = w.decision
        for i, _key in self._spending(w.did, d):
            actions.run_action(self.ctx, d, w.did, i, d.actions[i])
        del self.waiting[w.did]

    def _close(self, w: Waiting, status: str, detail: dict[str, object]) -> None:
        d = w.decision
        for i, key in self._spending(w.did, d):
            a = d.actions[i]
            base = {"action_key": key, "decision_id": w.did, "type": a.type, "target": a.target}
            self.ctx.writer.add(
                actions.outcome_event(self.ctx, d, w.did, status, {**base, **detail}, a.target)
            )
            self.ctx.done[key] = status
        self.ctx.writer.flush()
        self.waiting.pop(w.did, None)

    def _nobody(self, did: str, d: Decision) -> None:
        chains = "; ".join(" → ".join(s.chain) for s in d.approvals if s.approver is None)
        attrs = tasks.opened_attrs(
            actions.owner(self.ctx.ws, d.policy),
            f"decision {did}: nobody may approve {format_usd(d.value_usd or 0)} alone ({chains})",
            f"{did}#nobody",
            severity="high",
            detail={"decision": d.to_dict(), "decision_id": did},
        )
        if not any(t.id == attrs["task_id"] for t in tasks.list_tasks(self.ctx.ledger)):
            trace, span = actions.ids(did)
            self.ctx.writer.add(
                tasks.opened_event(
                    attrs,
                    principal=f"policy/{d.policy}",
                    ts=format_ts(self.ctx.now()),
                    trace_id=trace,
                    parent_span_id=span,
                )
            )
        w = Waiting(did, d, [], "")
        self._close(w, "refused", {"error": "nobody may approve", "task_id": attrs["task_id"]})


def digest_of(ledger: Ledger, did: str) -> str:
    """The digest an approval of decision `did` binds, from its recorded payload."""
    row = ledger.conn.execute(
        "SELECT p.content FROM events e JOIN payloads p ON p.hash = e.output_hash "
        "WHERE e.kind = 'policy_decision' AND json_extract(e.attrs, '$.decision_id') = ?",
        (did,),
    ).fetchone()
    if row is None:
        raise KeyError(did)
    return hashlib.sha256(row[0].encode() if isinstance(row[0], str) else row[0]).hexdigest()
