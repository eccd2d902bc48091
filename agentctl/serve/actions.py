"""Actions: what a decision does, at most once, with the ledger as the journal.

Each action has a key: its decision id and its index in the policy's `actions:`
(`claim-high-value@17#0`). Before it runs, an `action_intent` event with that key is
committed and synced (like a connector call's `tool_intent`); after it, an `action` event
records the outcome. On a restart an action whose key has an outcome is skipped; one with
an intent and no outcome was interrupted mid-way: it is never re-run blindly (it may or may
not have happened), but recorded as `interrupted` and handed to a person as a human task.
At most once, and never silently lost (docs/serve.md, "Restarts").

`invoke` runs the charter through the runtime (`run_charter`) with the computed input, in
the decision's trace; `escalate` and `incident` open a human task and POST it, signed, to
the policy's (else the workspace's) `notify:` webhook with bounded retries.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from agentctl.engine import Decision, PlannedAction
from agentctl.errors import AgentctlError
from agentctl.ledger import Ledger, LedgerWriter
from agentctl.ledger.record import LedgerEvent, format_ts, new_span_id
from agentctl.model.index import Workspace
from agentctl.model.kinds import Notify
from agentctl.serve import tasks
from agentctl.serve.http import SIGNATURE_HEADER, sign  # intake's scheme, one place

NOTIFY_ATTEMPTS = 3
NOTIFY_TOTAL_S = 10.0  # all attempts together, waits included: a dead webhook never stalls
NOTIFY_TIMEOUT_S = 3.0  # one attempt


def ids(decision_id: str) -> tuple[str, str]:
    """(trace id, span id) of a decision: derived from its id, so a decision recorded again
    after a restart keeps its trace, and the actions' runs join it."""
    h = hashlib.sha256(decision_id.encode()).hexdigest()
    return h[:32], h[32:48]


def decision_id(policy: str, seq: int) -> str:
    """One decision per policy per event: the policy and the event's queue seq name it."""
    return f"{policy}@{seq}"


@dataclass
class NotifyResult:
    ok: bool
    attempts: int
    status: int | None = None
    error: str | None = None
    elapsed_s: float = 0.0


def post(
    url: str,
    body: bytes,
    secret: bytes | None,
    *,
    attempts: int = NOTIFY_ATTEMPTS,
    total_s: float = NOTIFY_TOTAL_S,
    timeout_s: float = NOTIFY_TIMEOUT_S,
) -> NotifyResult:
    """POST `body` to `url`, retried on a connection error or a 5xx (not on a 4xx: the
    receiver refused it), within `attempts` and `total_s` seconds all told."""
    headers = {"Content-Type": "application/json", "User-Agent": "agentctl-serve"}
    if secret is not None:
        headers[SIGNATURE_HEADER] = sign(secret, body)
    t0 = time.monotonic()
    res = NotifyResult(False, 0)
    for n in range(1, attempts + 1):
        left = total_s - (time.monotonic() - t0)
        if left <= 0:
            break
        res.attempts = n
        req = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=min(timeout_s, left)) as resp:
                res.ok, res.status, res.error = True, resp.status, None
                break
        except urllib.error.HTTPError as exc:
            res.status, res.error = exc.code, f"HTTP {exc.code}"
            if exc.code < 500:
                break
        except (urllib.error.URLError, OSError, ValueError) as exc:
            res.error = str(getattr(exc, "reason", exc))
        pause = min(0.2 * 2 ** (n - 1), total_s - (time.monotonic() - t0))
        if n < attempts and pause > 0:
            time.sleep(pause)  # a back-off between attempts, inside the total bound
    res.elapsed_s = round(time.monotonic() - t0, 3)
    return res


@dataclass
class Outcome:
    status: str  # ok | error | interrupted | skipped
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """What actions need from the shell: the workspace, the ledger, the clock, secrets."""

    ws: Workspace
    root: Path
    ledger: Ledger
    writer: LedgerWriter
    now: Callable[[], _dt.datetime]
    environ: Mapping[str, str]
    log: Callable[[str], None] = lambda _m: None
    env: str | None = None  # serve --env: invoke runs what is deployed there
    at_rev: dict[str, Workspace] = field(default_factory=dict)  # the workspace per commit
    # key → "intent" | outcome status: what the ledger holds (loaded at start)
    done: dict[str, str] = field(default_factory=dict)
    ran: int = 0  # actions executed by this process (metrics)


def load_done(ledger: Ledger) -> dict[str, str]:
    """Every action key in the ledger with its state: "intent" or the outcome's status."""
    out: dict[str, str] = {}
    rows = ledger.conn.execute(
        "SELECT kind, status, json_extract(attrs, '$.action_key') FROM events "
        "WHERE kind IN ('action_intent', 'action') ORDER BY seq"
    )
    for kind, status, key in rows:
        if isinstance(key, str):
            out[key] = "intent" if kind == "action_intent" else str(status)
    return out


def _event(
    ctx: Context, kind: str, d: Decision, did: str, status: str, attrs: dict[str, Any], **kw: Any
) -> LedgerEvent:
    trace, span = ids(did)
    return LedgerEvent(
        kind=kind,
        trace_id=trace,
        span_id=new_span_id(),
        parent_span_id=span,
        ts=format_ts(ctx.now()),
        principal=f"policy/{d.policy}",
        status=status,
        attrs=attrs,
        **kw,
    )


def outcome_event(
    ctx: Context, d: Decision, did: str, status: str, attrs: dict[str, Any], target: str
) -> LedgerEvent:
    """The `action` event that records what became of an action (or why it never ran)."""
    return _event(ctx, "action", d, did, status, attrs, operation=target)


def run_action(ctx: Context, d: Decision, did: str, index: int, a: PlannedAction) -> Outcome:
    """Run one planned action of decision `did` at most once (see the module docstring)."""
    key = f"{did}#{index}"
    state = ctx.done.get(key)
    base = {"action_key": key, "decision_id": did, "type": a.type, "target": a.target}
    if state is not None and state != "intent":
        return Outcome("skipped", {"already": state})
    if state == "intent":
        # interrupted between its intent and its outcome: it may have happened; a person
        # decides (never a blind re-run)
        attrs = tasks.opened_attrs(
            owner(ctx.ws, d.policy),
            f"action {a.type} {a.target} of {did} was interrupted: check whether it ran",
            f"interrupted:{key}",
            severity="high",
            detail=base,
        )
        trace, span = ids(did)
        ctx.writer.add(_event(ctx, "action", d, did, "interrupted", base, operation=a.target))
        ctx.writer.add(
            tasks.opened_event(
                attrs,
                principal=f"policy/{d.policy}",
                ts=format_ts(ctx.now()),
                trace_id=trace,
                parent_span_id=span,
            )
        )
        ctx.writer.flush()
        ctx.done[key] = "interrupted"
        return Outcome("interrupted", {"task_id": attrs["task_id"]})
    ctx.writer.journal(
        _event(ctx, "action_intent", d, did, "ok", base, operation=a.target, input=a.input)
    )
    ctx.done[key] = "intent"
    out = _execute(ctx, d, did, index, a)
    ctx.writer.add(
        _event(ctx, "action", d, did, out.status, {**base, **out.detail}, operation=a.target)
    )
    ctx.writer.flush()
    ctx.done[key] = out.status
    ctx.ran += 1
    return out


def owner(ws: Workspace, policy: str) -> str:
    res = ws.get(f"policy/{policy}")
    owner = res.doc.metadata.owner if res is not None else None
    return owner or "role/unknown"


def _execute(ctx: Context, d: Decision, did: str, index: int, a: PlannedAction) -> Outcome:
    if a.type == "invoke":
        return _invoke(ctx, did, a)
    res = ctx.ws.get(f"policy/{d.policy}")
    spec_action = res.doc.spec.actions[index] if res is not None else None
    if a.type == "escalate":
        role = a.target
        title = (spec_action.message if spec_action else None) or d.reason
        severity = "medium"
    else:  # incident
        role = owner(ctx.ws, d.policy)
        inc = spec_action.incident if spec_action else None
        title = inc.title if inc else a.target
        severity = inc.severity if inc else "medium"
    detail = {"decision": d.to_dict(), "decision_id": did}
    attrs = tasks.opened_attrs(role, title, f"{did}#{index}", severity=severity, detail=detail)
    trace, span = ids(did)
    ctx.writer.add(
        tasks.opened_event(
            attrs,
            principal=f"policy/{d.policy}",
            ts=format_ts(ctx.now()),
            trace_id=trace,
            parent_span_id=span,
        )
    )
    out = {"task_id": attrs["task_id"]}
    hook = _notify_of(ctx.ws, d.policy)
    if hook is not None:
        sent = notify(ctx, hook, {"task": attrs, "policy": d.policy}, trace, span, d.policy)
        out["notified"] = sent.ok
    return Outcome("ok", out)


def _notify_of(ws: Workspace, policy: str) -> Notify | None:
    res = ws.get(f"policy/{policy}")
    own = res.doc.spec.notify if res is not None else None
    return own or ws.settings.notify


def notify(
    ctx: Context,
    hook: Notify,
    payload: dict[str, Any],
    trace: str,
    parent: str,
    policy: str,
) -> NotifyResult:
    """POST `payload` to the hook and record the attempt as a `notification` event."""
    body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    secret = None
    if hook.secret_env:
        value = ctx.environ.get(hook.secret_env)
        secret = value.encode() if value else None
    if hook.secret_env and secret is None:
        res = NotifyResult(False, 0, error=f"${hook.secret_env} is not set: not sent unsigned")
    else:
        res = post(hook.url, body, secret)
    if not res.ok:
        ctx.log(f"notify {hook.url}: {res.error} after {res.attempts} attempt(s)")
    ctx.writer.add(
        LedgerEvent(
            kind="notification",
            trace_id=trace,
            span_id=new_span_id(),
            parent_span_id=parent,
            ts=format_ts(ctx.now()),
            principal=f"policy/{policy}",
            operation=hook.url,
            status="ok" if res.ok else "error",
            latency_ms=res.elapsed_s * 1000,
            attrs={
                "task_id": payload.get("task", {}).get("task_id"),
                "attempts": res.attempts,
                "http_status": res.status,
                "error": res.error,
                "signed": secret is not None,
            },
        )
    )
    return res


def _invoke(ctx: Context, did: str, a: PlannedAction) -> Outcome:
    """The charter through the runtime, as `agentctl run` runs it: with `serve --env ENV`
    the version deployed there (its commit checked out, as `run --env`); without, the
    working tree. Either way the environment's pauses hold (the guard refuses the run)."""
    from agentctl.runtime.run import run_charter

    trace, _span = ids(did)
    ws, rev, deployed = ctx.ws, None, None
    try:
        if ctx.env is not None:
            from agentctl.deploy.running import deployed_charter
            from agentctl.workspace.loader import load_workspace

            deployed = deployed_charter(ctx.ledger, ctx.env, a.target)
            rev = deployed.commit
            if rev not in ctx.at_rev:  # loaded once per deployed commit
                ctx.at_rev[str(rev)] = load_workspace(ctx.root, rev).workspace
            ws = ctx.at_rev[str(rev)]
        result = run_charter(
            ws,
            ctx.root,
            a.target,
            a.input if a.input is not None else {},
            ledger=ctx.ledger,
            start=ctx.now(),
            environ=ctx.environ,
            trace_id=trace,
            rev=rev,
            env=ctx.env,
            deployment=deployed,
        )
    except AgentctlError as exc:
        return Outcome("error", {"error": exc.message, "env": ctx.env})
    detail: dict[str, Any] = {"run_status": result.status, "trace_id": trace}
    if result.error:
        detail["error"] = result.error
    return Outcome("ok" if result.ok else "error", detail)
