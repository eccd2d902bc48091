"""Dates: validity periods, credentials and permission reviews, judged against `--today`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from agentctl.findings import Finding, Severity
from agentctl.lint.registry import LintContext, finding, rule
from agentctl.model.kinds import Credential

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
EXPIRY_WARNING = timedelta(days=14)


def _expires(cred: Credential | None) -> date | None:
    """When the credential expires; None when there is none or it lies past year 9999."""
    if cred is None:
        return None
    try:
        return cred.expires
    except OverflowError:
        return None


@rule(
    "validity-order",
    E,
    "A contract whose validity ends before it starts.",
    "`valid.from` must be earlier than `valid.until`; as written the contract is never valid.",
    "time",
)
def validity_order(ctx: LintContext) -> Iterator[Finding]:
    for res in ctx.workspace.contracts:
        v = res.doc.spec.valid
        if v is not None and v.from_ >= v.until:
            yield finding(
                "validity-order",
                res,
                ("spec", "valid", "until"),
                f"valid.until {v.until} is not after valid.from {v.from_}",
                "swap the dates, or correct the year",
            )


@rule(
    "contract-expired",
    W,
    "A contract past its validity period.",
    """
After `valid.until` the guard refuses every request under the contract. Renew it (a new
`until`) or remove it, and the agents that rely on it.
""",
    "time",
)
def contract_expired(ctx: LintContext) -> Iterator[Finding]:
    for res in ctx.workspace.contracts:
        v = res.doc.spec.valid
        if v is not None and v.from_ < v.until < ctx.today:
            yield finding(
                "contract-expired",
                res,
                ("spec", "valid", "until"),
                f"{res.ref} expired on {v.until}",
                "renew it with a later valid.until, or remove it",
            )


@rule(
    "credential-expired",
    E,
    "A charter whose credential has expired.",
    """
`credential.issued` plus `credential.lifetime` is when the agent's machine credential
expires. After that the runtime refuses to run the agent. Rotate the credential and update
`issued`.
""",
    "time",
)
def credential_expired(ctx: LintContext) -> Iterator[Finding]:
    for res in ctx.workspace.charters:
        expires = _expires(res.doc.spec.credential)
        if expires is not None and expires < ctx.today:
            yield finding(
                "credential-expired",
                res,
                ("spec", "credential"),
                f"the credential of {res.ref} expired on {expires}",
                "rotate the credential and set credential.issued to the rotation date",
            )


@rule(
    "credential-expiring",
    W,
    "A charter whose credential expires within 14 days.",
    "Rotate it before it expires: an expired credential stops the agent.",
    "time",
)
def credential_expiring(ctx: LintContext) -> Iterator[Finding]:
    for res in ctx.workspace.charters:
        expires = _expires(res.doc.spec.credential)
        # a difference, not today + 14 days: --today may be 9999-12-31
        if expires is not None and timedelta(0) <= expires - ctx.today <= EXPIRY_WARNING:
            days = (expires - ctx.today).days
            yield finding(
                "credential-expiring",
                res,
                ("spec", "credential"),
                f"the credential of {res.ref} expires on {expires} (in {days} days)",
                "rotate it before then",
            )


@rule(
    "review-overdue",
    W,
    "A charter whose permission review is overdue.",
    """
`review_by` is when a human must next confirm that the charter's grants are still needed.
Permissions that nobody reviews only ever grow.
""",
    "time",
)
def review_overdue(ctx: LintContext) -> Iterator[Finding]:
    for res in ctx.workspace.charters:
        due = res.doc.spec.review_by
        if due is not None and due < ctx.today:
            yield finding(
                "review-overdue",
                res,
                ("spec", "review_by"),
                f"the permission review of {res.ref} was due on {due}",
                "review the grants with the owner, then move review_by forward",
            )


@rule(
    "schedule-invalid",
    E,
    "A policy schedule that is not a 5-field cron expression.",
    """
`spec.schedule` is cron (minute hour day-of-month month day-of-week) in the workspace's
`defaults.timezone`; `agentctl serve` queues an `agentctl.schedule.NAME` event at each
firing. An expression cron cannot read would never fire.
""",
    "time",
)
def schedule_invalid(ctx: LintContext) -> Iterator[Finding]:
    from agentctl.serve.schedule import problem

    for res in ctx.workspace.policies:
        cron = res.doc.spec.schedule
        if cron is not None and (why := problem(cron)) is not None:
            yield finding(
                "schedule-invalid",
                res,
                ("spec", "schedule"),
                why,
                'e.g. "30 2 * * *" (02:30 daily)',
            )


@rule(
    "schedule-not-watched",
    E,
    "A scheduled policy that does not watch its own schedule's events.",
    """
A schedule fires events of type `agentctl.schedule.NAME` (NAME: the policy). A policy whose
`on:` does not match that type would never see its own firings.
""",
    "time",
)
def schedule_not_watched(ctx: LintContext) -> Iterator[Finding]:
    from agentctl.serve.schedule import event_type

    for res in ctx.workspace.policies:
        spec = res.doc.spec
        if spec.schedule is None:
            continue
        wanted = event_type(res.name)
        if not any(t == wanted or (t.endswith("*") and wanted.startswith(t[:-1])) for t in spec.on):
            yield finding(
                "schedule-not-watched",
                res,
                ("spec", "on"),
                f"the schedule fires {wanted} events, which on: does not match",
                f"add {wanted} to on:",
            )
